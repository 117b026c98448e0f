"""Pages of key-account identification (PRODUCT §3): the scores, an account's explanation, the
portfolio matrix, the scoring model and the nominations queue.

Every view is thin: the permission helper, then a selector or a service, then render. A domain
error becomes a form error with a 400; a permission refusal (from the helper or the service) a
403 page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, prefetch_related_objects
from django.http import (
    Http404,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.core import tabular
from kam.core.errors import DomainError
from kam.core.filters import FilterError, offer_choices
from kam.core.http import AuthedHttpRequest
from kam.core.jobs import worker_missing_for
from kam.core.pages import BadQuery, bad_request, page_number, paginate
from kam.core.periods import add_months
from kam.core.permissions import (
    get_for_user,
    has_role_rule,
    require,
    visibility_restricted,
    visible,
)
from kam.core.validation import check_date
from kam.customers.models import Tier, Unit
from kam.customers.selectors import account_field_values, account_manager_choices
from kam.people.selectors import notifications_unread
from kam.people.services import notifications_mark_read
from kam.sales.models import reporting_currency

from . import exporters
from .explain import explain_expected, explain_left_out, explain_recommendation, explain_wallet
from .filters import ScoreFilter
from .forms import (
    ApproveForm,
    AssessmentForm,
    CriterionFormSet,
    ModelSettingsForm,
    NominateForm,
    NoteForm,
    ReasonForm,
    ScoreFilterForm,
)
from .labels import shown
from .models import (
    AccountAssessment,
    Criterion,
    CriterionGroup,
    DataSource,
    ModelStatus,
    Nomination,
    NominationStatus,
    RunStatus,
    ScoringModel,
    ScoringRun,
)
from .rubric import WILLINGNESS_ANCHORS
from .selectors import (
    QUADRANTS,
    account_manager_candidates,
    account_nominations,
    account_score_latest,
    assessment_history,
    assessment_of,
    backtest,
    buying_criteria_of,
    capacity_warnings,
    matrix_bubbles,
    nomination_list,
    score_list,
    scoring_model_active,
    scoring_run_latest,
    what_if,
)
from .services import (
    assessment_save,
    backtest_store,
    demote,
    model_activate,
    model_change,
    model_draft_from,
    nomination_approve,
    nomination_create,
    nomination_reject,
    review_keep,
    review_start,
    scoring_run_enqueue,
    scoring_run_rerun,
    scoring_runs_reap,
)
from .workflows import NOMINATION_WORKFLOW

VIEW = "kam.view_account"
NOMINATE = "kam.nominate_account"
DECIDE = "kam.decide_nomination"
MANAGE = "kam.manage_scoring"

PAGE_SIZE = 25
QUEUE_PAGE_SIZE = 50
MATRIX_LIMIT = 2000
WHAT_IF_LIMIT = 50
VERSION_LIMIT = 20
NOTIFICATION_LIMIT = 20

# The quadrant names carry a context: "Status" and "Strategic" mean other things elsewhere.
QUADRANT_LABELS = {
    "strategic": pgettext_lazy("portfolio quadrant", "Strategic"),
    "star": pgettext_lazy("portfolio quadrant", "Star"),
    "status": pgettext_lazy("portfolio quadrant", "Status"),
    "streamline": pgettext_lazy("portfolio quadrant", "Streamline"),
}
QUADRANT_ORDER = ["strategic", "star", "status", "streamline"]
WALLET_BASIS = {
    "manual": gettext_lazy("manual estimate"),
    "peer": gettext_lazy("peer estimate"),
    "own": gettext_lazy("own trajectory (peer estimate below own revenue), confidence low"),
    "forecast": gettext_lazy("expected revenue (peer estimate below own revenue), confidence low"),
}
WAITING = [NominationStatus.NOMINATED, NominationStatus.UNDER_REVIEW]


# --------------------------------------------------------------------------------------------
# Scores


# The filters of the scores list shown as selects (the last two offer the values in use).
SCORE_SELECTS = ("recommendation", "scope", "tier", "account_manager", "country", "industry")

# Columns of the scores list: (sort key or "", label, sorted high-to-low first).
SCORE_COLUMNS = [
    ("rank", gettext_lazy("Rank"), False),
    ("name", gettext_lazy("Account"), False),
    ("total", gettext_lazy("Score"), True),
    ("potential", gettext_lazy("Potential"), True),
    ("complexity", gettext_lazy("Complexity"), True),
    ("relational", gettext_lazy("Relational"), True),
    ("completeness", gettext_lazy("Data %"), True),
    ("", gettext_lazy("Recommendation"), False),
    ("", gettext_lazy("Scope"), False),
    ("tier", gettext_lazy("Tier"), False),
    ("country", gettext_lazy("Country"), False),
    ("industry", gettext_lazy("Industry"), False),
    ("account_manager", gettext_lazy("Account manager"), False),
    ("revenue", gettext_lazy("Revenue, last 12 full months"), True),
    ("share", gettext_lazy("Share of wallet"), True),
    ("headroom", gettext_lazy("Headroom"), True),
]


def _headers(sort: str) -> list[dict]:
    headers = []
    for key, label, high_first in SCORE_COLUMNS:
        active = bool(key) and sort.lstrip("-") == key
        if not key:
            following = ""
        elif active:
            following = key if sort.startswith("-") else f"-{key}"
        else:
            following = f"-{key}" if high_first else key
        headers.append(
            {
                "key": key,
                "label": label,
                "next": following,
                "active": active,
                "descending": active and sort.startswith("-"),
            }
        )
    return headers


PENDING = (RunStatus.QUEUED, RunStatus.RUNNING)


def _newest_run() -> ScoringRun | None:
    return ScoringRun.objects.select_related("model").order_by("-created_at", "-pk").first()


@login_required
@require_GET
def scores(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    form = ScoreFilterForm(request.GET)
    if not form.is_valid():
        return bad_request(request, _("The filter could not be applied. %s") % form.problems())
    scoring_runs_reap(quick=True)  # a run whose worker died shows as failed, re-runnable
    filterset = ScoreFilter(request.GET or None)  # the form the page shows
    if filterset.is_bound and not filterset.is_valid():
        return bad_request(request, FilterError(filterset.form).message)
    for field in SCORE_SELECTS[-2:]:
        offer_choices(filterset.form, field, account_field_values(field=field))
    offer_choices(filterset.form, "account_manager", account_manager_choices())
    run = scoring_run_latest()
    rows: list[Any]
    rows, count, pages = [], 0, 1
    if run is not None:
        try:
            scores = form.order(visible(request.user, score_list(run=run, filters=request.GET)))
            rows, count, pages = paginate(scores, form.page_number, PAGE_SIZE)
        except BadQuery as exc:
            return bad_request(request, str(exc))
        except DomainError as exc:
            return bad_request(request, exc.message)
    newest = _newest_run()
    context = {
        "form": filterset.form,
        "selects": SCORE_SELECTS,
        "run": run,
        # A run still going, or one that failed, is shown above the list until a newer one ends.
        "newest": newest if newest and newest.status != RunStatus.DONE else None,
        "rows": rows,
        "count": count,
        "page": form.page_number,
        "pages": pages,
        "sort": form.sort_key,
        "headers": _headers(form.sort_key),
        "warnings": capacity_warnings()["messages"],
        "can_run": request.user.has_perm(MANAGE),
        "active_model": scoring_model_active(),
        "worker_missing": worker_missing_for() if newest and newest.status in PENDING else None,
    }
    return render(request, "identification/scores.html", context)


@login_required
@require_GET
def scores_export(request: AuthedHttpRequest, fmt: str) -> HttpResponseBase:
    require(request.user, VIEW)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    form = ScoreFilterForm(request.GET)
    if not form.is_valid():
        return bad_request(request, _("The filter could not be applied. %s") % form.problems())
    run = scoring_run_latest()
    if run is None:
        return bad_request(request, _("There are no scores yet: run scoring first."))
    try:
        rows = exporters.score_rows(
            form.order(visible(request.user, score_list(run=run, filters=request.GET)))
        )
    except DomainError as exc:
        return bad_request(request, exc.message)
    filename = f"scores-{run.as_of.isoformat()}.{fmt}"
    if fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            tabular.csv_stream(rows), content_type=tabular.CSV_TYPE
        )
    else:
        response = HttpResponse(
            tabular.xlsx_bytes(rows, sheet="Scores"), content_type=tabular.XLSX_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def run_start(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    try:
        run = scoring_run_enqueue(user=request.user)
    except DomainError as exc:
        if request.htmx:
            return render(
                request, "identification/_run_status.html", {"error": exc.message}, status=400
            )
        return bad_request(request, exc.message)
    run.refresh_from_db()
    if request.htmx:
        return render(request, "identification/_run_status.html", {"run": run})
    messages.info(request, _("Scoring has started; the page shows its progress."))
    return redirect("identification:scores")


@login_required
@require_GET
def run_status(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    scoring_runs_reap(quick=True)
    run = get_for_user(ScoringRun.objects.select_related("model"), request.user, VIEW, pk=pk)
    context = {
        "run": run,
        "can_run": request.user.has_perm(MANAGE),
        "worker_missing": worker_missing_for() if run.status in PENDING else None,
    }
    if not request.htmx:
        return render(request, "identification/run.html", context)
    response = render(request, "identification/_run_status.html", context)
    if run.status == RunStatus.DONE and request.GET.get("reload"):
        response["HX-Refresh"] = "true"  # the page that polled shows the new scores
    return response


@login_required
@require_POST
def run_rerun(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """Start a new run like a failed one (the same model, data as of the same day)."""
    run = get_for_user(ScoringRun.objects.select_related("model"), request.user, MANAGE, pk=pk)
    try:
        new = scoring_run_rerun(run=run, user=request.user)
    except DomainError as exc:
        return bad_request(request, exc.message)
    messages.info(request, _("Scoring has started again; the page shows its progress."))
    return redirect("identification:run_status", pk=new.pk)


# --------------------------------------------------------------------------------------------
# Account explanation and nominations


def _number(value, places: int = 1) -> str:
    return number_format(
        round(value, places), decimal_pos=places, use_l10n=True, force_grouping=True
    )


def _raw_text(source: str, raw) -> str:
    """A criterion's raw value in words a person reads (money, %, count, rating)."""
    if raw is None:
        return "—"
    if source in (DataSource.REVENUE_12M, DataSource.WALLET):
        return _number(raw, 0)
    if source in (DataSource.GROWTH, DataSource.MARGIN, DataSource.PURCHASE_CONTINUITY):
        return f"{_number(100 * raw)} %"
    if source == DataSource.WILLINGNESS:
        return _("%(value)s of 10") % {"value": _number(raw)}
    if float(raw).is_integer():
        return _number(raw, 0)
    return _number(raw, 2)


