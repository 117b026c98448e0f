"""The plan PDF opens, has the summary first, and carries the objectives in English and Russian."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from kam.planning.models import Objective
from kam.planning.pdf import plan_pdf
from kam.planning.tests.plan_fixtures import TEXTS, full_plan

pytestmark = pytest.mark.django_db


def _pages(data: bytes) -> list[str]:
    """The text of each page without its footer ("OpenKAM account plan · … · page N")."""
    return [
        re.sub(r"^OpenKAM account plan · .*? · page \d+ ", "", _flat(page.extract_text()))
        for page in PdfReader(io.BytesIO(data)).pages
    ]


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
    assert "Account plan: Account A" in flat
    first, second = _pages(plan_pdf(plan=plan, language="en"))[:2]
    # page 1 is the summary: mission, objectives, top actions, the heatmap (its unit rows)
    for part in (TEXTS["en"]["mission"], TEXTS["en"]["objective"], TEXTS["en"]["action"]):
        assert _flat(part) in first, part
    assert "Top actions" in first and "White space" in first and "Plant North" in first
    assert "Details" not in first and TEXTS["en"]["strength"] not in first
    assert second.startswith("Details")


def test_the_summary_holds_on_page_one_with_fifteen_objectives(kam_a):
    plan = full_plan(kam_a.account, kam_a.user, "en")
    for n in range(13):
        Objective.objects.create(
            plan=plan,
            title=f"Extra objective number {n:02d} with a fairly long title to take room",
            target_value=Decimal("10"),
            current_value=Decimal(n),
            deadline=dt.date(2026, 12, 31),
            position=10 + n,
        )
    assert plan.objectives.count() == 15
    pages = _pages(plan_pdf(plan=plan, language="en"))
    first, second = pages[0], pages[1]
    assert _flat(TEXTS["en"]["mission"]) in first
    assert _flat(TEXTS["en"]["objective"]) in first and "number 05" in first
    assert "number 06" not in first  # 8 on the summary, then a count
    assert "+7 more objectives" in first
    assert "Top actions" in first and _flat(TEXTS["en"]["action"]) in first
    assert "White space" in first and "Potential per unit and product line" in first
    assert second.startswith("Details") and "Top actions" not in second
    details = " ".join(pages[1:])
    for n in range(13):  # every objective is in the details
        assert f"number {n:02d}" in details


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
