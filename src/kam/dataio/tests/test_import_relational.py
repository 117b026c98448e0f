"""Relational scoring inputs and territories go in by file (issue 10): validated like the page
and the API, written through the identification service with history, exported and re-imported
unchanged."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kam.core.history import history_author
from kam.dataio.exporters import export_entity
from kam.dataio.services import import_file
from kam.identification.models import AccountAssessment, BuyingCriterion
from kam.people.models import Territory
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db

HEADER = (
    "account,willingness,agreement_horizon_months,joint_initiatives,buying_criteria,"
    "wallet_estimate,wallet_source,wallet_confidence\n"
)


def _csv(tmp_path, text: str, name: str = "f.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def accounts():
    a = make_unit("Alpha", external_id="A-1")
    b = make_unit("Beta", external_id="B-1")
    site = make_unit("Alpha plant", parent=a, external_id="A-1-1")
    return a, b, site


def test_assessments_import_with_history_and_reimport_unchanged(tmp_path, accounts, users):
    a, b, _site = accounts
    path = _csv(
        tmp_path,
        HEADER + "A-1,7,36,2,Price|Delivery,1500000,Annual report,medium\nB-1,3,,,,,,\n",
    )
    with history_author(users["admin"]):
        report = import_file(entity="assessments", path=path)
    assert report.ok, report.errors
    assert (report.created, report.updated) == (2, 0)
    alpha = AccountAssessment.objects.get(account=a)
    assert alpha.willingness == 7
    assert alpha.wallet_estimate == Decimal("1500000")
    assert alpha.history.get().history_user == users["admin"]
    assert set(BuyingCriterion.objects.filter(account=a).values_list("name", flat=True)) == {
        "Price",
        "Delivery",
    }
    # the export re-imports as is: nothing changes
    out = tmp_path / "out.csv"
    assert export_entity(entity="assessments", out=out) == 2
    again = import_file(entity="assessments", path=out)
    assert again.ok, again.errors
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # a change is one more history row; an empty cell leaves the input as it is
    path = _csv(tmp_path, "account,willingness,wallet_source\nA-1,8,\n", "g.csv")
    report = import_file(entity="assessments", path=path)
    assert report.updated == 1
    alpha.refresh_from_db()
    assert (alpha.willingness, alpha.wallet_source) == (8, "Annual report")
    assert alpha.history.count() == 2


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("A-1,11,,,,,,", "willingness"),
        ("A-1,-1,,,,,,", "willingness"),
        ("A-1,5,100000,,,,,", "agreement_horizon_months"),
        ("A-1,5,,,,-3,,", "wallet_estimate"),
        ("A-1,5,,,,,,certain", "wallet_confidence"),
        ("NOPE,5,,,,,,", "account"),
        ("A-1-1,5,,,,,,", "account"),
    ],
)
def test_bad_assessment_rows_are_errors_and_nothing_is_written(tmp_path, accounts, row, column):
    path = _csv(tmp_path, HEADER + "B-1,4,,,,,,\n" + row + "\n")
    report = import_file(entity="assessments", path=path)
    assert not report.ok
    assert [e.column for e in report.errors] == [column]
    assert report.errors[0].line == 3
    assert not AccountAssessment.objects.exists()


def test_territories_import_with_manager_and_match_by_place(tmp_path, users):
    Territory.objects.create(name="Old south", country="DE", region="Bayern")
    path = _csv(
        tmp_path,
        "code,name,country,region,manager\n"
        "T-S,Germany South,DE,Bayern,sales_manager\n"
        "T-N,Germany North,DE,Hamburg,\n",
    )
    report = import_file(entity="territories", path=path)
    assert report.ok, report.errors
    assert (report.created, report.updated) == (1, 1)
    south = Territory.objects.get(external_id="T-S")
    assert south.name == "Germany South"
    assert south.manager == users["sales_manager"]
    out = tmp_path / "out.csv"
    export_entity(entity="territories", out=out)
    again = import_file(entity="territories", path=out)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_bad_territory_rows(tmp_path, users):
    path = _csv(
        tmp_path,
        "code,name,country,region,manager\n"
        "T-1,One,DE,Bayern,nobody\n"
        "T-2,Two,DE,Bayern,\n"
        "T-3,Three,,,\n",
    )
    report = import_file(entity="territories", path=path)
    assert {(e.line, e.column) for e in report.errors} == {
        (2, "manager"),
        (3, "region"),
        (4, "country"),
    }
    assert not Territory.objects.exists()
