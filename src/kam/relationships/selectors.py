"""Reads of the buying centre: metrics (DOMAIN §5), stage (§7), gaps, lists for pages and API.

Everything that works on many accounts loads them in a fixed number of queries
(:func:`accounts_data`) whatever their number and size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from kam.core import metrics as metric_registry
from kam.core.filters import filter_queryset
from kam.customers.models import Contact, Employment, Unit, account_path_of
from kam.interactions.models import Interaction
from kam.people.models import User
from kam.sales.metrics import revenue_and_prior
from kam.sales.models import Opportunity, OpportunityStage, SupplierPosition

from . import coverage
from .coverage import AccountData
from .filters import BuyingCentreFilter
from .models import (
    AccountFigures,
    Attitude,
    BuyingRole,
    BuyingRoleKind,
    ContactStance,
    InformationSharing,
    LinkStrength,
    OpportunityRole,
    OurLink,
    Placeholder,
    RelationshipSettings,
    StageAssessment,
    StaleFigures,
)
from .stage import StageInputs, Suggestion, suggest

# --------------------------------------------------------------------------------------------
# Settings


def relationship_settings() -> RelationshipSettings:
    """The settings row (seeded by a migration); the documented defaults, unsaved, when it is
    missing, so that a read never writes."""
    return RelationshipSettings.objects.order_by("pk").first() or RelationshipSettings()


def metric_settings(row: RelationshipSettings) -> coverage.Settings:
    return coverage.Settings(
        required_roles=list(row.required_roles or []),
        multiple_max=row.coverage_multiple_max,
        spof_share=float(row.spof_share),
        bowtie_min_k=float(row.bowtie_min_k),
        bowtie_max_functions=row.bowtie_max_functions,
        diamond_max_k=float(row.diamond_max_k),
        diamond_min_functions=row.diamond_min_functions,
    )


def _current_q(as_of: dt.date, prefix: str = "") -> Q:
    """Employments running on ``as_of``."""
    return (Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gt": as_of})) & (
        Q(**{f"{prefix}start_date__isnull": True}) | Q(**{f"{prefix}start_date__lte": as_of})
    )


def _day_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


# --------------------------------------------------------------------------------------------
# Account data and metrics (many accounts, bounded queries)


def accounts_data(
    account_ids: Sequence[int], as_of: dt.date, *, window_days: int
) -> dict[int, AccountData]:
    """What :func:`coverage.metrics_of` needs, for many accounts, in eight queries."""
    accounts = Unit.objects.accounts().filter(pk__in=list(account_ids))
    by_path: dict[str, int] = {}
    out: dict[int, AccountData] = {}
    for pk, path, kam_id in accounts.values_list("pk", "path", "account_manager_id"):
        by_path[path] = pk
        out[pk] = AccountData(account_id=pk, kam_id=kam_id)
    if not out:
        return out
    # the units' ids as a list: PostgreSQL plans the nested account-path subquery badly once it
    # sits inside the interaction and participant queries below (minutes on the demo)
    unit_ids = list(Unit.objects.in_accounts_of(accounts).values_list("pk", flat=True))
    employments = (
        Employment.objects.filter(_current_q(as_of), unit__in=unit_ids)
        .annotate(acc=account_path_of("unit__path"))
        .order_by("start_date", "pk")
        .values_list("contact_id", "acc", "function", "seniority")
    )
    for contact_id, acc, function, seniority in employments:
        out[by_path[acc]].contacts[contact_id] = (function, seniority)
    start = _day_end(as_of - dt.timedelta(days=window_days))
    inside = Interaction.objects.filter(
        unit__in=unit_ids, occurred_at__gte=start, occurred_at__lt=_day_end(as_of)
    )
    rows = list(
        inside.annotate(acc=account_path_of("unit__path")).values_list(
            "pk", "type", "occurred_at", "acc"
        )
    )
    ours: dict[int, set[int]] = defaultdict(set)
    theirs: dict[int, set[int]] = defaultdict(set)
    if rows:
        ids = inside.values("pk")
        for iid, uid in Interaction.participants.through.objects.filter(
            interaction_id__in=ids
        ).values_list("interaction_id", "user_id"):
            ours[iid].add(uid)
        for iid, cid in Interaction.contacts.through.objects.filter(
            interaction_id__in=ids
        ).values_list("interaction_id", "contact_id"):
            theirs[iid].add(cid)
    for iid, kind, when, acc in rows:
        out[by_path[acc]].interactions.append(
            (iid, kind, timezone.localdate(when), frozenset(ours[iid]), frozenset(theirs[iid]))
        )
    ids_list = list(out)
    for acc_id, contact_id, role in BuyingRole.objects.filter(account_id__in=ids_list).values_list(
        "account_id", "contact_id", "role"
    ):
        out[acc_id].roles.setdefault(contact_id, set()).add(role)
    for acc_id, contact_id, attitude in ContactStance.objects.filter(
        account_id__in=ids_list
    ).values_list("account_id", "contact_id", "attitude"):
        out[acc_id].attitudes[contact_id] = attitude
    for acc_id, role in Placeholder.objects.filter(
        account_id__in=ids_list, filled_by__isnull=True
    ).values_list("account_id", "role"):
        out[acc_id].open_placeholders.append(role)
    return out


def accounts_metrics(
    account_ids: Sequence[int], as_of: dt.date | None = None
) -> dict[int, dict[str, Any]]:
    """Every DOMAIN §5 metric of each account with the numbers behind it (nine queries)."""
    as_of = as_of or timezone.localdate()
    conf = relationship_settings()
    data = accounts_data(account_ids, as_of, window_days=conf.coverage_window_days)
    settings = metric_settings(conf)
    return {pk: coverage.metrics_of(d, settings) for pk, d in data.items()}


def account_metrics(*, account: Unit, as_of: dt.date | None = None) -> dict[str, Any]:
    return accounts_metrics([account.account.pk], as_of).get(account.account.pk, {})


def dmu_sizes(account_ids: Sequence[int] | None, as_of: dt.date) -> dict[int, int]:
    """account id → contacts with a buying-centre role there, recorded by the end of ``as_of``,
    whose position at the account is current on that day (one query; every account with a
    role when ``account_ids`` is None). Accounts without any role are absent."""
    roles = BuyingRole.objects.filter(created_at__lt=_day_end(as_of))
    if account_ids is not None:
        roles = roles.filter(account_id__in=list(account_ids))
    current = (
        Employment.objects.filter(_current_q(as_of), contact_id=OuterRef("contact_id"))
        .annotate(acc=account_path_of("unit__path"))
        .filter(acc=OuterRef("account__path"))
    )
    counted = (
        roles.values("account_id")
        .annotate(n=Count("contact_id", distinct=True, filter=Exists(current)))
        .order_by()
        .values_list("account_id", "n")
    )
    return dict(counted)


def _percent_values(key: str) -> metric_registry.ComputeFn:
    def compute(ids: Sequence[int], as_of: dt.date) -> dict[int, metric_registry.MetricValue]:
        found = accounts_metrics(ids, as_of)
        out: dict[int, metric_registry.MetricValue] = {}
        for pk, figures in found.items():
            value = figures[key]["value"]
            out[pk] = None if value is None else Decimal(str(value))
        return out

    return compute


role_coverage_values = _percent_values("role_coverage")
function_coverage_values = _percent_values("function_coverage")
level_coverage_values = _percent_values("level_coverage")


# --------------------------------------------------------------------------------------------
# Stage


def _latest_by_account(rows: Sequence[tuple[int, Any]]) -> dict[int, Any]:
    """First value per account of rows ordered newest first."""
    out: dict[int, Any] = {}
    for acc, value in rows:
        out.setdefault(acc, value)
    return out


def _wallet_metric() -> metric_registry.Metric | None:
    for metric in metric_registry.registry.all():
        if metric.key.endswith("share_of_wallet") and metric.unit == "percent":
            return metric
    return None


def champions_left(account_ids: Sequence[int], as_of: dt.date) -> dict[int, list[dict[str, Any]]]:
    """Per account, the champions and deciders no longer working there, with where they work
    now (another account or nobody), and whether someone took their place (two queries)."""
    key_people: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for acc, contact in ContactStance.objects.filter(
        account_id__in=list(account_ids), attitude=Attitude.CHAMPION
    ).values_list("account_id", "contact_id"):
        key_people[acc][contact].add("champion")
    for acc, contact in BuyingRole.objects.filter(
        account_id__in=list(account_ids), role=BuyingRoleKind.DECIDER
    ).values_list("account_id", "contact_id"):
        key_people[acc][contact].add("decider")
    contacts = {c for people in key_people.values() for c in people}
    if not contacts:
        return {}
    positions: dict[int, list[tuple[str, bool, dt.date | None]]] = defaultdict(list)
    names: dict[int, str] = {}
    accounts: dict[str, tuple[int, str]] = {}
    rows = (
        Employment.objects.filter(contact_id__in=contacts)
        .annotate(acc=account_path_of("unit__path"))
        .values_list(
            "contact_id",
            "acc",
            "end_date",
            "start_date",
            "contact__first_name",
            "contact__last_name",
        )
    )
    for contact, acc, end, start, first, last in rows:
        running = (end is None or end > as_of) and (start is None or start <= as_of)
        positions[contact].append((acc, running, end))
        names[contact] = f"{first} {last}".strip()
    paths = {p[0] for ps in positions.values() for p in ps}
    for pk, path, name in Unit.objects.filter(path__in=paths).values_list("pk", "path", "name"):
        accounts[path] = (pk, name)
    out: dict[int, list[dict[str, Any]]] = {}
    for acc_id, people in key_people.items():
        acc_path = next((p for p, (pk, _n) in accounts.items() if pk == acc_id), None)
        here_now = {
            c for c, ps in positions.items() for p, running, _e in ps if p == acc_path and running
        }
        for contact, kinds in people.items():
            if contact in here_now or not positions.get(contact):
                continue
            elsewhere = [
                accounts[p] for p, running, _e in positions[contact] if running and p != acc_path
            ]
            ended = [e for p, _r, e in positions[contact] if p == acc_path and e is not None]
            for kind in sorted(kinds):
                replaced = any(
                    kind in people.get(other, set()) for other in here_now if other != contact
                )
                out.setdefault(acc_id, []).append(
                    {
                        "contact_id": contact,
                        "name": names.get(contact, ""),
                        "kind": kind,
                        "left_on": max(ended) if ended else None,
                        "now_at_id": elsewhere[0][0] if elsewhere else None,
                        "now_at": elsewhere[0][1] if elsewhere else "",
                        "replaced": replaced,
                    }
                )
    return out


def fresh_payloads(account_ids: Sequence[int], as_of: dt.date) -> dict[int, dict[str, Any]]:
    """The kept figures' payloads (``heatmap.account_figures``) of the accounts whose kept row
    is of ``as_of`` and carries no stale mark (one query); others are absent."""
    stale = StaleFigures.objects.filter(root_path=OuterRef("account__path"))
    rows = (
        AccountFigures.objects.filter(account_id__in=list(account_ids), as_of=as_of)
        .annotate(pending=Exists(stale))
        .filter(pending=False)
        .values_list("account_id", "payload")
    )
    return dict(rows)


def kept_metrics(account_ids: Sequence[int], as_of: dt.date) -> dict[int, dict[str, Any]]:
    """The DOMAIN §5 metrics kept with the figures of the accounts (decision 106), for those
    whose kept row is of ``as_of`` and carries no stale mark (one query); others are absent."""
    return {
        pk: dict(payload.get("figures", {}).get("metrics", {}))
        for pk, payload in fresh_payloads(account_ids, as_of).items()
    }


def stage_inputs(
    account_ids: Sequence[int],
    as_of: dt.date,
    metrics: Mapping[int, Mapping[str, Any]] | None = None,
    left: Mapping[int, list[dict[str, Any]]] | None = None,
) -> dict[int, StageInputs]:
    """The inputs of the stage rules for many accounts (bounded queries). The coverage metrics
    come from the kept figures where they are fresh, else they are computed; ``left`` is
    :func:`champions_left` of the accounts when the caller has read it already."""
    ids = list(account_ids)
    if metrics is None:
        found: dict[int, Mapping[str, Any]] = dict(kept_metrics(ids, as_of))
        missing = [pk for pk in ids if pk not in found]
        found.update(accounts_metrics(missing, as_of) if missing else {})
        metrics = found
    # the revenue window of every page: the last 12 full months (decision 113), from the kept
    # sums when they are current (decision 111)
    revenue = revenue_and_prior(ids, as_of)
    positions = _latest_by_account(
        list(
            SupplierPosition.objects.filter(account_id__in=ids, since__lte=as_of)
            .order_by("account_id", "-since", "-recorded_at")
            .values_list("account_id", "position")
        )
    )
    sharing = _latest_by_account(
        list(
            InformationSharing.objects.filter(account_id__in=ids, since__lte=as_of)
            .order_by("account_id", "-since", "-recorded_at")
            .values_list("account_id", "level")
        )
    )
    accounts = Unit.objects.accounts().filter(pk__in=ids)
    path_of = dict(accounts.values_list("pk", "path"))
    open_opps = _accounts_with_open_opportunity(list(path_of.values()))
    left = champions_left(ids, as_of) if left is None else left
    wallet_metric = _wallet_metric()
    wallet = wallet_metric.values(ids, as_of) if wallet_metric else {}
    out: dict[int, StageInputs] = {}
    for pk in ids:
        if pk not in path_of:
            continue
        figures = metrics.get(pk, {})
        rev = revenue.get(pk)
        structure = figures.get("structure", {})
        level = figures.get("level_coverage", {})
        has_contacts = bool(figures.get("function_coverage", {}).get("present"))
        w = wallet.get(pk)
        out[pk] = StageInputs(
            revenue_12m=rev["revenue"] if rev else Decimal("0"),
            revenue_prior_12m=rev["prior"] if rev else Decimal("0"),
            champion_left=any(not p["replaced"] for p in left.get(pk, [])),
            position=positions.get(pk),
            sharing=sharing.get(pk),
            functions_reached=structure.get("functions_reached", 0),
            board_reached=(level.get("highest_rank") or 0) >= coverage.BOARD_RANK
            if has_contacts
            else None,
            senior_reached=(level.get("highest_rank") or 0) >= 3 if has_contacts else None,
            structure=structure.get("value"),
            wallet_pct=None if w is None else float(str(w)),
            open_opportunity=path_of[pk] in open_opps,
        )
    return out


def _accounts_with_open_opportunity(paths: list[str]) -> set[str]:
    """The account paths among ``paths`` that have an opportunity neither won nor lost."""
    rows = Opportunity.objects.filter(
        unit__in=Unit.objects.of_account_paths(paths).values("pk")
    ).exclude(stage__in=[OpportunityStage.WON, OpportunityStage.LOST])
    return set(
        rows.annotate(acc=account_path_of("unit__path")).values_list("acc", flat=True).distinct()
    )


def stage_suggestions(
    account_ids: Sequence[int], as_of: dt.date | None = None
) -> dict[int, Suggestion]:
    """The suggested stage of each account (DOMAIN §7)."""
    as_of = as_of or timezone.localdate()
    conf = relationship_settings()
    inputs = stage_inputs(account_ids, as_of)
    return {pk: suggest(x, conf.stage_rules) for pk, x in inputs.items()}


def stage_suggestion(
    *,
    account: Unit,
    as_of: dt.date | None = None,
    metrics: Mapping[str, Any] | None = None,
    left: Mapping[int, list[dict[str, Any]]] | None = None,
) -> Suggestion:
    pk = account.account.pk
    as_of = as_of or timezone.localdate()
    known = {pk: metrics} if metrics is not None else None
    inputs = stage_inputs([pk], as_of, known, left)
    return suggest(inputs[pk], relationship_settings().stage_rules)


def confirmed_stages(account_ids: Sequence[int], as_of: dt.date | None = None) -> dict[int, str]:
    """The newest confirmed stage of each account on ``as_of`` (one query)."""
    rows = StageAssessment.objects.filter(account_id__in=list(account_ids))
    if as_of is not None:
        rows = rows.filter(decided_at__lt=_day_end(as_of))
    return _latest_by_account(
        list(
            rows.order_by("account_id", "-decided_at", "-id").values_list("account_id", "confirmed")
        )
    )


def stage_values(ids: Sequence[int], as_of: dt.date) -> dict[int, metric_registry.MetricValue]:
    """Metric ``relationships.stage``: the confirmed stage, else the suggested one."""
    confirmed = confirmed_stages(ids, as_of)
    missing = [pk for pk in ids if pk not in confirmed]
    suggested = stage_suggestions(missing, as_of) if missing else {}
    return {pk: confirmed.get(pk) or (s.stage if (s := suggested.get(pk)) else None) for pk in ids}


def stage_mismatches(
    account_ids: Sequence[int], as_of: dt.date | None = None
) -> dict[int, dict[str, str]]:
    """Accounts whose confirmed stage differs from today's suggestion (for alerts and pages)."""
    confirmed = confirmed_stages(account_ids)
    if not confirmed:
        return {}
    suggested = stage_suggestions(list(confirmed), as_of)
    return {
        pk: {"confirmed": stage, "suggested": suggested[pk].stage}
        for pk, stage in confirmed.items()
        if pk in suggested and suggested[pk].stage != stage
    }


