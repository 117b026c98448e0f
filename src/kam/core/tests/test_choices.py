"""A choice field's label: the right one, in the request's language, translating only it."""

from unittest import mock

from django.utils import translation

from kam.customers.models import CustomerFunction, Employment, Seniority
from kam.interactions.models import Interaction


def test_the_label_of_the_value_in_the_active_language():
    employment = Employment(function=CustomerFunction.PURCHASING, seniority=Seniority.BOARD)
    with translation.override("en"):
        assert employment.get_function_display() == "Purchasing"
        assert employment.get_seniority_display() == "Board"
    with translation.override("ru"):
        # the map is kept, the labels in it stay lazy: each language gets its own words
        assert employment.get_function_display() == str(CustomerFunction.PURCHASING.label)
        assert employment.get_function_display() != "Purchasing"


def test_an_unknown_value_is_shown_as_it_is():
    assert Employment(function="astrology").get_function_display() == "astrology"


def test_one_translation_per_label_shown():
    """Django's own method translated every choice on each call (15 functions, 4 levels)."""
    employment = Employment(function=CustomerFunction.FINANCE, seniority=Seniority.SENIOR)
    employment.get_function_display()  # the map is built on first use
    with (
        translation.override("en"),
        mock.patch.object(
            translation._trans,  # type: ignore[attr-defined]
            "gettext",
            wraps=translation._trans.gettext,  # type: ignore[attr-defined]
        ) as gettext,
    ):
        for _ in range(10):
            employment.get_function_display()
            employment.get_seniority_display()
    assert gettext.call_count == 20


def test_every_model_with_choices_gets_the_quick_method():
    def method(model, name):
        return vars(model)[name].func.__module__

    assert method(Employment, "get_function_display") == "kam.core.choices"
    assert method(Interaction, "get_type_display") == "kam.core.choices"
    # the history models that django-simple-history builds too
    assert method(Employment.history.model, "get_history_type_display") == "kam.core.choices"
