"""An account's costs to serve (issue 17): by month with totals, a form to add or change a row,
a delete. Those who may change the account write; those who may see it read. Written by the
sales services, which the API and the import use too."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kam.core import pages
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require
from kam.core.validation import date_error
from kam.customers.models import Unit
from kam.sales.models import CostCategory, CostToServe, reporting_currency
from kam.sales.selectors import cost_to_serve_by_month, costs_to_serve
from kam.sales.services import cost_to_serve_delete, cost_to_serve_save

VIEW, CHANGE = "kam.view_account", "kam.change_account"
PAGE_SIZE = 50


class CostToServeForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=Unit.objects.none())
    month = forms.DateField(
        label=gettext_lazy("Month"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text=gettext_lazy("The month the cost belongs to."),
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=CostCategory.choices)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), min_value=0, max_digits=16, decimal_places=2
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)

    def __init__(self, *args, account: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        unit_field.queryset = Unit.objects.subtree(account).order_by("path")
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean_month(self):
        value = self.cleaned_data["month"]
        message = date_error(value)
        if message:
            raise forms.ValidationError(message)
        return value


def _year(request: AuthedHttpRequest) -> int:
    raw = request.GET.get("year") or ""
    if not raw:
        return timezone.localdate().year
    if not raw.isdigit() or not 1900 <= int(raw) <= 2100:
        raise pages.BadQuery(_("“%(value)s” is not a year.") % {"value": raw[:20]})
    return int(raw)


def _save(request: AuthedHttpRequest, form: CostToServeForm, cost: CostToServe | None) -> bool:
    if not form.is_valid():
        return False
    data = dict(form.cleaned_data)
    unit = data.pop("unit")
    try:
        cost_to_serve_save(cost=cost, unit_id=unit.pk, **data)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    messages.success(request, _("The cost to serve has been saved."))
    return True


@login_required
@require_http_methods(["GET", "POST"])
def account_costs(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The costs of one year by month and category, the rows of that year, and (for those who
    may change the account) a form to add a row."""
    unit = get_for_user(Unit.objects.all(), request.user, VIEW, pk=pk)
    can_change = request.user.has_perm(CHANGE, unit)
    status = 200
    if request.method == "POST":
        require(request.user, CHANGE, unit)
        form = CostToServeForm(request.POST, account=unit)
        if _save(request, form, None):
            return redirect("web:account_costs", pk=unit.pk)
        status = 400
    else:
        form = CostToServeForm(
            account=unit, initial={"unit": unit.pk, "month": timezone.localdate().replace(day=1)}
        )
    try:
        year = _year(request)
        page = pages.page_number(request)
        qs = costs_to_serve(account=unit).filter(month__year=year)
        rows, count, page_total = pages.paginate(qs, page, PAGE_SIZE)
    except pages.BadQuery as exc:
        return pages.bad_request(request, str(exc))
    months = cost_to_serve_by_month(account=unit, year=year)
    categories = list(CostCategory.choices)
    context = {
        "unit": unit,
        "form": form,
        "can_change": can_change,
        "year": year,
        "months": [
            {**m, "cells": [m["by_category"].get(code) for code, _label in categories]}
            for m in months
        ],
        "categories": categories,
        "year_total": sum((m["total"] for m in months), 0),
        "rows": rows,
        "count": count,
        "page": page,
        "pages": page_total,
        "currency": reporting_currency(),
    }
    return render(request, "web/account_costs.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def cost_edit(request: AuthedHttpRequest, pk: int, cost_pk: int) -> HttpResponseBase:
    unit = get_for_user(Unit.objects.all(), request.user, VIEW, pk=pk)
    require(request.user, CHANGE, unit)
    cost = get_object_or_404(costs_to_serve(account=unit), pk=cost_pk)
    if request.method == "POST":
        form = CostToServeForm(request.POST, account=unit)
        if _save(request, form, cost):
            return redirect("web:account_costs", pk=unit.pk)
        status = 400
    else:
        status = 200
        form = CostToServeForm(
            account=unit,
            initial={
                "unit": cost.unit_id,
                "month": cost.month,
                "category": cost.category,
                "amount": cost.amount,
                "note": cost.note,
            },
        )
    context = {"unit": unit, "form": form, "cost": cost, "currency": reporting_currency()}
    return render(request, "web/cost_form.html", context, status=status)


@login_required
@require_POST
def cost_delete(request: AuthedHttpRequest, pk: int, cost_pk: int) -> HttpResponseBase:
    unit = get_for_user(Unit.objects.all(), request.user, VIEW, pk=pk)
    require(request.user, CHANGE, unit)
    cost_to_serve_delete(cost=get_object_or_404(costs_to_serve(account=unit), pk=cost_pk))
    messages.success(request, _("The cost to serve has been deleted."))
    return redirect("web:account_costs", pk=unit.pk)
