"""The transactions of an account: a filtered list, correcting and deleting a line.

Thin like every page: the permission helper, the selector (one FilterSet) and the services of
``kam.sales`` (which keep the monthly roll-ups in step).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kam.core import pages
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require
from kam.customers.models import Unit
from kam.sales.filters import TransactionFilter
from kam.sales.models import Transaction
from kam.sales.selectors import transaction_page
from kam.sales.services import transaction_update, transactions_delete

PAGE_SIZE = 50
VIEW, CHANGE = "kam.view_account", "kam.change_account"


class TransactionForm(forms.ModelForm):
    """The correctable fields of a line; the model's validators check dates and amounts."""

    class Meta:
        model = Transaction
        fields = ["date", "product", "quantity", "net_amount", "cost", "currency"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


@login_required
def account_transactions(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    unit = get_for_user(Unit.objects.select_related("account_manager"), request.user, VIEW, pk=pk)
    try:
        page = pages.page_number(request)
        rows, count, page_total, unreadable = transaction_page(
            unit=unit, filters=request.GET, page=page, size=PAGE_SIZE
        )
    except (DomainError, pages.BadQuery) as exc:
        return pages.bad_request(request, getattr(exc, "message", str(exc)))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/account_transactions.html",
        {
            "unit": unit,
            "filter": TransactionFilter(request.GET or None),
            "rows": rows,
            "count": count,
            "page": page,
            "pages": page_total,
            "query": query.urlencode(),
            "can_change": request.user.has_perm(CHANGE, unit),
            "unreadable": unreadable,
        },
    )


def _line(request: AuthedHttpRequest, pk: int) -> Transaction:
    """The line (404), visible (403), whose account the user may change (403)."""
    tx = get_for_user(
        Transaction.objects.select_related("unit", "product"), request.user, VIEW, pk=pk
    )
    require(request.user, CHANGE, tx.unit)
    return tx


@login_required
def transaction_edit(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    tx = _line(request, pk)
    context = {"tx": tx, "unit": tx.unit}
    if request.method == "POST":
        form = TransactionForm(request.POST, instance=Transaction.objects.get(pk=pk))
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            if "product" in data:
                data["product_id"] = data.pop("product").pk
            try:
                transaction_update(tx=tx, **data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The transaction was corrected."))
                return redirect("web:account_transactions", pk=tx.unit.pk)
        return render(request, "web/transaction_edit.html", {**context, "form": form}, status=400)
    form = TransactionForm(instance=tx)
    return render(request, "web/transaction_edit.html", {**context, "form": form})


@login_required
def transaction_delete(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    tx = _line(request, pk)
    if request.method == "POST":
        transactions_delete(ids=[tx.pk])
        messages.success(request, _("The transaction was deleted."))
        return redirect("web:account_transactions", pk=tx.unit.pk)
    return render(request, "web/transaction_delete.html", {"tx": tx, "unit": tx.unit})