def _explanation(score, model: ScoringModel) -> list[dict]:
    """The score's criteria by group: raw, normalised, weight, contribution, gap."""
    criteria = {c.key: c for c in model.criteria.all()}
    total_weight = sum(float(item.get("weight") or 0) for item in score.breakdown.values()) or 1
    subscores: dict[str, float | None] = {
        CriterionGroup.POTENTIAL: score.potential,
        CriterionGroup.COMPLEXITY: score.complexity,
        CriterionGroup.RELATIONAL: score.relational,
        CriterionGroup.STRATEGIC: score.strategic,
    }
    groups = []
    for group, label in CriterionGroup.choices:
        rows = []
        for key, item in score.breakdown.items():
            if item.get("group") != group:
                continue
            criterion = criteria.get(key)
            weight = float(item.get("weight") or 0)
            rows.append(
                {
                    "key": key,
                    "name": shown(item.get("name", key)),
                    "description": criterion.description_label if criterion else "",
                    "normalisation": criterion.get_normalisation_display() if criterion else "",
                    "raw": _raw_text(criterion.source if criterion else "", item.get("raw")),
                    "normalised": item.get("normalised") or 0,
                    "weight": weight,
                    "weight_pct": 100 * weight / total_weight,
                    "contribution": item.get("contribution") or 0,
                    "gap": bool(item.get("gap")),
                }
            )
        if rows:
            groups.append(
                {
                    "key": group,
                    "label": label,
                    "score": subscores.get(group),
                    "weight": sum(r["weight"] for r in rows),
                    "contribution": sum(r["contribution"] for r in rows),
                    "rows": rows,
                }
            )
    return groups


