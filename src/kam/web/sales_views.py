"""An account's opportunities (open first, paged) and its supplier position (current, history,
a form to record a change). Thin: permission helper, selector, service."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
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
from kam.people.models import User
from kam.sales.models import (
    OpportunityStage,
    Product,
    ProductLine,
    SupplierPositionLevel,
    reporting_currency,
)
from kam.sales.selectors import OPEN_STAGES, account_opportunities, supplier_positions
from kam.sales.services import opportunity_create, opportunity_update, supplier_position_set

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
        "can_change": request.user.has_perm(CHANGE, unit),
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


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


def _checked_date(value):
    message = date_error(value) if value else None
    if message:
        raise forms.ValidationError(message)
    return value


class OpportunityForm(forms.Form):
    """Every field the API accepts; the sales services check the rest, as for the API."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=Unit.objects.none())
    product_line = forms.ModelChoiceField(
        label=gettext_lazy("Product line"),
        required=False,
        queryset=ProductLine.objects.order_by("name"),
        help_text=gettext_lazy("Leave empty when a product is given: it names its line."),
    )
    product = forms.CharField(
        label=gettext_lazy("Product SKU"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("Optional: the product's SKU."),
    )
    stage = forms.ChoiceField(
        label=gettext_lazy("Stage"), choices=OpportunityStage.choices, initial="qualify"
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), min_value=0, max_digits=16, decimal_places=2, initial=0
    )
    probability = forms.IntegerField(
        label=gettext_lazy("Probability %"), min_value=0, max_value=100, initial=10
    )
    engaged_on = forms.DateField(
        label=gettext_lazy("Engaged on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("When it was opened (its creation date in the CRM)."),
    )
    expected_close = forms.DateField(
        label=gettext_lazy("Expected close"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner"),
        required=False,
        queryset=User.objects.filter(is_active=True)
        .exclude(role="")
        .order_by("last_name", "first_name", "username"),
    )
    external_id = forms.CharField(
        label=gettext_lazy("Code in the CRM"), required=False, max_length=64
    )

    def __init__(self, *args, account: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        unit_field.queryset = Unit.objects.subtree(account).order_by("path")
        _styled(self)

    def clean_product(self) -> Product | None:
        sku = (self.cleaned_data.get("product") or "").strip()
        if not sku:
            return None
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise forms.ValidationError(_("No product has the SKU %(sku)s.") % {"sku": sku})
        return product

    def clean_engaged_on(self):
        return _checked_date(self.cleaned_data.get("engaged_on"))

    def clean_expected_close(self):
        return _checked_date(self.cleaned_data.get("expected_close"))


def _opportunity_fields(form: OpportunityForm) -> dict:
    data = dict(form.cleaned_data)
    data["external_id"] = (data.get("external_id") or "").strip() or None
    return data


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit(
    request: AuthedHttpRequest, pk: int, opportunity_pk: int | None = None
) -> HttpResponseBase:
    """Create (``opportunity_pk`` None) or change an opportunity of the account ``pk``: the
    permissions of the API (change the account), written by the sales services."""
    unit = get_for_user(Unit.objects.all(), request.user, VIEW, pk=pk)
    require(request.user, CHANGE, unit)
    opportunity = None
    if opportunity_pk is not None:
        opportunity = get_object_or_404(account_opportunities(unit=unit), pk=opportunity_pk)
    if request.method == "POST":
        form = OpportunityForm(request.POST, account=unit)
        if form.is_valid():
            data = _opportunity_fields(form)
            try:
                if opportunity is None:
                    opportunity_create(**data)
                else:
                    opportunity_update(opportunity=opportunity, **data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The opportunity has been saved."))
                return redirect("web:account_opportunities", pk=unit.pk)
        status = 400
    else:
        status = 200
        if opportunity is None:
            initial: dict = {"unit": unit.pk, "owner": request.user.pk}
        else:
            initial = {
                "name": opportunity.name,
                "unit": opportunity.unit_id,
                "product_line": opportunity.product_line_id,
                "product": opportunity.product.sku if opportunity.product else "",
                "stage": opportunity.stage,
                "amount": opportunity.amount,
                "probability": opportunity.probability,
                "engaged_on": opportunity.engaged_on,
                "expected_close": opportunity.expected_close,
                "owner": opportunity.owner_id,
                "external_id": opportunity.external_id or "",
            }
        form = OpportunityForm(initial=initial, account=unit)
    context = {
        "unit": unit,
        "form": form,
        "opportunity": opportunity,
        "currency": reporting_currency(),
    }
    return render(request, "web/opportunity_form.html", context, status=status)
