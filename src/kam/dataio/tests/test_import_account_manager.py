"""Decision 18 in the unit import: an account manager on a sub-unit is a row error."""

from __future__ import annotations

import pytest

from kam.customers.models import Unit
from kam.dataio.services import import_file
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db


def test_a_manager_for_a_sub_unit_of_the_file_is_a_row_error(users, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        "id,name,parent,account_manager\nA,Alpha,,kam\nB,Beta,A,kam\nC,Gamma,A,\n",
        encoding="utf-8",
    )
    report = import_file(entity="units", path=path)
    assert [(e.line, e.column, e.value) for e in report.errors] == [(3, "account_manager", "kam")]
    assert "only an account" in report.errors[0].reason
    assert not Unit.objects.exists()


def test_a_manager_for_a_sub_unit_in_the_database_is_a_row_error(users, tmp_path):
    top = make_unit("Top", external_id="TOP")
    make_unit("Child", parent=top, external_id="CHILD")
    path = tmp_path / "units.csv"
    path.write_text("id,name,account_manager\nTOP,Top,kam\nCHILD,Child,kam\n", encoding="utf-8")
    report = import_file(entity="units", path=path)
    assert [(e.line, e.column) for e in report.errors] == [(3, "account_manager")]
    assert Unit.objects.get(external_id="TOP").account_manager is None


def test_a_sub_unit_made_an_account_in_the_same_file_may_get_a_manager(users, tmp_path):
    top = make_unit("Top", external_id="TOP")
    make_unit("Child", parent=top, external_id="CHILD")
    path = tmp_path / "units.csv"
    path.write_text("id,name,parent,account_manager\nCHILD,Child,,kam\n", encoding="utf-8")
    report = import_file(entity="units", path=path)
    assert report.errors == []
    child = Unit.objects.get(external_id="CHILD")
    assert child.is_account
    assert child.account_manager == users["kam"]