def _account_context(request: AuthedHttpRequest, unit: Unit, **extra) -> dict:
    score = account_score_latest(account=unit)
    model = groups = explanation = None
    if score is not None:
        model = score.run.model
        prefetch_related_objects(
            [model], Prefetch("criteria", queryset=Criterion.objects.order_by("order", "pk"))
        )
        groups = _explanation(score, model)
        explanation = [
            *explain_recommendation(score, model),
            *explain_left_out(score.run.left_out, model.criteria.all()),
            *explain_expected(score.expected, reporting_currency()),
            *explain_wallet(score.wallet_basis),
        ]
    nominations = list(account_nominations(account=unit))
    for n in nominations:
        n.account = unit  # the review step checks the user's permission on the account
        # the template reads the steps each nomination offers this user
        n.allowed = [t.name for t in NOMINATION_WORKFLOW.allowed(request.user, n)]  # type: ignore[attr-defined]
    can_nominate = (
        request.user.has_perm(NOMINATE, unit)
        and unit.tier == Tier.TRANSACTIONAL
        and not any(n.status == NominationStatus.NOMINATED for n in nominations)
    )
    return {
        "unit": unit,
        "score": score,
        "model": model,
        "groups": groups,
        "explanation": explanation,
        "assessment": AccountAssessment.objects.filter(account=unit).first(),
        "wallet_basis": WALLET_BASIS.get(score.wallet_basis, "") if score else "",
        "nominations": nominations,
        "can_nominate": can_nominate,
        "nominate_form": extra.pop("nominate_form", None) or NominateForm(),
        "scopes": cast(forms.ChoiceField, ApproveForm.base_fields["scope"]).choices,
        "manager_candidates": (
            account_manager_candidates()
            if any("approve" in n.allowed for n in nominations)  # type: ignore[attr-defined]
            else []
        ),
        "today": timezone.localdate(),
        **extra,
    }


