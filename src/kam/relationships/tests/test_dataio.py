"""Import and export of roles, stances and links through the dataio engine."""

from __future__ import annotations

import io

import pytest

from kam.dataio.exporters import export_entity
from kam.dataio.services import import_file
from kam.interactions.models import Interaction
from kam.relationships.models import BuyingRole, ContactStance, OurLink, StaleLink
from kam.testing.factories import ContactFactory, EmploymentFactory, UserFactory, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    account = make_unit("Acme", external_id="ACME")
    site = make_unit("Acme Berlin", parent=account, kind="site", external_id="ACME-B")
    EmploymentFactory(unit=site, contact=ContactFactory(external_id="C1"))
    EmploymentFactory(unit=account, contact=ContactFactory(external_id="C2"))
    ContactFactory(external_id="C3")  # works nowhere
    UserFactory(username="anna")
    return account


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_roles_import_validates_then_writes_and_re_imports_its_export(tmp_path, acme):
    bad = _write(
        tmp_path,
        "roles.csv",
        "account,contact,role\nACME,C1,decider\nACME-B,C1,buyer\nACME,C3,user\nACME,C2,boss\n",
    )
    report = import_file(entity="buying-roles", path=bad)
    reasons = sorted((e.line, e.column) for e in report.errors)
    assert reasons == [(3, "account"), (4, "contact"), (5, "role")]
    assert not BuyingRole.objects.exists()  # nothing written while a row is bad
    good = _write(tmp_path, "ok.csv", "account,contact,role\nACME,C1,decider\nACME,C2,Buyer\n")
    report = import_file(entity="buying-roles", path=good)
    assert not report.errors and report.created == 2
    out = io.StringIO()
    export_entity(entity="buying-roles", out=out)
    again = _write(tmp_path, "again.csv", out.getvalue())
    report = import_file(entity="buying-roles", path=again)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)


def test_stances_and_links_import(tmp_path, acme):
    stances = _write(
        tmp_path, "s.csv", "account,contact,attitude,influence\nACME,C1,champion,5\nACME,C2,,\n"
    )
    assert not import_file(entity="buying-centre", path=stances).errors
    assert dict(ContactStance.objects.values_list("contact__external_id", "attitude")) == {
        "C1": "champion",
        "C2": "neutral",
    }
    links = _write(tmp_path, "l.csv", "user,contact,level\nanna,C1,4\nanna,C2,9\n")
    report = import_file(entity="our-links", path=links)
    assert [(e.line, e.column) for e in report.errors] == [(3, "level")]
    links = _write(tmp_path, "l2.csv", "user,contact,level,note\nanna,C1,4,Old friends\n")
    assert not import_file(entity="our-links", path=links).errors
    link = OurLink.objects.get()
    assert (link.level, link.note) == (4, "Old friends")
    assert StaleLink.objects.filter(user_id=link.user_id, contact_id=link.contact_id).exists()


def test_imported_interactions_mark_their_pairs(tmp_path, acme):
    path = _write(
        tmp_path,
        "i.csv",
        "external_id,type,occurred_at,unit,summary,participants,contacts\n"
        "I1,meeting,2026-10-01T10:00:00Z,ACME-B,Visit,anna,C1|C2\n",
    )
    assert not import_file(entity="interactions", path=path).errors
    assert Interaction.objects.count() == 1
    assert StaleLink.objects.count() == 2


def test_imported_interactions_mark_their_account_s_health(tmp_path, acme):
    from kam.health.models import StaleHealth

    path = _write(
        tmp_path,
        "i.csv",
        "external_id,type,occurred_at,unit,summary,participants,contacts\n"
        "I1,meeting,2026-10-01T10:00:00Z,ACME-B,Visit,anna,C1|C2\n",
    )
    StaleHealth.objects.all().delete()
    assert not import_file(entity="interactions", path=path).errors
    account = Interaction.objects.get().unit.account
    assert list(StaleHealth.objects.values_list("account_path", flat=True)) == [account.path]


def test_imports_mark_the_kept_coverage_figures(tmp_path, acme):
    from kam.relationships.models import StaleFigures

    def marked() -> bool:
        found = StaleFigures.objects.filter(root_path=acme.path).exists()
        StaleFigures.objects.all().delete()
        return found

    StaleFigures.objects.all().delete()
    roles = _write(tmp_path, "r.csv", "account,contact,role\nACME,C1,decider\n")
    assert not import_file(entity="buying-roles", path=roles).errors
    assert marked()
    stances = _write(tmp_path, "s.csv", "account,contact,attitude\nACME,C1,champion\n")
    assert not import_file(entity="buying-centre", path=stances).errors
    assert marked()
    links = _write(tmp_path, "l.csv", "user,contact,level\nanna,C1,3\n")
    assert not import_file(entity="our-links", path=links).errors
    assert marked()
    path = _write(
        tmp_path,
        "i.csv",
        "external_id,type,occurred_at,unit,summary,participants,contacts\n"
        "I1,meeting,2026-10-01T10:00:00Z,ACME-B,Visit,anna,C1|C2\n",
    )
    assert not import_file(entity="interactions", path=path).errors
    assert marked()
