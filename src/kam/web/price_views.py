"""The price list (issue 17, decision 105): list prices per product from a day on. Products are
catalogue data: administrators change prices, executives read them. Written by the sales
list-price service, which the API and the import use too."""

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
from kam.sales.models import ListPrice, Product, reporting_currency
from kam.sales.selectors import list_prices
from kam.sales.services import list_price_delete, list_price_save

VIEW_PRICES, CHANGE_PRICES = "kam.view_prices", "kam.change_prices"
PAGE_SIZE = 50


class ListPriceForm(forms.Form):
    product = forms.CharField(label=gettext_lazy("Product SKU"), max_length=64)
    valid_from = forms.DateField(
        label=gettext_lazy("Valid from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Valid until the product's next list price starts."),
    )
    price = forms.DecimalField(
        label=gettext_lazy("List price per unit"), max_digits=16, decimal_places=4, min_value=0
    )
    currency = forms.CharField(
        label=gettext_lazy("Currency"),
        max_length=3,
        required=False,
        help_text=gettext_lazy("ISO 4217 code; empty: the reporting currency."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def clean_product(self) -> Product:
        sku = (self.cleaned_data.get("product") or "").strip()
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise forms.ValidationError(_("No product has the SKU %(sku)s.") % {"sku": sku})
        return product

    def clean_valid_from(self):
        value = self.cleaned_data.get("valid_from")
        message = date_error(value) if value else None
        if message:
            raise forms.ValidationError(message)
        return value


@login_required
@require_GET
def prices(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW_PRICES)
    product = request.GET.get("product", "").strip()[:64]
    try:
        page = pages.page_number(request)
        rows, count, page_total = pages.paginate(
            list_prices(product=product or None), page, PAGE_SIZE
        )
    except pages.BadQuery as exc:
        return pages.bad_request(request, str(exc))
    context = {
        "rows": rows,
        "count": count,
        "page": page,
        "pages": page_total,
        "product": product,
        "reporting": reporting_currency(),
        "can_change": request.user.has_perm(CHANGE_PRICES),
    }
    return render(request, "web/prices.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def price_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponseBase:
    require(request.user, CHANGE_PRICES)
    current = (
        get_object_or_404(ListPrice.objects.select_related("product"), pk=pk)
        if pk is not None
        else None
    )
    if request.method == "POST":
        form = ListPriceForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                list_price_save(
                    list_price=current,
                    product_id=data["product"].pk,
                    valid_from=data["valid_from"],
                    price=data["price"],
                    currency=data.get("currency"),
                )
            except DomainError as exc:
                field = {"product_id": "product"}.get(exc.field or "", exc.field)
                form.add_error(field if field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The list price has been saved."))
                return redirect("web:prices")
        return render(request, "web/price_form.html", {"form": form, "price": current}, status=400)
    initial = {}
    if current is not None:
        initial = {
            "product": current.product.sku,
            "valid_from": current.valid_from,
            "price": current.price,
            "currency": current.currency,
        }
    return render(
        request, "web/price_form.html", {"form": ListPriceForm(initial=initial), "price": current}
    )


@login_required
@require_POST
def price_delete(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    require(request.user, CHANGE_PRICES)
    list_price_delete(list_price=get_object_or_404(ListPrice, pk=pk))
    messages.success(request, _("The list price has been deleted."))
    return redirect("web:prices")
