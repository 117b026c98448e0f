"""Importing every entity: upserts, idempotency, the customer tree, real-world files."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from kam.customers.models import Contact, Employment, Unit
from kam.dataio.exporters import export_entity
from kam.dataio.services import import_file
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.sales.models import CompetitorShare, MonthlyRollup, SupplierPosition
from kam.testing.factories import make_unit

from .conftest import FIXTURES, SAMPLES, wipe_all

pytestmark = pytest.mark.django_db


def _export(entity: str, fmt: str = "csv", tmp_path=None):
    if fmt == "csv":
        buf = io.StringIO()
        export_entity(entity=entity, out=buf)
        return buf.getvalue()
    path = tmp_path / f"{entity}.xlsx"
    export_entity(entity=entity, fmt="xlsx", out=path)
    return path


def _parent_ext(unit: Unit) -> str | None:
    if unit.depth == 1:
        return None
    return Unit.objects.get(path=unit.path[: -Unit.steplen]).external_id


def test_samples_import_with_parents_after_children_and_references(load_samples):
    load_samples()
    assert _parent_ext(Unit.objects.get(external_id="U-ACME-DE-MUC")) == "U-ACME-DE"
    assert _parent_ext(Unit.objects.get(external_id="U-ACME-DE")) == "U-ACME"
    acme = Unit.objects.get(external_id="U-ACME-DE")
    assert acme.turnover == Decimal("250000000.00")
    assert acme.employees == 1200
    # a later row named as reports-to in an earlier one
    assert Employment.objects.get(external_id="E-2").reports_to.external_id == "E-1"
    assert User.objects.get(username="rep.ivanova").manager.username == "kam.mueller"
    assert not User.objects.get(username="rep.ivanova").is_active
    assert not User.objects.get(username="kam.mueller").has_usable_password()
    meeting = Interaction.objects.get(external_id="I-1")
    assert {u.username for u in meeting.participants.all()} == {"exec.braun", "kam.mueller"}
    assert Interaction.objects.get(external_id="I-2").summary == "-20% price request"
    assert Contact.objects.get(external_id="C-3").notes == "=not a formula"
    assert (
        CompetitorShare.objects.get(account__external_id="U-NORD").competitor.name == "CoatMaster"
    )


def test_importing_the_same_files_twice_changes_nothing(load_samples):
    load_samples()
    counts = {m: m.objects.count() for m in (Unit, Contact, Employment, User, Interaction)}
    history = Unit.history.count() + Contact.history.count() + Employment.history.count()
    rollups = list(MonthlyRollup.objects.order_by("pk").values())
    exports = {e: _export(e) for e, _n in SAMPLES}
    reports = load_samples()
    for entity, report in reports.items():
        assert report.created == report.updated == 0, entity
        assert report.unchanged == report.rows, entity
    assert counts == {m: m.objects.count() for m in counts}
    assert history == Unit.history.count() + Contact.history.count() + Employment.history.count()
    assert rollups == list(MonthlyRollup.objects.order_by("pk").values())
    assert exports == {e: _export(e) for e, _n in SAMPLES}


def test_every_entity_round_trips_through_csv(load_samples, tmp_path):
    load_samples()
    first = {}
    for entity, _name in SAMPLES:
        path = tmp_path / f"{entity}.csv"
        export_entity(entity=entity, out=path)
        first[entity] = _export(entity)
    wipe_all()
    for entity, _name in SAMPLES:
        report = import_file(entity=entity, path=tmp_path / f"{entity}.csv")
        assert not report.errors, (entity, report.errors)
        assert report.created == report.rows
    assert first == {e: _export(e) for e, _n in SAMPLES}


def test_every_entity_round_trips_through_xlsx(load_samples, tmp_path):
    load_samples()
    before = {e: _export(e) for e, _n in SAMPLES}
    files = {e: _export(e, "xlsx", tmp_path) for e, _n in SAMPLES}
    reports = {e: import_file(entity=e, path=files[e]) for e, _n in SAMPLES}
    for entity, report in reports.items():
        assert not report.errors, (entity, report.errors)
        assert report.unchanged == report.rows, entity
    wipe_all()
    for entity, _name in SAMPLES:
        assert not import_file(entity=entity, path=files[entity]).errors
    assert before == {e: _export(e) for e, _n in SAMPLES}


def test_a_changed_row_updates_only_that_row(load_samples, tmp_path):
    load_samples()
    text = (FIXTURES / "units.csv").read_text(encoding="utf-8")
    changed = tmp_path / "units.csv"
    changed.write_text(
        text.replace("Acme France SAS,company,U-ACME", "Acme France SA,company,U-NORD"),
        encoding="utf-8",
    )
    report = import_file(entity="units", path=changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 5)
    france = Unit.objects.get(external_id="U-ACME-FR")
    assert france.name == "Acme France SA"
    assert _parent_ext(france) == "U-NORD"
    # its transactions now count for the new top-level account
    assert set(
        MonthlyRollup.objects.filter(unit=france).values_list("account__external_id", flat=True)
    ) == {"U-NORD"}


def test_unknown_parent_is_a_row_error_and_nothing_is_written(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("id,name,parent\nA,Alpha,\nB,Beta,NOPE\n", encoding="utf-8")
    report = import_file(entity="units", path=path)
    assert [(e.line, e.column, e.value) for e in report.errors] == [(3, "parent", "NOPE")]
    assert "unknown parent" in report.errors[0].reason
    assert "nothing was written" in report.summary()
    assert not Unit.objects.exists()


def test_a_parent_cycle_in_the_file_is_named(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("id,name,parent\nA,Alpha,C\nB,Beta,A\nC,Gamma,B\nD,Delta,\n", encoding="utf-8")
    report = import_file(entity="units", path=path)
    assert {e.line for e in report.errors} == {2, 3, 4}
    assert report.errors[0].reason == "parent cycle: A → C → B → A"
    assert not Unit.objects.exists()


def test_a_parent_cycle_against_the_database_is_refused(tmp_path):
    top = make_unit("Top", external_id="TOP")
    make_unit("Child", parent=top, external_id="CHILD")
    file = tmp_path / "u.csv"
    file.write_text("id,name,parent\nTOP,Top,CHILD\n", encoding="utf-8")
    report = import_file(entity="units", path=file)
    assert len(report.errors) == 1
    assert report.errors[0].reason == "parent cycle: TOP → CHILD → TOP"
    assert Unit.objects.get(external_id="TOP").depth == 1


def test_a_duplicate_external_id_is_an_error_on_the_second_occurrence(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("id,name\nA,Alpha\nB,Beta\nA,Alpha again\n", encoding="utf-8")
    report = import_file(entity="units", path=path)
    assert [(e.line, e.column, e.value, e.reason) for e in report.errors] == [
        (4, "id", "A", "duplicate of line 2 in this file")
    ]
    assert not Unit.objects.exists()


def test_windows_1251_semicolon_file_with_decimal_commas_and_russian_headers():
    report = import_file(entity="units", path=FIXTURES / "units_ru_cp1251.csv")
    assert not report.errors
    assert report.created == 3
    company = Unit.objects.get(external_id="RU-CO1")
    assert company.name == "АО «Тест-Металл»"
    assert company.turnover == Decimal("1234567.89")
    assert company.employees == 1250
    assert company.country == "RU"
    assert _parent_ext(company) == "RU-GRP"
    assert Unit.objects.get(external_id="RU-GRP").country == "RU"  # "Россия"


def test_northwind_customers_import_as_units():
    report = import_file(entity="units", path=FIXTURES / "northwind_customers.csv")
    assert not report.errors, report.errors
    assert report.created == 20
    alfki = Unit.objects.get(external_id="ALFKI")
    assert (alfki.name, alfki.city, alfki.country, alfki.kind) == (
        "Alfreds Futterkiste",
        "Berlin",
        "DE",
        "company",
    )
    assert Unit.objects.get(external_id="AROUT").country == "GB"
    again = import_file(entity="units", path=FIXTURES / "northwind_customers.csv")
    assert again.unchanged == 20


def test_a_mapping_file_names_the_columns():
    report = import_file(
        entity="units", path=FIXTURES / "units_de_mapped.csv", mapping=FIXTURES / "mapping.json"
    )
    assert not report.errors
    assert report.created == 2
    assert _parent_ext(Unit.objects.get(external_id="K-2")) == "K-1"


def test_a_user_renamed_in_the_hr_system_is_matched_by_external_id(load_samples, tmp_path):
    load_samples()
    path = tmp_path / "users.csv"
    path.write_text(
        "username,external_id,first_name,last_name,role\njulia.schulz,HR-7,Julia,Schulz,kam\n",
        encoding="utf-8",
    )
    report = import_file(entity="users", path=path)
    assert (report.created, report.updated) == (0, 1)
    user = User.objects.get(external_id="HR-7")
    assert (user.username, user.last_name) == ("julia.schulz", "Schulz")
    # columns absent from the file are left alone
    assert user.email == "julia.mueller@supplier.test"


def test_changed_participants_and_positions_update(load_samples, tmp_path):
    load_samples()
    path = tmp_path / "interactions.csv"
    path.write_text(
        "external_id,type,occurred_at,unit,summary,participants\n"
        "I-1,meeting,05.03.2024 10:00,U-ACME-DE,Quarterly review,kam.mueller\n",
        encoding="utf-8",
    )
    report = import_file(entity="interactions", path=path)
    assert report.updated == 1, report
    meeting = Interaction.objects.get(external_id="I-1")
    assert [u.username for u in meeting.participants.all()] == ["kam.mueller"]
    assert [c.external_id for c in meeting.contacts.all()] == ["C-1"]  # column absent
    positions = tmp_path / "positions.csv"
    positions.write_text("account;since;position\nU-ACME;01.06.2023;primary\n", encoding="utf-8")
    assert import_file(entity="supplier-positions", path=positions).updated == 1
    assert (
        SupplierPosition.objects.get(account__external_id="U-ACME", since="2023-06-01").position
        == "primary"
    )
    assert SupplierPosition.objects.count() == 3


def test_a_reporting_loop_in_the_org_chart_is_refused(load_samples, tmp_path):
    load_samples()
    path = tmp_path / "employments.csv"
    path.write_text(
        "external_id,contact,unit,reports_to\nE-1,C-1,U-ACME-DE,E-2\n", encoding="utf-8"
    )
    report = import_file(entity="employments", path=path)
    assert [(e.line, e.column, e.reason) for e in report.errors] == [
        (2, "reports_to", "this makes a cycle: E-1 → E-2 → E-1")
    ]
    assert Employment.objects.get(external_id="E-1").reports_to is None