def stage_history(*, account: Unit) -> QuerySet[StageAssessment]:
    return StageAssessment.objects.filter(account=account.account).select_related("decided_by")


def sharing_current(*, account: Unit) -> InformationSharing | None:
    return (
        InformationSharing.objects.filter(account=account.account)
        .order_by("-since", "-recorded_at")
        .first()
    )


def sharing_history(*, account: Unit) -> QuerySet[InformationSharing]:
    return InformationSharing.objects.filter(account=account.account).select_related("recorded_by")


# --------------------------------------------------------------------------------------------
# Buying centre of an account


def buying_centre_contacts(
    *, account: Unit, filters: Mapping[str, Any] | None = None, as_of: dt.date | None = None
) -> QuerySet[Employment]:
    """Current positions at the account, filtered (role, attitude, function, seniority)."""
    as_of = as_of or timezone.localdate()
    acc = account.account
    qs = (
        Employment.objects.filter(_current_q(as_of), unit__in=Unit.objects.in_account_hashed(acc))
        .select_related("contact", "unit")
        .order_by("contact__last_name", "contact__first_name", "pk")
    )
    return filter_queryset(BuyingCentreFilter, {**(filters or {}), "account": acc.pk}, qs)


def buying_centre_rows(
    *, account: Unit, employments: Sequence[Employment], as_of: dt.date | None = None
) -> list[dict[str, Any]]:
    """One row per position with roles, stance, coverage and our links (four queries)."""
    as_of = as_of or timezone.localdate()
    acc = account.account
    conf = relationship_settings()
    contacts = [e.contact_id for e in employments]
    roles: dict[int, list[str]] = defaultdict(list)
    for contact, role in BuyingRole.objects.filter(
        account=acc, contact_id__in=contacts
    ).values_list("contact_id", "role"):
        roles[contact].append(role)
    stances = {
        s.contact_id: s for s in ContactStance.objects.filter(account=acc, contact_id__in=contacts)
    }
    start = _day_end(as_of - dt.timedelta(days=conf.coverage_window_days))
    touches: dict[int, int] = {
        row["contact_id"]: row["n"]
        for row in Interaction.contacts.through.objects.filter(
            contact_id__in=contacts,
            interaction__occurred_at__gte=start,
            interaction__occurred_at__lt=_day_end(as_of),
        )
        .values("contact_id")
        .annotate(n=Count("interaction_id"))
    }
    links: dict[int, list[OurLink]] = defaultdict(list)
    for link in OurLink.objects.filter(contact_id__in=contacts, level__gt=0).select_related("user"):
        links[link.contact_id].append(link)
    order = {r.value: i for i, r in enumerate(BuyingRoleKind)}
    labels = dict(BuyingRoleKind.choices)
    rows: list[dict[str, Any]] = []
    for e in employments:
        count = touches.get(e.contact_id, 0)
        held = sorted(roles.get(e.contact_id, []), key=lambda r: order.get(r, 99))
        rows.append(
            {
                "employment": e,
                "contact": e.contact,
                "roles": held,
                "role_names": [str(labels.get(r, r)) for r in held],
                "stance": stances.get(e.contact_id),
                "interactions": count,
                "coverage": coverage.contact_coverage(count, conf.coverage_multiple_max),
                "links": links.get(e.contact_id, []),
            }
        )
    return rows


