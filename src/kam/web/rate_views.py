"""Currency rates typed in: a list, a form to add or change one, a delete (decision 99).

Administrators (who import rates) change them; executives read them. Written by the sales
rates service, which the API and the import use too.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.core import pages
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import require
from kam.core.validation import date_error
from kam.sales.models import CurrencyRate, reporting_currency
from kam.sales.selectors import currency_rates
from kam.sales.services import currency_rate_delete, currency_rate_save

VIEW_RATES, CHANGE_RATES = "kam.view_rates", "kam.change_rates"
PAGE_SIZE = 50


def _checked_date(value):
    message = date_error(value) if value else None
    if message:
        raise forms.ValidationError(message)
    return value


class CurrencyRateForm(forms.Form):
    currency = forms.CharField(
        label=gettext_lazy("Currency"),
        max_length=3,
        help_text=gettext_lazy("ISO 4217 code, e.g. USD"),
    )
    valid_from = forms.DateField(
        label=gettext_lazy("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=gettext_lazy("Valid to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The last day; empty: until further notice."),
    )
    rate = forms.DecimalField(
        label=gettext_lazy("Rate"), max_digits=18, decimal_places=8, min_value=0
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
        self.fields["rate"].help_text = _("One unit of the currency in %(currency)s.") % {
            "currency": reporting_currency()
        }

    def clean_valid_from(self):
        return _checked_date(self.cleaned_data.get("valid_from"))

    def clean_valid_to(self):
        return _checked_date(self.cleaned_data.get("valid_to"))


@login_required
@require_GET
def rates(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW_RATES)
    currency = request.GET.get("currency", "").strip()[:3]
    try:
        page = pages.page_number(request)
        rows, count, page_total = pages.paginate(
            currency_rates(currency=currency or None), page, PAGE_SIZE
        )
    except pages.BadQuery as exc:
        return pages.bad_request(request, str(exc))
    context = {
        "rows": rows,
        "count": count,
        "page": page,
        "pages": page_total,
        "currency": currency.upper(),
        "reporting": reporting_currency(),
        "can_change": request.user.has_perm(CHANGE_RATES),
    }
    return render(request, "web/rates.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rate_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponseBase:
    require(request.user, CHANGE_RATES)
    current = get_object_or_404(CurrencyRate, pk=pk) if pk is not None else None
    if request.method == "POST":
        form = CurrencyRateForm(request.POST)
        if form.is_valid():
            try:
                currency_rate_save(currency_rate=current, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The rate has been saved."))
                return redirect("web:rates")
        return render(request, "web/rate_form.html", {"form": form, "rate": current}, status=400)
    initial = {}
    if current is not None:
        initial = {
            "currency": current.currency,
            "valid_from": current.valid_from,
            "valid_to": current.valid_to,
            "rate": current.rate,
        }
    return render(
        request, "web/rate_form.html", {"form": CurrencyRateForm(initial=initial), "rate": current}
    )


@login_required
@require_POST
def rate_delete(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    require(request.user, CHANGE_RATES)
    currency_rate_delete(currency_rate=get_object_or_404(CurrencyRate, pk=pk))
    messages.success(request, _("The rate has been deleted."))
    return redirect("web:rates")
