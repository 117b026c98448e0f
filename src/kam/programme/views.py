"""Pages of the KAM programme: overview (radar, conditions, recommendations, risks), the
accounts behind an indicator or a risk, campaigns and the respondent's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import has_role_rule, require, visible
from kam.customers.models import Unit
from kam.sales.models import reporting_currency

from . import dashboard, selectors, services
from .forms import AnswersForm, CampaignForm, StatementEditForm, StatementForm
from .models import Campaign, CampaignStatus, Condition, Group, Statement

VIEW, RUN, ANSWER = "kam.view_programme", "kam.run_assessment", "kam.answer_assessment"
PER_PAGE = 50


def _require_role(request: AuthedHttpRequest, perm: str) -> None:
    """A rule that needs the role itself: superuser status does not replace it."""
    if not has_role_rule(request.user, perm):
        raise PermissionDenied


def _radar(scores: list[selectors.ConditionScore]) -> dict[str, Any]:
    return {
        "conditions": [{"n": s.condition, "label": str(s.label), "weak": s.weak} for s in scores],
        "series": {
            "score": [s.score for s in scores],
            "survey": [s.survey for s in scores],
            "indicators": [s.indicator for s in scores],
        },
        "labels": {
            "score": _("Condition score"),
            "survey": _("Survey"),
            "indicators": _("Indicators"),
        },
    }


@login_required
@require_GET
def overview(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    today = timezone.localdate()
    # kept for a few minutes: computed from every account (decision 124)
    kept = services.programme_current(as_of=today)
    found, risks = kept.figures
    campaign = selectors.campaign_latest()
    result = selectors.survey(campaign=campaign) if campaign else None
    scores = selectors.condition_scores(as_of=today, found=found, result=result)
    is_exec = has_role_rule(request.user, RUN)
    # names only of the accounts the user may see (restricted visibility)
    top = Unit.objects.filter(pk__in=[s.account_id for s in risks["shares"][:20]])
    names = dict(visible(request.user, top).values_list("pk", "name"))
    pareto = [
        {
            **p,
            "name": names.get(p["account_id"], _("an account"))
            if p["account_id"] is not None
            else _("all other accounts"),
        }
        for p in risks["concentration"]["pareto"]
    ]
    return render(
        request,
        "programme/overview.html",
        {
            "scores": scores,
            "radar": _radar(scores),
            "recommendations": selectors.recommendations(scores),
            "campaign": campaign,
            "survey": result,
            "is_exec": is_exec,
            "trend": selectors.trend(),
            "conditions": Condition.choices,
            "risks": risks["items"],
            "pareto": pareto,
            "concentration": risks["concentration"],
            "my_campaigns": selectors.open_campaigns_for(user=request.user),
            "currency": reporting_currency(),
            "computed_at": kept.computed_at,
            "keep_minutes": int(services.PROGRAMME_KEEP.total_seconds() // 60),
        },
    )


def _accounts_page(
    request: AuthedHttpRequest, ids: list[int], context: dict[str, Any]
) -> HttpResponse:
    visible_ids = (
        set(visible(request.user, Unit.objects.filter(pk__in=ids)).values_list("pk", flat=True))
        if getattr(settings, "KAM_RESTRICTED_VISIBILITY", False)
        else set(ids)
    )
    ordered = [pk for pk in ids if pk in visible_ids]
    page = Paginator(ordered, PER_PAGE).get_page(request.GET.get("page"))
    units = {u.pk: u for u in selectors.accounts_behind(list(page.object_list))}
    notes = context.get("notes") or {}
    context.update(
        {
            "page": page,
            "accounts": [units[pk] for pk in page.object_list if pk in units],
            "rows": [(units[pk], notes.get(pk, "")) for pk in page.object_list if pk in units],
        }
    )
    return render(request, "programme/accounts.html", context)


@login_required
@require_GET
def indicator_accounts(request: AuthedHttpRequest, key: str) -> HttpResponseBase:
    require(request.user, VIEW)
    found = selectors.indicator(key=key, as_of=timezone.localdate())
    if found is None:
        raise Http404
    return _accounts_page(
        request,
        found.accounts,
        {
            "title": found.label,
            "indicator": found,
            "condition": Condition(found.condition).label,
            "advice": selectors._advice(found) if found.advice and found.accounts else "",
        },
    )


@login_required
@require_POST
def refresh(request: AuthedHttpRequest) -> HttpResponseBase:
    """Compute the kept overview again now (decision 124)."""
    require(request.user, VIEW)
    services.programme_refresh()
    messages.success(request, _("The programme's figures were computed again."))
    return redirect("programme:overview")


@login_required
@require_GET
def risk_accounts(request: AuthedHttpRequest, key: str) -> HttpResponseBase:
    require(request.user, VIEW)
    _found, risks = services.programme_current(as_of=timezone.localdate()).figures
    items = {r.key: r for r in risks["items"]}
    risk = items.get(key)
    if risk is None:
        raise Http404
    notes = selectors.risk_account_notes(risk)
    return _accounts_page(
        request, risk.accounts, {"title": risk.label, "risk": risk, "notes": notes}
    )


@login_required
@require_GET
def campaigns(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    is_exec = has_role_rule(request.user, RUN)
    return render(
        request,
        "programme/campaigns.html",
        {
            "campaigns": list(selectors.campaign_list()[:100]) if is_exec else [],
            "mine": selectors.open_campaigns_for(user=request.user),
            "is_exec": is_exec,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: AuthedHttpRequest) -> HttpResponseBase:
    _require_role(request, RUN)
    today = timezone.localdate()
    form = CampaignForm(
        request.POST or None,
        initial={
            "name": _("Programme assessment %(date)s") % {"date": today.isoformat()},
            "period_start": today,
            "period_end": today + dt.timedelta(days=30),
            "groups": list(Group.values),
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = services.campaign_open(actor=request.user, **data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The campaign is open; the respondents are notified."))
                return redirect("programme:campaign", campaign.pk)
        status = 400
    return render(request, "programme/campaign_new.html", {"form": form}, status=status)


def _campaign(pk: int) -> Campaign:
    campaign: Campaign = get_object_or_404(Campaign.objects.select_related("opened_by"), pk=pk)
    return campaign


@login_required
@require_GET
def campaign_detail(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    _require_role(request, RUN)
    campaign = _campaign(pk)
    result = selectors.survey(campaign=campaign)
    scores = selectors.condition_scores(as_of=timezone.localdate(), result=result)
    return render(
        request,
        "programme/campaign.html",
        {
            "campaign": campaign,
            "survey": result,
            "scores": scores,
            "radar": _radar(scores),
            "statements": selectors.campaign_statements(campaign=campaign),
            "language": get_language() or "en",
            "asked": selectors.respondents_asked(campaign=campaign),
        },
    )


@login_required
@require_POST
def campaign_close(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    _require_role(request, RUN)
    campaign = _campaign(pk)
    try:
        services.campaign_close(campaign=campaign, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("programme:campaign", campaign.pk)
    messages.success(request, _("The campaign is closed."))
    return redirect("programme:campaign", campaign.pk)


@login_required
@require_POST
def campaign_remind(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    _require_role(request, RUN)
    campaign = _campaign(pk)
    try:
        sent = services.campaign_remind(campaign=campaign, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(n)d respondents reminded.") % {"n": sent})
    return redirect("programme:campaign", campaign.pk)


def _statements_page(
    request: AuthedHttpRequest,
    form: StatementForm | None = None,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "programme/statements.html",
        {
            "conditions": selectors.statements_by_condition(),
            "form": form or StatementForm(),
            "error": error,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def statements(request: AuthedHttpRequest) -> HttpResponseBase:
    """Executives edit the assessment statements: per condition, add, edit, retire (PRODUCT §9:
    a default set in English and Russian, editable)."""
    _require_role(request, RUN)
    if request.method != "POST":
        return _statements_page(request)
    form = StatementForm(request.POST)
    if form.is_valid():
        try:
            services.statement_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The statement is added; the next campaign asks it."))
            return redirect("programme:statements")
    return _statements_page(request, form, status=400)


def _statement(pk: int) -> Statement:
    found: Statement = get_object_or_404(Statement, pk=pk)
    return found


@login_required
@require_http_methods(["GET", "POST"])
def statement_edit(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    _require_role(request, RUN)
    statement = _statement(pk)
    form = StatementEditForm(request.POST or None, instance=statement)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.statement_update(
                    statement=_statement(pk), actor=request.user, data=dict(form.cleaned_data)
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The statement is saved."))
                return redirect("programme:statements")
        status = 400
    return render(
        request,
        "programme/statement_edit.html",
        {
            "form": form,
            "statement": statement,
            "answers": statement.responses.count(),
        },
        status=status,
    )


@login_required
@require_POST
def statement_active(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """Retire (``active=0``) or restore (``active=1``) a statement."""
    _require_role(request, RUN)
    statement = _statement(pk)
    wanted = request.POST.get("active")
    if wanted not in ("0", "1"):
        return _statements_page(
            request, error=_("Say whether to retire (0) or restore (1) it."), status=400
        )
    try:
        if wanted == "0":
            services.statement_retire(statement=statement, actor=request.user)
        else:
            services.statement_restore(statement=statement, actor=request.user)
    except DomainError as exc:
        return _statements_page(
            request, error=exc.message, status=409 if exc.code == "conflict" else 400
        )
    messages.success(
        request,
        _("The statement is retired.") if wanted == "0" else _("The statement is active again."),
    )
    return redirect("programme:statements")


@login_required
@require_http_methods(["GET", "POST"])
def respond(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """A respondent's page (works at 390 px): the statements, their own answers only."""
    require(request.user, ANSWER)
    campaign = _campaign(pk)
    if request.user.role not in campaign.groups:
        raise PermissionDenied
    language = get_language() or "en"
    statements = selectors.campaign_statements(campaign=campaign)
    own = {r.statement_id: r for r in selectors.own_responses(campaign=campaign, user=request.user)}
    initial: dict[str, Any] = {}
    for sid, r in own.items():
        initial[f"answer_{sid}"] = str(r.answer)
        initial[f"comment_{sid}"] = r.comment
    form = AnswersForm(
        request.POST or None, initial=initial, statements=statements, language=language
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                n = services.responses_submit(
                    campaign=campaign, respondent=request.user, answers=form.answers()
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Thank you: %(n)d answers saved.") % {"n": n})
                return redirect("programme:respond", campaign.pk)
        status = 400
    rows = [
        {
            "statement": s,
            "condition": Condition(s.condition).label,
            "answer": form[f"answer_{s.pk}"],
            "comment": form[f"comment_{s.pk}"],
        }
        for s in statements
    ]
    return render(
        request,
        "programme/respond.html",
        {
            "campaign": campaign,
            "form": form,
            "rows": rows,
            "closed": campaign.status != CampaignStatus.OPEN,
            "answered": len(own),
        },
        status=status,
    )


# --- The executive dashboard (decision 92) ------------------------------------------------------

DASHBOARD = "kam.view_dashboard"


@login_required
@require_GET
def dashboard_page(request: AuthedHttpRequest) -> HttpResponseBase:
    """The executives' landing page: the kept figures (marked "Being updated" while the job
    worker recomputes them)."""
    require(request.user, DASHBOARD)
    snapshot = services.dashboard_current()
    figures = dashboard.present(snapshot.payload)
    charts = {
        "matrix": figures["matrix"],
        "health": figures["health"]["grades"],
        "stages": figures["stages"]["stages"],
        "conditions": figures["conditions"],
        "labels": {"score": _("Condition score"), "survey": _("Survey")},
    }
    return render(
        request,
        "programme/dashboard.html",
        {
            "d": figures,
            "charts": charts,
            "snapshot": snapshot,
            "currency": reporting_currency(),
        },
    )


@login_required
@require_GET
def dashboard_status(request: AuthedHttpRequest) -> HttpResponseBase:
    """Polled by the page's "Being updated" badge (decision 135): once the job worker has kept
    figures newer than those shown (``computed``), htmx reloads the page; until then the badge
    is answered again."""
    require(request.user, DASHBOARD)
    try:
        shown = dt.datetime.fromisoformat(request.GET.get("computed", ""))
    except ValueError:
        shown = None
    if shown is None or timezone.is_naive(shown):
        return HttpResponse(
            _("Say which figures the page shows: computed=<the moment, with its time zone>."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = render(request, "programme/_dashboard_updating.html", {"computed_at": shown})
    if selectors.dashboard_is_newer(shown):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def dashboard_accounts(request: AuthedHttpRequest, key: str) -> HttpResponseBase:
    """The accounts behind a dashboard figure that has no list page of its own."""
    require(request.user, DASHBOARD)
    ids = dashboard.accounts_for(key, as_of=timezone.localdate())
    if ids is None:
        raise Http404
    return _accounts_page(
        request, ids, {"title": dashboard.figure_title(key), "from_dashboard": True}
    )