def placeholders_open(*, account: Unit) -> QuerySet[Placeholder]:
    return Placeholder.objects.filter(
        account=account.account, filled_by__isnull=True
    ).select_related("unit")


UNIT_LIST_MAX = 300  # above this many units a placeholder's unit is found by name
UNIT_SEARCH_LIMIT = 10


def placeholder_units(*, account: Unit) -> QuerySet[Unit]:
    """The units a placeholder may name: any unit of the account, in tree order."""
    units: QuerySet[Unit] = Unit.objects.in_account(account.account).order_by("path")
    return units


def placeholder_units_listable(*, account: Unit) -> bool:
    """Whether the account's units are few enough to offer as a list (one query that reads at
    most ``UNIT_LIST_MAX + 1`` ids): a list of thousands costs the page its time to build and
    the user the time to scroll it, and a cut list hides the units past the cut."""
    ids = placeholder_units(account=account).values("pk")
    return len(ids[: UNIT_LIST_MAX + 1]) <= UNIT_LIST_MAX


def placeholder_unit_search(*, account: Unit, q: str) -> list[Unit]:
    """The account's units whose name contains ``q`` (two letters at least), the first
    ``UNIT_SEARCH_LIMIT`` in tree order (one query)."""
    q = q.strip()
    if len(q) < 2:
        return []
    found = placeholder_units(account=account).filter(name__icontains=q)
    return list(found.only("name", "path")[:UNIT_SEARCH_LIMIT])


