"""A choice field's label in one look-up (decision 132).

Django's ``get_FOO_display()`` builds a dictionary of every choice for each call, and building
it hashes every lazy label, which translates it: a page of 50 contacts with their function (15
choices) and level (4) translated a thousand labels to show a hundred. Here each field keeps its
value-to-label map, built once, and a call translates only the label it shows; labels stay lazy,
so each request still shows its own language.
"""

from __future__ import annotations

from functools import partialmethod
from typing import Any

from django.db import models
from django.utils.choices import CallableChoiceIterator
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

_KEY = "_kam_choice_labels"


def labels_of(field: models.Field) -> dict[Any, Any]:
    """``value → lazy label`` of ``field``'s choices, kept on the field."""
    labels = field.__dict__.get(_KEY)
    if labels is None:
        labels = {make_hashable(value): label for value, label in field.flatchoices}
        field.__dict__[_KEY] = labels
    return labels


def display(instance: models.Model, field: models.Field) -> Any:
    value = getattr(instance, field.attname)
    return force_str(labels_of(field).get(make_hashable(value), value), strings_only=True)


def quick_display(sender: type[models.Model], **kwargs: Any) -> None:
    """``class_prepared``: replaces the ``get_FOO_display`` methods Django generated for
    ``sender``'s fields (a model's own override is left alone; so are fields whose choices
    are a callable, which may answer differently each time)."""
    generated = vars(models.Model)["_get_FIELD_display"]
    for name, attr in list(vars(sender).items()):
        if not (isinstance(attr, partialmethod) and attr.func is generated):
            continue
        field = attr.keywords["field"]
        if isinstance(field.choices, CallableChoiceIterator):
            continue
        setattr(sender, name, partialmethod(display, field=field))
