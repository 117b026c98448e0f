"""The two modes of Table 6.1 (PRODUCT §10, DOMAIN §12): a lean sales page for transactional
accounts, and a side-by-side comparison of the key and the transactional groups. The figures come
from :mod:`kam.health.modes`, which the API reads too."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require
from kam.customers.models import Tier, Unit
from kam.health.modes import key_kpis, lean_account, modes_comparison


@login_required
@require_GET
def account_lean(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The sales view of an account: for a transactional account, its page (Table 6.1)."""
    unit = get_for_user(
        Unit.objects.select_related("account_manager"), request.user, "kam.view_account", pk=pk
    )
    account = unit.account
    today = timezone.localdate()
    return render(
        request,
        "web/account_lean.html",
        {
            "account": account,
            "is_key": account.tier != Tier.TRANSACTIONAL,
            "kpis": key_kpis(account=account, as_of=today)
            if account.tier != Tier.TRANSACTIONAL
            else [],
            "currency": settings.KAM_CURRENCY,
            "today": today,
            **lean_account(account=account, as_of=today),
        },
    )


@login_required
@require_GET
def modes(request: AuthedHttpRequest) -> HttpResponseBase:
    """Key accounts and transactional accounts side by side (Table 6.1)."""
    require(request.user, "kam.view_account")
    today = timezone.localdate()
    data = modes_comparison(user=request.user, as_of=today)
    return render(
        request,
        "web/modes.html",
        {**data, "currency": settings.KAM_CURRENCY, "today": today},
    )
