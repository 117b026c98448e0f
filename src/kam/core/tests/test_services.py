"""model_update: the one helper behind every "change these fields" service."""

import pytest

from kam.core.errors import DomainError
from kam.core.services import model_update
from kam.customers.models import Unit
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db

EDITABLE = ("name", "city", "account_manager")


def test_unknown_fields_are_refused_by_name_and_nothing_is_set():
    unit = make_unit("Acme", city="Berlin")
    with pytest.raises(DomainError, match="depth, path") as exc:
        model_update(instance=unit, fields=EDITABLE, data={"city": "Bonn", "path": "", "depth": 9})
    assert exc.value.code == "unknown_fields"
    assert unit.city == "Berlin"
    assert Unit.objects.get(pk=unit.pk).city == "Berlin"


def test_only_changed_columns_are_saved_so_a_stale_copy_does_not_undo_another_edit():
    unit = make_unit("Acme", city="Berlin")
    stale = Unit.objects.get(pk=unit.pk)
    model_update(instance=unit, fields=EDITABLE, data={"city": "Hamburg"})
    _unit, changed = model_update(instance=stale, fields=EDITABLE, data={"name": "Acme AG"})
    assert changed
    saved = Unit.objects.get(pk=unit.pk)
    assert (saved.name, saved.city) == ("Acme AG", "Hamburg")


def test_the_same_values_change_nothing_and_write_no_history(users):
    unit = make_unit("Acme", city="Berlin", account_manager=users["kam"])
    version = Unit.objects.get(pk=unit.pk).updated_at
    _unit, changed = model_update(
        instance=Unit.objects.get(pk=unit.pk),
        fields=EDITABLE,
        data={"name": "Acme", "city": "Berlin", "account_manager": users["kam"]},
    )
    assert not changed
    assert unit.history.count() == 1
    assert Unit.objects.get(pk=unit.pk).updated_at == version
