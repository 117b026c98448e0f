"""Every table of account data is covered by the one visibility rule.

Restricted visibility (``KAM_RESTRICTED_VISIBILITY``) hides an account's rows only from the
models listed in ``kam.core.permissions.VISIBLE_THROUGH``: a new model that points at a customer
unit and is not listed there would leak every account's rows to a restricted field rep. This test
finds such models by their foreign keys, so a new app cannot forget the entry.
"""

from __future__ import annotations

from django.apps import apps

from kam.core.permissions import VISIBLE_THROUGH
from kam.customers.models import Unit

# Models with a key to a unit that are not account data of their own: the history tables of
# simple-history (their base model is listed) and the tree's own parent link.
NOT_ACCOUNT_DATA = {"customers.unit"}


def _points_at_a_unit(model) -> bool:
    return any(
        field.is_relation and field.many_to_one and field.related_model is Unit
        for field in model._meta.get_fields()
    )


def test_every_model_with_a_unit_key_is_in_the_visibility_table():
    missing = sorted(
        model._meta.label_lower
        for model in apps.get_models()
        if model._meta.app_label.startswith(("customers", "sales", "interactions"))
        or model.__module__.startswith("kam.")
        if _points_at_a_unit(model)
        and not model.__name__.startswith("Historical")
        and model._meta.label_lower not in VISIBLE_THROUGH
        and model._meta.label_lower not in NOT_ACCOUNT_DATA
    )
    assert missing == []


def test_every_listed_path_leads_to_a_unit():
    for label, through in VISIBLE_THROUGH.items():
        model = apps.get_model(label)
        for step in [s for s in through.split("__") if s]:
            model = model._meta.get_field(step).related_model
        assert model is Unit, label
