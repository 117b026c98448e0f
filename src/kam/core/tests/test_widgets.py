"""The shared form widgets."""

from __future__ import annotations

import pytest
from django import forms

from kam.core.widgets import QuickSelect
from kam.testing.html import parse

CHOICES = [("", "—"), ("a", "Alpha & Co"), ("Group", [("b", "Beta"), ("c", "Gamma")])]


class _Form(forms.Form):
    choice = forms.ChoiceField(
        choices=CHOICES, required=False, widget=QuickSelect(attrs={"class": "form-select"})
    )


class _Plain(forms.Form):
    choice = forms.ChoiceField(
        choices=CHOICES, required=False, widget=forms.Select(attrs={"class": "form-select"})
    )


@pytest.mark.parametrize("chosen", ["", "a", "c"])
def test_a_quick_select_writes_what_a_select_writes(chosen):
    ours = parse(str(_Form({"choice": chosen})["choice"]))
    theirs = parse(str(_Plain({"choice": chosen})["choice"]))
    select = ours.find("select")
    assert (select.attrs["name"], select.attrs["class"]) == ("choice", "form-select")
    options = [(o.attrs["value"], o.text, "selected" in o.attrs) for o in ours.find_all("option")]
    assert options == [
        (o.attrs["value"], o.text, "selected" in o.attrs) for o in theirs.find_all("option")
    ]
    assert [o.attrs["label"] for o in ours.find_all("optgroup")] == ["Group"]
    assert sum(selected for _v, _t, selected in options) == 1
    assert "Alpha &amp; Co" in str(_Form()["choice"])  # labels are escaped