def account_roles(*, account: Unit) -> QuerySet[BuyingRole]:
    return BuyingRole.objects.filter(account=account.account).select_related("contact")


def opportunity_roles(*, opportunity: Opportunity) -> QuerySet[OpportunityRole]:
    """The contacts' roles on one opportunity, by contact then role."""
    return (
        OpportunityRole.objects.filter(opportunity=opportunity)
        .select_related("contact")
        .order_by("contact__last_name", "contact__first_name", "contact_id", "role")
    )


def opportunity_role_candidates(*, opportunity: Opportunity) -> QuerySet[Contact]:
    """Who may be given a role on the opportunity: the account's buying centre, the people who
    hold a role on it already and the current staff of the opportunity's own unit."""
    return (
        Contact.objects.filter(
            Q(buying_roles__account=opportunity.unit.account)
            | Q(opportunity_roles__opportunity=opportunity)
            | Q(employments__unit=opportunity.unit, employments__end_date__isnull=True)
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def account_stances(*, account: Unit) -> QuerySet[ContactStance]:
    return ContactStance.objects.filter(account=account.account).select_related("contact")


# --------------------------------------------------------------------------------------------
# Our links and their strengths


def strength_now(strength: LinkStrength, half_life: int, day: dt.date | None = None) -> float:
    return coverage.strength_on(
        strength.strength, strength.as_of, day or timezone.localdate(), half_life
    )


def links_of_contact(*, contact: Contact) -> list[dict[str, Any]]:
    """Which of our people know this contact and how well: judged level and activity (2 queries)."""
    conf = relationship_settings()
    judged = {link.user_id: link for link in OurLink.objects.filter(contact=contact)}
    strengths = {s.user_id: s for s in LinkStrength.objects.filter(contact=contact)}
    users = {u.pk: u for u in User.objects.filter(pk__in=set(judged) | set(strengths))}
    rows: list[dict[str, Any]] = []
    for uid, user in users.items():
        s = strengths.get(uid)
        rows.append(
            {
                "user": user,
                "link": judged.get(uid),
                "level": judged[uid].level if uid in judged else None,
                "strength": round(strength_now(s, conf.half_life_days), 2) if s else 0.0,
                "interactions": s.interactions if s else 0,
                "last_interaction": s.last_interaction if s else None,
                "disagrees": bool(s and s.disagrees),
            }
        )
    rows.sort(key=lambda r: (-(r["level"] or 0), -r["strength"], r["user"].username))
    return rows


def links_of_user(
    *, user: User, contacts: QuerySet[Contact] | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Which contacts one of our people knows, and how well (three queries); ``contacts``
    narrows them (restricted visibility)."""
    conf = relationship_settings()
    links = OurLink.objects.filter(user=user).select_related("contact")
    kept = LinkStrength.objects.filter(user=user).select_related("contact")
    if contacts is not None:
        links = links.filter(contact_id__in=contacts.values("pk"))
        kept = kept.filter(contact_id__in=contacts.values("pk"))
    judged = {link.contact_id: link for link in links.order_by("-level", "pk")[:limit]}
    strengths = {s.contact_id: s for s in kept.order_by("-strength")[:limit]}
    rows: list[dict[str, Any]] = []
    for cid in set(judged) | set(strengths):
        s = strengths.get(cid)
        link = judged.get(cid)
        contact = link.contact if link else s.contact  # type: ignore[union-attr]
        rows.append(
            {
                "contact": contact,
                "link": link,
                "level": link.level if link else None,
                "strength": round(strength_now(s, conf.half_life_days), 2) if s else 0.0,
                "interactions": s.interactions if s else 0,
                "disagrees": bool(s and s.disagrees),
            }
        )
    rows.sort(key=lambda r: (-(r["level"] or 0), -r["strength"]))
    return rows


def strengths_of_account(*, account: Unit, limit: int = 1000) -> QuerySet[LinkStrength]:
    contacts = Employment.objects.filter(unit__in=Unit.objects.in_account(account.account)).values(
        "contact_id"
    )
    return (
        LinkStrength.objects.filter(contact_id__in=contacts)
        .select_related("user", "contact")
        .order_by("-strength")[:limit]
    )


# --------------------------------------------------------------------------------------------
# Gaps


def _known_by_one(members: QuerySet[Any]) -> dict[int, int]:
    """The contacts among ``members`` (a query of ``contact_id``) that exactly one person of
    ours knows, by a judged level above 0 or by interactions, with that person. One query: the
    members are found once and joined to both link tables, whose pairs the database unites and
    counts (as an IN list or an OR of subqueries, PostgreSQL scanned both tables: 0.5 s)."""
    members_sql, params = members.order_by().query.sql_with_params()
    links, strengths = OurLink._meta.db_table, LinkStrength._meta.db_table
    counted = (
        f"WITH members AS ({members_sql}) "  # noqa: S608 (table names from the models)
        "SELECT pairs.contact_id, MIN(pairs.user_id) FROM ("
        f"SELECT l.user_id, l.contact_id FROM {links} l "
        "JOIN members m ON m.contact_id = l.contact_id WHERE l.level > 0 "
        f"UNION SELECT s.user_id, s.contact_id FROM {strengths} s "
        "JOIN members m ON m.contact_id = s.contact_id WHERE s.interactions > 0"
        ") pairs GROUP BY pairs.contact_id HAVING COUNT(*) = 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(counted, params)
        return {int(contact): int(user) for contact, user in cursor.fetchall()}


def single_link_members(*, account: Unit, as_of: dt.date | None = None) -> dict[int, int]:
    """The members of the account's buying centre (a role or a stance, and a current position
    there) whom exactly one person of ours knows, with that person (one query). The pages read
    it kept with the account's figures (decision 141): at the largest account it costs 40 ms."""
    as_of = as_of or timezone.localdate()
    acc = account.account
    current = Employment.objects.filter(
        _current_q(as_of), unit__in=Unit.objects.in_account_hashed(acc)
    ).values("contact_id")
    # the members as a query, not as ids: thousands of ids in an IN list cost more to
    # prepare than the queries take (0.3 s for the largest account); the people of ours who
    # know each are counted by the database (a large account has 34,000 such pairs). The
    # current positions are read once and matched to the roles and stances (reading them for
    # each of the two cost PostgreSQL 10 ms each at the largest account).
    with_role = BuyingRole.objects.filter(account=acc).order_by().values("contact_id")
    with_stance = ContactStance.objects.filter(account=acc).order_by().values("contact_id")
    return _known_by_one(current.filter(contact_id__in=with_role.union(with_stance)))


def kept_single_link(payload: Mapping[str, Any]) -> dict[int, int] | None:
    """:func:`single_link_members` as the kept figures hold it (``heatmap.account_figures``);
    None when they were kept before they held it."""
    pairs = payload.get("single_link")
    return None if pairs is None else {int(c): int(u) for c, u in pairs}


def account_gaps(
    *,
    account: Unit,
    as_of: dt.date | None = None,
    metrics: Mapping[str, Any] | None = None,
    left: Mapping[int, list[dict[str, Any]]] | None = None,
    single: Mapping[int, int] | None = None,
) -> dict[str, Any]:
    """The gaps of one account's buying centre (a fixed number of queries; ``left`` is
    :func:`champions_left` of the account and ``single`` its :func:`single_link_members`
    when the caller has them already, kept with the account's figures for instance)."""
    as_of = as_of or timezone.localdate()
    acc = account.account
    conf = relationship_settings()
    figures = metrics if metrics is not None else accounts_metrics([acc.pk], as_of).get(acc.pk, {})
    missing = figures.get("role_coverage", {}).get("missing", [])
    current = Employment.objects.filter(
        _current_q(as_of), unit__in=Unit.objects.in_account_hashed(acc)
    ).values("contact_id")
    deciders = list(
        BuyingRole.objects.filter(
            account=acc, role=BuyingRoleKind.DECIDER, contact_id__in=current
        ).values_list("contact_id", flat=True)
    )
    last_seen: dict[int, dt.datetime] = {
        row["contact_id"]: row["last"]
        for row in Interaction.contacts.through.objects.filter(
            contact_id__in=deciders, interaction__occurred_at__lt=_day_end(as_of)
        )
        .values("contact_id")
        .annotate(last=Max("interaction__occurred_at"))
    }
    limit = as_of - dt.timedelta(days=conf.decider_silence_days)
    names = {
        c.pk: str(c)
        for c in Contact.objects.filter(pk__in=deciders).only("first_name", "last_name")
    }
    silent = []
    for contact in deciders:
        last = last_seen.get(contact)
        day = timezone.localdate(last) if last else None
        if day is None or day < limit:
            silent.append({"contact_id": contact, "name": names.get(contact, ""), "last": day})
    only_one = single if single is not None else single_link_members(account=acc, as_of=as_of)
    single_ids = list(only_one)
    people = {
        c.pk: str(c)
        for c in Contact.objects.filter(pk__in=single_ids).only("first_name", "last_name")
    }
    users = {
        u.pk: u.get_full_name() or u.username
        for u in User.objects.filter(pk__in=set(only_one.values()))
    }
    one_person: list[dict[str, Any]] = [
        {"contact_id": c, "name": people.get(c, ""), "through": users.get(only_one[c], "")}
        for c in single_ids
    ]
    one_person.sort(key=lambda r: str(r["name"]))
    gone = champions_left([acc.pk], as_of) if left is None else left
    champions = [p for p in gone.get(acc.pk, []) if p["kind"] == "champion"]
    placeholders = list(placeholders_open(account=acc))
    role_labels = {str(k): str(v) for k, v in [*BuyingRoleKind.choices, *Attitude.choices]}
    return {
        "missing_roles": missing,
        "missing_role_labels": [role_labels.get(r, r) for r in missing],
        "open_placeholders": placeholders,
        "silent_deciders": silent,
        "single_link": one_person,
        "champions_left": champions,
        "count": len(missing) + len(silent) + len(one_person) + len(champions),
    }


def opportunity_notes(*, account: Unit, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Champions of another customer who now work here: an opening for us (three queries)."""
    as_of = as_of or timezone.localdate()
    acc = account.account
    here = Employment.objects.filter(
        _current_q(as_of), unit__in=Unit.objects.in_account_hashed(acc)
    )
    stances = ContactStance.objects.filter(
        attitude=Attitude.CHAMPION, contact_id__in=here.values("contact_id")
    ).exclude(account=acc)
    others = list(stances.values_list("account_id", flat=True).distinct())
    if not others:
        return []
    notes = []
    for other_id, people in champions_left(others, as_of).items():
        for p in people:
            if p["kind"] == "champion" and p["now_at_id"] == acc.pk:
                notes.append({**p, "from_account_id": other_id})
    if notes:
        names = dict(Unit.objects.filter(pk__in=others).values_list("pk", "name"))
        for n in notes:
            n["from_account"] = names.get(n["from_account_id"], "")
    return notes


def user_choices(*, limit: int = 1000) -> QuerySet[User]:
    return User.objects.filter(is_active=True).exclude(role="").order_by("username")[:limit]