def _account_unit(request: AuthedHttpRequest, pk: int) -> Unit:
    return get_for_user(
        Unit.objects.accounts().select_related("account_manager"),
        request.user,
        VIEW,
        pk=pk,
    )


@login_required
@require_GET
def account_score(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    unit = _account_unit(request, pk)
    return render(request, "identification/account_score.html", _account_context(request, unit))


@login_required
@require_POST
def nominate(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    unit = _account_unit(request, pk)
    form = NominateForm(request.POST)
    if form.is_valid():
        try:
            nomination_create(
                account=unit, user=request.user, rationale=form.cleaned_data["rationale"]
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The account has been nominated."))
            return redirect("identification:account_score", pk=unit.pk)
    context = _account_context(request, unit, nominate_form=form)
    context["can_nominate"] = True  # show the form with its errors
    return render(request, "identification/account_score.html", context, status=400)


ASSESSMENT_HISTORY_LIMIT = 20
CHANGE = "kam.change_account"


@login_required
@require_http_methods(["GET", "POST"])
def assessment(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The relational scoring inputs of an account: form, the willingness scale, history."""
    unit = _account_unit(request, pk)
    can_change = request.user.has_perm(CHANGE, unit)
    current = assessment_of(account=unit)
    criteria = buying_criteria_of(account=unit)
    status = 200
    if request.method == "POST":
        require(request.user, CHANGE, unit)
        form = AssessmentForm(request.POST, instance=AccountAssessment(account=unit))
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "buying_criteria"}
            try:
                assessment_save(
                    account=unit,
                    user=request.user,
                    fields=data,
                    buying_criteria=form.criteria_names(),
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The relational inputs have been saved."))
                return redirect("identification:assessment", pk=unit.pk)
        status = 400
    else:
        form = AssessmentForm(
            instance=current or AccountAssessment(account=unit),
            initial={"buying_criteria": "\n".join(c.name for c in criteria)},
        )
    if not can_change:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "unit": unit,
        "form": form,
        "assessment": current,
        "can_change": can_change,
        "anchors": WILLINGNESS_ANCHORS,
        "history": assessment_history(account=unit, limit=ASSESSMENT_HISTORY_LIMIT),
    }
    return render(request, "identification/assessment.html", context, status=status)


def _approve(nomination, user, data):
    return nomination_approve(
        nomination=nomination,
        user=user,
        reason=data["reason"],
        effective_date=data["effective_date"],
        scope=data["scope"] or None,
        account_manager=data.get("account_manager"),
    )


STEPS = {
    "approve": (ApproveForm, _approve, gettext_lazy("%(account)s is now a key account.")),
    "reject": (
        ReasonForm,
        lambda n, user, d: nomination_reject(nomination=n, user=user, reason=d["reason"]),
        gettext_lazy("The nomination of %(account)s has been rejected."),
    ),
    "review": (
        NoteForm,
        lambda n, user, d: review_start(nomination=n, user=user, note=d["note"]),
        gettext_lazy("The review of %(account)s has started."),
    ),
    "keep": (
        NoteForm,
        lambda n, user, d: review_keep(nomination=n, user=user, note=d["note"]),
        gettext_lazy("%(account)s stays a key account."),
    ),
    "demote": (
        ReasonForm,
        lambda n, user, d: demote(nomination=n, user=user, reason=d["reason"]),
        gettext_lazy("%(account)s is a transactional account again."),
    ),
}


@login_required
@require_POST
def nomination_step(request: AuthedHttpRequest, pk: int, step: str) -> HttpResponseBase:
    if step not in STEPS:
        raise Http404
    nomination = get_for_user(
        Nomination.objects.select_related("account"), request.user, VIEW, pk=pk
    )
    form_class, service, done = STEPS[step]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(nomination, request.user, form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, done % {"account": nomination.account.name})
            if request.POST.get("origin") == "queue":
                return redirect("identification:nominations")
            return redirect("identification:account_score", pk=nomination.account_id)
    failed = {"nomination": nomination.pk, "step": step, "form": form}
    if request.POST.get("origin") == "queue":
        return _queue(request, failed=failed, status=400)
    unit = _account_unit(request, nomination.account_id)
    context = _account_context(request, unit, failed=failed)
    return render(request, "identification/account_score.html", context, status=400)


@login_required
@require_GET
def nomination(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """Where a notification points: the nomination on its account's explanation page."""
    found = get_for_user(Nomination.objects.all(), request.user, VIEW, pk=pk)
    url = reverse("identification:account_score", args=[found.account_id])
    return redirect(f"{url}#nomination-{found.pk}")


def _queue_filters(request: AuthedHttpRequest) -> QueryDict:
    """The queue's filters (:class:`NominationFilter`): those nominations waiting for a
    decision unless the query names statuses."""
    params = request.GET.copy()
    if not params.getlist("status"):
        params.setlist("status", WAITING)
    return params


def _queue(request: AuthedHttpRequest, *, failed: dict | None = None, status: int = 200):
    try:
        page = page_number(request)
        rows, count, pages = paginate(
            visible(request.user, nomination_list(filters=_queue_filters(request)))
            .select_related("account__account_manager")
            .order_by("updated_at", "pk"),
            page,
            QUEUE_PAGE_SIZE,
        )
    except BadQuery as exc:
        return bad_request(request, str(exc))
    except DomainError as exc:
        return bad_request(request, exc.message)
    today = timezone.localdate()
    for n in rows:
        n.age = (today - timezone.localtime(n.updated_at).date()).days
        # the queue offers the decisions; starting a review happens on the account's page
        n.allowed = [
            t.name for t in NOMINATION_WORKFLOW.allowed(request.user, n) if t.name != "review"
        ]
    context = {
        "rows": rows,
        "count": count,
        "page": page,
        "pages": pages,
        "can_decide": has_role_rule(request.user, DECIDE),
        # approving names the account manager; the queue offers the same choice as the account
        "manager_candidates": (
            account_manager_candidates() if any("approve" in n.allowed for n in rows) else []
        ),
        "notifications": notifications_unread(user=request.user, limit=NOTIFICATION_LIMIT),
        "failed": failed,
    }
    return render(request, "identification/nominations.html", context, status=status)


@login_required
@require_GET
def nominations(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    return _queue(request)


@login_required
@require_POST
def notifications_read(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    raw = request.POST.getlist("id")
    try:
        ids = [int(v) for v in raw] if raw else None
    except ValueError:
        return bad_request(request, _("The notifications to mark are not valid."))
    notifications_mark_read(user=request.user, ids=ids)
    next_url = request.POST.get("next") or reverse("identification:nominations")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("identification:nominations")
    return redirect(next_url)


# --------------------------------------------------------------------------------------------
# Portfolio matrix


@login_required
@require_GET
def matrix(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    key_only = request.GET.get("key_only", "") in ("1", "on", "true")
    run = scoring_run_latest()
    seen = None
    if visibility_restricted(request.user):
        seen = list(visible(request.user, Unit.objects.accounts()).values_list("pk", flat=True))
    # the first MATRIX_LIMIT bubbles by rank are drawn; the quadrants count every account
    shown, counts = matrix_bubbles(run=run, key_only=key_only, account_ids=seen, limit=MATRIX_LIMIT)
    url = reverse("identification:account_score", args=[0])
    config = run.model if run else ScoringModel()  # the run's axis and cut-offs
    data = {
        "axis": {
            "x_min": config.matrix_axis_min,
            "x_max": config.matrix_axis_max,
            "x_cut": config.matrix_strength_cutoff,
            "y_cut": config.matrix_attractiveness_cutoff,
        },
        "points": [
            {
                "id": p["account_id"],
                "name": p["name"],
                "value": p["value"],
                "size": p["symbol_size"],
                "quadrant": str(QUADRANT_LABELS[p["quadrant"]]),
                "a": p["attractiveness"],
                "r": p["relative_strength"],
                "revenue": p["revenue"],
                "url": url.replace("/0/", f"/{p['account_id']}/"),
            }
            for p in shown
        ],
        "labels": {
            "x": _("Relative strength (ours ÷ best competitor)"),
            "y": _("Account attractiveness"),
            "revenue": _("Revenue, last 12 months"),
            **{k: str(v) for k, v in QUADRANT_LABELS.items()},
        },
    }
    quadrants = [
        {
            "key": key,
            "label": QUADRANT_LABELS[key],
            "policy": QUADRANTS[key][1],
            "stage": QUADRANTS[key][2],
            "count": counts[key],
        }
        for key in QUADRANT_ORDER
    ]
    context = {
        "run": run,
        "data": data,
        "quadrants": quadrants,
        "total": sum(counts.values()),
        "shown": len(shown),
        "key_only": key_only,
    }
    return render(request, "identification/matrix.html", context)


# --------------------------------------------------------------------------------------------
# Scoring model


def _criteria_by_group(model: ScoringModel | None) -> list[dict]:
    if model is None:
        return []
    criteria = list(model.criteria.all())
    total = sum(c.weight for c in criteria) or 1
    groups = []
    for group, label in CriterionGroup.choices:
        rows = [c for c in criteria if c.group == group]
        if rows:
            for c in rows:
                # the template shows each criterion's share of its group's weight
                c.weight_pct = 100 * c.weight / total  # type: ignore[attr-defined]
            groups.append({"label": label, "rows": rows, "weight": sum(c.weight for c in rows)})
    return groups


@login_required
@require_GET
def model(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, VIEW)
    active = scoring_model_active()
    context = {
        "model": active,
        "groups": _criteria_by_group(active),
        "versions": list(ScoringModel.objects.order_by("-version")[:VERSION_LIMIT]),
        "draft": ScoringModel.objects.filter(status=ModelStatus.DRAFT).order_by("-version").first(),
        "can_manage": request.user.has_perm(MANAGE),
        "latest_run": scoring_run_latest(),
        "currency": reporting_currency(),
    }
    return render(request, "identification/model.html", context)


def _model_page(request, model, *, settings_form=None, formset=None, error="", status=200):
    criteria = model.criteria.order_by("order", "pk")
    editable = model.is_editable and request.user.has_perm(MANAGE)
    if editable:
        settings_form = settings_form or ModelSettingsForm(instance=model)
        formset = formset or CriterionFormSet(queryset=criteria, prefix="criteria")
    prefetch_related_objects(
        [model], Prefetch("criteria", queryset=Criterion.objects.order_by("order", "pk"))
    )
    context = {
        "model": model,
        "groups": _criteria_by_group(model),
        "editable": editable,
        "can_manage": request.user.has_perm(MANAGE),
        "settings_form": settings_form,
        "formset": formset,
        "error": error,
    }
    return render(request, "identification/model_version.html", context, status=status)


def _model(request: AuthedHttpRequest, version: int) -> ScoringModel:
    return get_for_user(ScoringModel.objects.all(), request.user, VIEW, version=version)


@login_required
@require_http_methods(["GET", "POST"])
def model_version(request: AuthedHttpRequest, version: int) -> HttpResponseBase:
    model = _model(request, version)
    if request.method != "POST":
        return _model_page(request, model)
    require(request.user, MANAGE)
    if not model.is_editable:  # the service says why (only drafts change)
        try:
            model_change(model=model, user=request.user, fields={})
        except DomainError as exc:
            return _model_page(request, model, error=exc.message, status=400)
    criteria = model.criteria.order_by("order", "pk")
    settings_form = ModelSettingsForm(request.POST, instance=ScoringModel.objects.get(pk=model.pk))
    formset = CriterionFormSet(request.POST, queryset=criteria, prefix="criteria")
    if settings_form.is_valid() and formset.is_valid():
        try:
            model_change(
                model=model,
                user=request.user,
                fields={f: settings_form.cleaned_data[f] for f in ScoringModel.SETTINGS_FIELDS},
                criteria=[
                    (form.instance, {f: form.cleaned_data[f] for f in form.changed_data})
                    for form in formset.forms
                    if form.has_changed()
                ],
            )
        except DomainError as exc:
            settings_form.add_error(None, exc.message)
        else:
            messages.success(request, _("The draft has been saved."))
            return redirect("identification:model_version", version=model.version)
    model.refresh_from_db()
    return _model_page(request, model, settings_form=settings_form, formset=formset, status=400)


@login_required
@require_POST
def model_draft(request: AuthedHttpRequest, version: int) -> HttpResponseBase:
    model = _model(request, version)
    draft = model_draft_from(model=model, user=request.user)
    messages.success(
        request, _("Draft version %(version)s has been created.") % {"version": draft.version}
    )
    return redirect("identification:model_version", version=draft.version)


@login_required
@require_POST
def model_activate_view(request: AuthedHttpRequest, version: int) -> HttpResponseBase:
    model = _model(request, version)
    try:
        model_activate(model=model, user=request.user)
    except DomainError as exc:
        return _model_page(request, model, error=exc.message, status=400)
    messages.success(
        request,
        _("Version %(version)s is now the active model; run scoring to score with it.")
        % {"version": model.version},
    )
    return redirect("identification:model")


@login_required
@require_GET
def model_what_if(request: AuthedHttpRequest, version: int) -> HttpResponseBase:
    model = _model(request, version)
    require(request.user, MANAGE)
    try:
        preview = what_if(draft_model=model)
    except DomainError as exc:
        return bad_request(request, exc.message)
    scores = preview["scores"]
    context = {
        "model": model,
        "preview": preview,
        "entering": preview["entering"][:WHAT_IF_LIMIT],
        "leaving": preview["leaving"][:WHAT_IF_LIMIT],
        "shifts": [s for s in preview["shifts"] if s["shift"]][:WHAT_IF_LIMIT],
        "candidates": sum(1 for s in scores if s.is_candidate),
        "accounts": len(scores),
        "limit": WHAT_IF_LIMIT,
    }
    template = "identification/_what_if.html" if request.htmx else "identification/what_if.html"
    return render(request, template, context)


# --------------------------------------------------------------------------------------------
# Backtest (decision 85)

BACKTEST_TOPS = (20, 50, 100)


@login_required
@require_GET
def backtest_page(request: AuthedHttpRequest) -> HttpResponseBase:
    """Two model versions side by side on one cut-off: revenue and growth capture by K against
    the naive and the best possible picks, with a chart of capture by K."""
    require(request.user, MANAGE)
    models = list(ScoringModel.objects.order_by("-version"))
    active = next((m for m in models if m.status == "active"), None)
    today = timezone.localdate()
    params = request.GET
    context: dict[str, Any] = {"models": models, "tops": BACKTEST_TOPS}
    try:
        as_of = _backtest_date(params.get("as_of"), today)
        horizon = int(params.get("horizon") or 6)
        if horizon not in (3, 6, 12):
            raise DomainError(_("The horizon must be 3, 6 or 12 months."), field="horizon")
        versions = [int(params.get(k) or 0) for k in ("a", "b")]
    except ValueError:
        return bad_request(request, _("The backtest settings are not valid."))
    except DomainError as exc:
        return bad_request(request, exc.message)
    by_version = {m.version: m for m in models}
    chosen = [by_version.get(v) for v in versions]
    if chosen[0] is None:
        chosen[0] = active
    context.update({"as_of": as_of, "horizon": horizon, "chosen": chosen})
    if "as_of" not in params or chosen[0] is None:
        return render(request, "identification/backtest.html", context)
    results = []
    for model in [m for m in chosen if m is not None]:
        try:
            results.append(
                backtest(as_of=as_of, horizon_months=horizon, tops=BACKTEST_TOPS, model=model)
            )
        except DomainError as exc:
            return bad_request(request, exc.message)
    backtest_store(result=results[0])  # the dashboard shows the latest run
    chart = {
        "tops": list(BACKTEST_TOPS),
        "series": [
            *(
                {
                    "name": f"{r['model']} · {label}",
                    "values": [row["picks"]["model"][key] for row in r["results"]],
                }
                for r in results
                for key, label in (
                    ("revenue_capture", _("revenue capture")),
                    ("growth_capture", _("growth capture")),
                )
            ),
            *(
                {
                    "name": f"{_('naive')} · {label}",
                    "values": [row["picks"]["naive"][key] for row in results[0]["results"]],
                }
                for key, label in (
                    ("revenue_capture", _("revenue capture")),
                    ("growth_capture", _("growth capture")),
                )
            ),
        ],
    }
    context.update({"results": results, "chart": chart})
    return render(request, "identification/backtest.html", context)


def _backtest_date(value: str | None, today: dt.date) -> dt.date:
    if not value:
        return add_months(today.replace(day=1), -6) - dt.timedelta(days=1)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise DomainError(_("The cut-off is not a date."), field="as_of") from exc
    if day > today:
        raise DomainError(_("The cut-off must not be in the future."), field="as_of")
    check_date(day, "as_of")
    return day
