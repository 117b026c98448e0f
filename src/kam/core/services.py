"""Generic write helpers that every app's services use (HackSoft's ``model_update``)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping
from typing import Any, Final, TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from .errors import DomainError
from .validation import check_fields

M = TypeVar("M", bound=models.Model)


class Unset(enum.Enum):
    """An optional argument that was not given, where None is a value ("no parent")."""

    UNSET = enum.auto()


UNSET: Final = Unset.UNSET


def _stored(instance: models.Model, name: str, value: Any) -> tuple[Any, Any]:
    """(the current value, the new value in the same form).

    A foreign key given as an object is compared by id, so reading the old one costs no query.
    """
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return getattr(instance, name), value
    if isinstance(field, models.ForeignKey) and name == field.name:
        new = value.pk if isinstance(value, models.Model) else value
        return getattr(instance, field.attname), new
    return getattr(instance, name), value


def model_assign(*, instance: models.Model, data: Mapping[str, Any]) -> list[str]:
    """Set the values of ``data`` that differ on ``instance``; the names that changed."""
    changed = []
    for name, value in data.items():
        old, new = _stored(instance, name, value)
        if instance._state.adding or old != new:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def model_update(
    *,
    instance: M,
    fields: Collection[str],
    data: Mapping[str, Any],
    full_clean: bool = False,
    validate: Callable[[M], None] | None = None,
    save: bool = True,
) -> tuple[M, bool]:
    """Change the ``fields`` of ``instance`` that ``data`` gives; (instance, whether it changed).

    A name of ``data`` outside ``fields`` is refused (a DomainError naming them all) before
    anything is set. Only values that differ are set; then ``full_clean`` (of the editable
    ``fields``) and ``validate`` check the instance, which is saved with only the changed
    columns (and ``updated_at``), or in full while it is not yet in the database. With
    ``save=False`` the caller saves.
    """
    unknown = set(data) - set(fields)
    if unknown:
        raise DomainError(
            _("These fields cannot be changed: %s") % ", ".join(sorted(unknown)),
            code="unknown_fields",
        )
    changed = model_assign(instance=instance, data=data)
    # dates and amounts in range (kam.core.validation), whatever the caller checked before
    check_fields(instance, changed)
    if full_clean:
        editable = set(fields)
        instance.full_clean(
            exclude=[
                f.name
                for f in instance._meta.fields
                if f.name not in editable and f.attname not in editable
            ]
        )
    if validate is not None:
        validate(instance)
    if save and (changed or instance._state.adding):
        if instance._state.adding:
            instance.save()
        else:
            names = {f.name for f in instance._meta.concrete_fields}
            extra = ["updated_at"] if "updated_at" in names else []
            instance.save(update_fields=[*changed, *extra])
    return instance, bool(changed)
