"""The plan's JSON export re-imports unchanged; bad files are clear 4xx and write nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from kam.core.errors import DomainError
from kam.planning.exports import VOLATILE_KEYS, plan_export, plan_import
from kam.planning.models import AccountPlan, WhiteSpaceCell
from kam.planning.tests.plan_fixtures import full_plan
from kam.testing.personas import db_snapshot

pytestmark = pytest.mark.django_db


def _stable(doc):
    return {k: v for k, v in doc.items() if k not in VOLATILE_KEYS}


def test_export_reimports_into_an_empty_account_unchanged(kam_a):
    plan = full_plan(kam_a.account, kam_a.user)
    first = plan_export(plan=plan)
    # the salesforce-like names are there
    body = first["AccountPlan"]
    assert body["AccountPlanObjectives"][0]["Measure"]["CalculationDefinition"] == (
        "sales.revenue_12m"
    )
    assert body["Tasks"][0]["Owner"]["Username"].startswith("rep-")
    assert {c["Status"] for c in body["WhiteSpace"]} == {"competitor", "blocked"}
    # the account becomes empty: no plan, no white space
    AccountPlan.objects.filter(account=kam_a.account).delete()
    WhiteSpaceCell.objects.filter(account=kam_a.account).delete()
    text = json.dumps(first)
    imported = plan_import(data=json.loads(text), user=kam_a.user)
    assert imported.account == kam_a.account and imported.status == "draft"
    again = plan_export(plan=imported)
    assert _stable(again) == _stable(first)


def test_unknown_references_are_reported_together_and_nothing_is_written(kam_a):
    plan = full_plan(kam_a.account, kam_a.user)
    doc = plan_export(plan=plan)
    plan.delete()
    body = doc["AccountPlan"]
    body["Tasks"][0]["Owner"] = {"Username": "ghost", "Email": "ghost@example.com"}
    body["AccountPlanObjectives"][0]["Measure"]["CalculationDefinition"] = "no.such.metric"
    body["WhiteSpace"][0]["ProductLine"] = "NOPE"
    body["Tasks"][1]["ActivityDate"] = "31.12.2026"
    before = db_snapshot()
    with pytest.raises(DomainError) as err:
        plan_import(data=doc, user=kam_a.user)
    message = err.value.message
    for part in ("ghost", "no.such.metric", "NOPE", "31.12.2026"):
        assert part in message
    assert db_snapshot() == before


def test_account_matched_by_external_id(kam_a):
    plan = full_plan(kam_a.account, kam_a.user)
    doc = plan_export(plan=plan)
    doc["AccountPlan"]["Account"]["ExternalId"] = "NOT-HERE"
    with pytest.raises(DomainError, match="NOT-HERE"):
        plan_import(data=doc, user=kam_a.user)
    with pytest.raises(DomainError, match="already has a plan"):
        plan_import(data=plan_export(plan=plan), user=kam_a.user)
    with pytest.raises(DomainError):
        plan_import(data={"Format": "something else"}, user=kam_a.user)


def test_web_download_and_upload(kam_a, client):
    plan = full_plan(kam_a.account, kam_a.user)
    client.force_login(kam_a.user)
    response = client.get(reverse("planexport:json", args=[plan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    doc = json.loads(response.content)
    plan.delete()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("plan.json", json.dumps(doc).encode(), "application/json")
    response = client.post(reverse("planexport:import", args=[kam_a.account.pk]), {"file": upload})
    assert response.status_code == 302, response.content[:500]
    assert AccountPlan.objects.filter(account=kam_a.account).count() == 1
    bad = SimpleUploadedFile("plan.json", b"{not json", "application/json")
    response = client.post(reverse("planexport:import", args=[kam_a.account.pk]), {"file": bad})
    assert response.status_code == 400


def test_api_export_and_import(kam_a, kam_b, client):
    plan = full_plan(kam_a.account, kam_a.user)
    url = f"/api/v1/plans/{plan.pk}/export.json"
    response = client.get(url, headers=kam_a.headers)
    assert response.status_code == 200
    doc = response.json()
    # another KAM may read the plan but not import into kam_a's account
    assert client.get(url, headers=kam_b.headers).status_code == 200
    plan.delete()
    before = db_snapshot()
    refused = client.post(
        "/api/v1/plan-imports", doc, content_type="application/json", headers=kam_b.headers
    )
    assert refused.status_code == 403
    assert db_snapshot() == before
    created = client.post(
        "/api/v1/plan-imports", doc, content_type="application/json", headers=kam_a.headers
    )
    assert created.status_code == 201, created.content
    doc["AccountPlan"]["Tasks"][0]["Owner"]["Username"] = "ghost"
    doc["AccountPlan"]["Tasks"][0]["Owner"]["Email"] = ""
    AccountPlan.objects.all().delete()
    bad = client.post(
        "/api/v1/plan-imports", doc, content_type="application/json", headers=kam_a.headers
    )
    assert bad.status_code == 400 and "ghost" in bad.content.decode()


def test_another_kam_cannot_import_a_plan_into_kam_as_account(kam_a, kam_b, users, client):
    plan = full_plan(kam_a.account, kam_a.user)
    doc = plan_export(plan=plan)
    plan.delete()
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("planexport:import", args=[kam_a.account.pk])
    before = db_snapshot()
    for who in (kam_b.user, users["outsider"]):
        client.force_login(who)
        upload = SimpleUploadedFile("plan.json", json.dumps(doc).encode(), "application/json")
        assert client.post(url, {"file": upload}).status_code == 403
        assert client.get(url).status_code == 403
    response = client.post(
        f"/api/v1/plan-imports?account_id={kam_a.account.pk}",
        doc,
        content_type="application/json",
        headers=kam_b.headers,
    )
    assert response.status_code == 403
    assert db_snapshot() == before
