"""An account's opportunities (open first, paged) and its supplier position (current, history,
a form to record a change). Thin: permission helper, selector, service."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kam.core import pages
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require
from kam.core.validation import date_error
from kam.customers.models import Unit
from kam.sales.models import SupplierPositionLevel, reporting_currency
from kam.sales.selectors import OPEN_STAGES, account_opportunities, supplier_positions
from kam.sales.services import supplier_position_set

VIEW, CHANGE = "kam.view_account", "kam.change_account"
OPPORTUNITY_PAGE_SIZE = 20
POSITION_HISTORY_LIMIT = 50


@login_required
@require_GET
def account_opportunities_view(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The page, or its table alone for an htmx request (the account page loads it)."""
    unit = get_for_user(Unit.objects.all(), request.user, VIEW, pk=pk)
    try:
        page = pages.page_number(request)
        rows, count, page_total = pages.paginate(
            account_opportunities(unit=unit), page, OPPORTUNITY_PAGE_SIZE
        )
    except pages.BadQuery as exc:
        return pages.bad_request(request, str(exc))
    context = {
        "unit": unit,
        "rows": rows,
        "count": count,
        "page": page,
        "pages": page_total,
        "open_stages": [str(s) for s in OPEN_STAGES],
        "currency": reporting_currency(),
    }
    template = "web/_opportunities.html" if request.htmx else "web/account_opportunities.html"
    return render(request, template, context)


class SupplierPositionForm(forms.Form):
    position = forms.ChoiceField(label=gettext_lazy("Position"), choices=SupplierPositionLevel)
    since = forms.DateField(
        label=gettext_lazy("Since"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean_since(self):
        value = self.cleaned_data["since"]
        message = date_error(value)
        if message:
            raise forms.ValidationError(message)
        return value


@login_required
@require_http_methods(["GET", "POST"])
def account_position(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    unit = get_for_user(Unit.objects.accounts(), request.user, VIEW, pk=pk)
    can_change = request.user.has_perm(CHANGE, unit)
    status = 200
    if request.method == "POST":
        require(request.user, CHANGE, unit)
        form = SupplierPositionForm(request.POST)
        if form.is_valid():
            try:
                supplier_position_set(account=unit, user=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The supplier position has been recorded."))
                return redirect("web:account_position", pk=unit.pk)
        status = 400
    else:
        form = SupplierPositionForm(initial={"since": timezone.localdate()})
    history = list(supplier_positions(account=unit)[:POSITION_HISTORY_LIMIT])
    context = {
        "unit": unit,
        "form": form,
        "current": history[0] if history else None,
        "history": history,
        "can_change": can_change,
    }
    return render(request, "web/account_position.html", context, status=status)
