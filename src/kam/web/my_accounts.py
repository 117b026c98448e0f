"""My accounts: the landing page of key account managers and sales managers."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kam.alerts.services import inbox_visit
from kam.core import pages
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import EXECUTIVE, KAM, SALES_MANAGER, require

from .inbox import inbox
from .selectors import my_account_ids, my_account_rows, my_accounts_page_queryset

PAGE_SIZE = 50
# Who lands on My accounts; executives land on the dashboard (decision 92); everyone else
# (field reps, specialists, administrators) lands on the portfolio (decision 44).
LANDS_ON_MY_ACCOUNTS = (KAM, SALES_MANAGER)
LANDS_ON_DASHBOARD = (EXECUTIVE,)


@login_required
def home(request: AuthedHttpRequest) -> HttpResponseBase:
    if request.user.role in LANDS_ON_MY_ACCOUNTS:
        return redirect("web:my_accounts")
    if request.user.role in LANDS_ON_DASHBOARD:
        return redirect("dashboard:page")
    return redirect("web:portfolio")


@login_required
@require_GET
def my_accounts(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, "kam.view_account")
    today = timezone.localdate()
    try:
        page = pages.page_number(request)
        accounts, count, page_total = pages.paginate(
            my_accounts_page_queryset(request.user), page, PAGE_SIZE
        )
    except pages.BadQuery as exc:
        return pages.bad_request(request, str(exc))
    return render(
        request,
        "web/my_accounts.html",
        {
            "rows": my_account_rows(accounts=accounts, as_of=today),
            "count": count,
            "page": page,
            "pages": page_total,
            "currency": settings.KAM_CURRENCY,
            "today": today,
        },
    )


@login_required
@require_GET
def inbox_panel(request: AuthedHttpRequest) -> HttpResponseBase:
    """The inbox on My accounts (loaded by HTMX after the page): open alerts, due actions,
    cooling relationships and what changed since the last visit, which this request records."""
    require(request.user, "kam.view_account")
    state = inbox_visit(user=request.user)
    return render(
        request,
        "web/_inbox.html",
        {
            "inbox": inbox(
                user=request.user, account_ids=my_account_ids(request.user), since=state.since
            ),
            "today": timezone.localdate(),
        },
    )
