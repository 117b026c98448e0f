"""Import of field assignments and visits (dataio entities), through the field services."""

from __future__ import annotations

import pytest

from kam.core.errors import DomainError
from kam.field.models import FieldAssignment, Visit

from .conftest import FieldWorld

pytestmark = pytest.mark.django_db


def _import(tmp_path, entity: str, text: str):
    from kam.dataio.services import import_file

    path = tmp_path / f"{entity}.csv"
    path.write_text(text, encoding="utf-8")
    return import_file(entity=entity, path=path)


def test_assignments_and_visits_import(tmp_path, fw: FieldWorld) -> None:
    fw.north.external_id, fw.south.external_id = "N1", "S1"
    fw.north.save()
    fw.south.save()
    report = _import(
        tmp_path,
        "field-assignments",
        f"unit,rep,start\nN1,{fw.rep.username},2026-01-05\nS1,{fw.other_rep.username},2026-01-05\n",
    )
    assert (report.created, report.errors) == (2, [])
    assert FieldAssignment.objects.get(unit=fw.north, end=None).rep == fw.rep
    report = _import(
        tmp_path,
        "visits",
        f"unit,rep,planned_on,status\nN1,{fw.rep.username},2026-02-02,done\n"
        f"S1,{fw.other_rep.username},2026-02-03,planned\n",
    )
    assert (report.created, report.errors) == (2, [])
    assert sorted(Visit.objects.values_list("status", flat=True)) == ["done", "planned"]


def test_a_bad_assignment_file_writes_nothing(tmp_path, fw: FieldWorld) -> None:
    fw.north.external_id = "N1"
    fw.north.save()
    with pytest.raises(DomainError, match="Line 3"):
        _import(
            tmp_path,
            "field-assignments",
            f"unit,rep,start\nN1,{fw.rep.username},2026-01-05\n"
            f"N1,{fw.kam.user.username},2026-01-06\n",
        )
    assert not FieldAssignment.objects.exists()
