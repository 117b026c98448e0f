"""Writes of the buying centre: roles, stances, placeholders, links, sharing, stage, strengths.

Every function is keyword-only, runs in one transaction and raises ``DomainError`` for bad
input. Rights are checked by the callers (views and API) through ``kam.core.permissions``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.db import transaction
from django.db.models import Exists, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.db import bulk_insert
from kam.core.errors import DomainError
from kam.core.services import model_update
from kam.core.validation import check_date
from kam.customers.models import Contact, Employment, Tier, Unit
from kam.interactions.models import Interaction
from kam.people.models import User

from . import coverage, heatmap, selectors
from .graph import CLUSTER_THRESHOLD, map_graph, overview_unit_names, present_overview
from .models import (
    AccountFigures,
    Attitude,
    BuyingRole,
    BuyingRoleKind,
    ContactStance,
    DecisionOrientation,
    InformationSharing,
    LinkLevel,
    LinkStrength,
    OpportunityRole,
    OpportunityRoleKind,
    OurLink,
    Placeholder,
    SharingLevel,
    Stage,
    StageAssessment,
    StaleFigures,
    StaleLink,
)
from .selectors import relationship_settings, stage_suggestion
from .signals import figures_mark_stale, pairs_of

# --------------------------------------------------------------------------------------------
# Checks


def _account_of(unit: Unit) -> Unit:
    return unit.account


def _check_member(account: Unit, contact: Contact) -> None:
    """A contact takes a role at an account where they hold or held a position."""
    if not Employment.objects.filter(
        contact=contact, unit__in=Unit.objects.in_account(account)
    ).exists():
        raise DomainError(
            _("%(contact)s has no position at %(account)s.")
            % {"contact": contact, "account": account},
            field="contact",
        )


def _check_role(role: str) -> None:
    if role not in BuyingRoleKind.values:
        raise DomainError(_("Unknown buying role: %s") % role, field="role")


# --------------------------------------------------------------------------------------------
# Roles and stances


@transaction.atomic
def role_add(*, account: Unit, contact: Contact, role: str, actor: User | None) -> BuyingRole:
    """Give a contact a buying-centre role at an account (no change when they hold it)."""
    account = _account_of(account)
    _check_role(role)
    _check_member(account, contact)
    found, _created = BuyingRole.objects.get_or_create(
        account=account, contact=contact, role=role, defaults={"created_by": actor}
    )
    return found


@transaction.atomic
def role_remove(*, role: BuyingRole) -> None:
    role.delete()


@transaction.atomic
def roles_set(
    *, account: Unit, contact: Contact, roles: Iterable[str], actor: User | None
) -> list[BuyingRole]:
    """Make the contact's roles at the account exactly ``roles``."""
    account = _account_of(account)
    wanted = set(roles)
    for role in wanted:
        _check_role(role)
    if wanted:
        _check_member(account, contact)
    held = {r.role: r for r in BuyingRole.objects.filter(account=account, contact=contact)}
    for role, row in held.items():
        if role not in wanted:
            row.delete()
    for role in sorted(wanted - set(held)):
        held[role] = BuyingRole.objects.create(
            account=account, contact=contact, role=role, created_by=actor
        )
    return [held[r] for r in sorted(wanted)]


STANCE_FIELDS = {"attitude", "influence", "orientation", "note"}


@transaction.atomic
def stance_set(
    *, account: Unit, contact: Contact, actor: User | None, **fields: Any
) -> ContactStance:
    """Set attitude, influence (1–5), decision orientation and note of a contact at an account."""
    account = _account_of(account)
    _check_member(account, contact)
    if "attitude" in fields and fields["attitude"] not in Attitude.values:
        raise DomainError(_("Unknown attitude."), field="attitude")
    if "orientation" in fields and fields["orientation"] not in ("", *DecisionOrientation.values):
        raise DomainError(_("Unknown decision orientation."), field="orientation")
    if "influence" in fields:
        try:
            influence = int(fields["influence"])
        except (TypeError, ValueError):
            influence = 0
        if not 1 <= influence <= 5:
            raise DomainError(_("Influence is a whole number from 1 to 5."), field="influence")
        fields["influence"] = influence
    stance = ContactStance.objects.filter(account=account, contact=contact).first()
    if stance is None:
        stance = ContactStance(account=account, contact=contact)
    stance, _changed = model_update(
        instance=stance, fields=STANCE_FIELDS | {"updated_by"}, data={**fields, "updated_by": actor}
    )
    return stance


@transaction.atomic
def member_update(
    *,
    account: Unit,
    contact: Contact,
    actor: User | None,
    roles: Iterable[str] | None = None,
    fill: Placeholder | None = None,
    **stance: Any,
) -> ContactStance:
    """One edit of a contact in the buying centre: roles, stance, and optionally the placeholder
    the contact turns out to be (its role joins theirs)."""
    account = _account_of(account)
    if roles is not None:
        roles_set(account=account, contact=contact, roles=roles, actor=actor)
    if fill is not None:
        if fill.account_id != account.pk:
            raise DomainError(_("The placeholder belongs to another account."), field="fill")
        placeholder_fill(placeholder=fill, contact=contact, actor=actor)
    return stance_set(account=account, contact=contact, actor=actor, **stance)


@transaction.atomic
def opportunity_role_set(
    *, opportunity: Any, contact: Contact, roles: Iterable[str]
) -> list[OpportunityRole]:
    """Make the contact's roles on one opportunity exactly ``roles``."""
    wanted = set(roles)
    for role in wanted:
        if role not in OpportunityRoleKind.values:
            raise DomainError(_("Unknown opportunity role: %s") % role, field="role")
    if wanted:
        _check_member(opportunity.unit.account, contact)
    held = {
        r.role: r for r in OpportunityRole.objects.filter(opportunity=opportunity, contact=contact)
    }
    for role, row in held.items():
        if role not in wanted:
            row.delete()
    for role in sorted(wanted - set(held)):
        held[role] = OpportunityRole.objects.create(
            opportunity=opportunity, contact=contact, role=role
        )
    return [held[r] for r in sorted(wanted)]


# --------------------------------------------------------------------------------------------
# Placeholders


@transaction.atomic
def placeholder_create(
    *,
    account: Unit,
    role: str,
    actor: User | None,
    unit: Unit | None = None,
    function: str = "",
    note: str = "",
) -> Placeholder:
    """A role whose person is not known yet, optionally at one unit of the account."""
    account = _account_of(account)
    _check_role(role)
    if unit is not None and unit.account.pk != account.pk:
        raise DomainError(_("The unit belongs to another account."), field="unit")
    from kam.customers.models import CustomerFunction

    if function and function not in CustomerFunction.values:
        raise DomainError(_("Unknown function."), field="function")
    return Placeholder.objects.create(
        account=account,
        unit=unit,
        role=role,
        function=function,
        note=note.strip()[:300],
        created_by=actor,
    )


@transaction.atomic
def placeholder_delete(*, placeholder: Placeholder) -> None:
    placeholder.delete()


@transaction.atomic
def placeholder_fill(
    *, placeholder: Placeholder, contact: Contact, actor: User | None
) -> BuyingRole:
    """The person of a placeholder is known: the role moves onto the contact's roles."""
    placeholder = Placeholder.objects.select_for_update().get(pk=placeholder.pk)
    if placeholder.filled_by_id is not None:
        raise DomainError(_("This placeholder is already filled."), code="conflict")
    _check_member(placeholder.account, contact)
    role, _created = BuyingRole.objects.get_or_create(
        account=placeholder.account,
        contact=contact,
        role=placeholder.role,
        defaults={"created_by": actor, "from_placeholder": placeholder},
    )
    placeholder.filled_by = contact
    placeholder.filled_at = timezone.now()
    placeholder.save(update_fields=["filled_by", "filled_at", "updated_at"])
    return role


# --------------------------------------------------------------------------------------------
# Our links and their strengths


@transaction.atomic
def link_upsert(
    *, user: User, contact: Contact, level: int, actor: User | None, note: str | None = None
) -> OurLink:
    """Set how well ``user`` knows ``contact`` (0–4), as judged by our side."""
    if level not in LinkLevel.values:
        raise DomainError(_("The relationship level is a whole number from 0 to 4."), field="level")
    link = OurLink.objects.filter(user=user, contact=contact).first() or OurLink(
        user=user, contact=contact
    )
    data: dict[str, Any] = {"level": level, "updated_by": actor}
    if note is not None:
        data["note"] = note.strip()[:300]
    link, _changed = model_update(instance=link, fields={"level", "note", "updated_by"}, data=data)
    _strengths_compute([(user.pk, contact.pk)], timezone.localdate())
    return link


@transaction.atomic
def link_delete(*, link: OurLink) -> None:
    pair = (link.user_id, link.contact_id)
    link.delete()
    _strengths_compute([pair], timezone.localdate())


def _strengths_compute(pairs: Iterable[tuple[int, int]], as_of: dt.date) -> int:
    """Compute and write the strengths of ``pairs`` from their shared interactions."""
    conf = relationship_settings()
    weights = {str(k): float(v) for k, v in (conf.type_weights or {}).items()}
    bands = [float(b) for b in conf.strength_bands or []]
    wanted = set(pairs)
    if not wanted:
        return 0
    by_contact: dict[int, set[int]] = defaultdict(set)
    for u, c in wanted:
        by_contact[c].add(u)
    contacts = sorted(by_contact)
    shared: dict[tuple[int, int], list[tuple[str, dt.date]]] = defaultdict(list)
    end = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min))
    zone = timezone.get_current_timezone()  # once: timezone.localdate per row cost 14 s a build
    # The pairs' rows are replaced, not updated: plain rows in, the old ones deleted by key
    # (bulk_update's CASE per column and a model instance per row made the daily refresh of
    # every pair, and the demo's first one, take minutes at the large scale). Nothing refers
    # to a strength's key; it is read by (user, contact).
    old: list[int] = []
    for start in range(0, len(contacts), 500):
        part = contacts[start : start + 500]
        old += [
            pk
            for pk, u, c in LinkStrength.objects.filter(contact_id__in=part).values_list(
                "pk", "user_id", "contact_id"
            )
            if (u, c) in wanted
        ]
        # By contact only: a contact shares a handful of interactions, while one of our people
        # may share tens of thousands, and a filter on them led the planner to walk those.
        rows = (
            Interaction.objects.filter(contacts__in=part, occurred_at__lt=end)
            .values_list("participants", "contacts", "type", "occurred_at")
            .order_by()
        )
        for uid, cid, kind, when in rows:
            if (uid, cid) in wanted:
                shared[(uid, cid)].append((kind, when.astimezone(zone).date()))
    judged = {
        (u, c): level
        for u, c, level in OurLink.objects.filter(contact_id__in=contacts).values_list(
            "user_id", "contact_id", "level"
        )
        if (u, c) in wanted
    }
    written: list[tuple[Any, ...]] = []
    for pair in sorted(wanted):
        items = shared.get(pair, [])
        if not items and pair not in judged:
            continue  # its old row, if any, goes
        value = coverage.strength_of(
            items, as_of=as_of, weights=weights, half_life_days=conf.half_life_days
        )
        level = coverage.activity_level(value, bands)
        last = max((d for _k, d in items), default=None)
        written.append(
            (
                pair[0],
                pair[1],
                value,
                as_of,
                len(items),
                last,
                level,
                coverage.disagrees(judged.get(pair), level, conf.disagreement_gap),
            )
        )
    for start in range(0, len(old), 500):
        LinkStrength.objects.filter(pk__in=old[start : start + 500]).delete()
    bulk_insert(LinkStrength, STRENGTH_COLUMNS, written)
    # the map and the coverage matrix show these strengths (decision 106)
    figures_mark_stale(contact_ids=contacts)
    return len(written)


STRENGTH_COLUMNS = (
    "user_id",
    "contact_id",
    "strength",
    "as_of",
    "interactions",
    "last_interaction",
    "activity_level",
    "disagrees",
)


STRENGTH_CHUNK = 5000


def strengths_refresh(*, everything: bool = False, as_of: dt.date | None = None) -> int:
    """Recompute the strengths of the stale pairs (of every pair with ``everything``).

    The marks present at the start are the ones this refresh answers: a write that marks a
    pair meanwhile adds a new mark, which the next refresh sees. Each chunk of pairs is written
    in its own short transaction with the deletion of its marks (on SQLite a transaction over
    every pair held the only write lock for minutes, and the web's writes waited for it and
    answered "busy"); a refresh stopped midway leaves the rest of the marks for the next one.
    Returns the number of pairs written.
    """
    as_of = as_of or timezone.localdate()
    marks = list(StaleLink.objects.values_list("pk", "user_id", "contact_id"))
    if everything:
        pairs = set(LinkStrength.objects.values_list("user_id", "contact_id"))
        pairs |= set(OurLink.objects.values_list("user_id", "contact_id"))
        pairs |= pairs_of(Interaction.objects.values_list("pk", flat=True))
    else:
        pairs = {(u, c) for _pk, u, c in marks}
    marks_of: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, u, c in marks:
        marks_of[(u, c)].append(pk)
    ordered = sorted(pairs, key=lambda p: (p[1], p[0]))
    done = 0
    for start in range(0, len(ordered), STRENGTH_CHUNK):
        chunk = ordered[start : start + STRENGTH_CHUNK]
        with transaction.atomic():
            done += _strengths_compute(chunk, as_of)
            seen = [pk for pair in chunk for pk in marks_of.pop(pair, ())]
            for part in range(0, len(seen), 5000):
                StaleLink.objects.filter(pk__in=seen[part : part + 5000]).delete()
    left = [pk for pks in marks_of.values() for pk in pks]  # marks of pairs with nothing to do
    for part in range(0, len(left), 5000):
        StaleLink.objects.filter(pk__in=left[part : part + 5000]).delete()
    return done


# --------------------------------------------------------------------------------------------
# Account level: information sharing and stage


@transaction.atomic
def sharing_set(
    *,
    account: Unit,
    level: int,
    actor: User | None,
    since: dt.date | None = None,
    note: str = "",
) -> InformationSharing:
    """Record the account's information-sharing level from ``since`` (today by default)."""
    if level not in SharingLevel.values:
        raise DomainError(
            _("The information-sharing level is a whole number from 0 to 4."), field="level"
        )
    since = since or timezone.localdate()
    check_date(since, field="since")
    return InformationSharing.objects.create(
        account=_account_of(account),
        level=level,
        since=since,
        note=note.strip()[:300],
        recorded_by=actor,
    )


@transaction.atomic
def stage_confirm(
    *, account: Unit, stage: str, actor: User | None, reason: str = ""
) -> StageAssessment:
    """The KAM confirms the suggested stage or overrides it with a reason (DOMAIN §7)."""
    account = _account_of(account)
    if stage not in Stage.values:
        raise DomainError(_("Unknown relationship stage."), field="stage")
    suggestion = stage_suggestion(account=account)
    reason = (reason or "").strip()
    if stage != suggestion.stage and not reason:
        raise DomainError(_("Say why the stage differs from the suggested one."), field="reason")
    return StageAssessment.objects.create(
        account=account,
        suggested=suggestion.stage,
        evidence=suggestion.evidence,
        confidence=Decimal(suggestion.confidence),
        confirmed=stage,
        override_reason=reason,
        decided_by=actor,
        decided_at=timezone.now(),
    )


# --------------------------------------------------------------------------------------------
# Kept figures of an account: the coverage matrix and the map's overview (decision 106)

MARKS_FORGOTTEN_AFTER = dt.timedelta(hours=1)


def figures_refresh(*, account: Unit, as_of: dt.date | None = None) -> AccountFigures:
    """Compute the account's coverage matrix, figures and map overview again and keep them.
    The marks seen before computing are deleted after it, so a write committed meanwhile
    leaves its mark and the kept figures stay stale (as the dashboard's, decision 95)."""
    account = account.account
    as_of = as_of or timezone.localdate()
    seen = list(StaleFigures.objects.filter(root_path=account.path).values_list("pk", flat=True))
    payload, overview = heatmap.account_figures(account=account, today=as_of)
    with transaction.atomic():
        kept, _created = AccountFigures.objects.update_or_create(
            account=account,
            defaults={
                "payload": payload,
                "overview": overview,
                "as_of": as_of,
                "computed_at": timezone.now(),
            },
        )
        for start in range(0, len(seen), 5000):
            StaleFigures.objects.filter(pk__in=seen[start : start + 5000]).delete()
    return kept


# what a kept payload holds (``heatmap.account_figures``): one kept without them is computed again
PAYLOAD_KEYS = frozenset({"matrix", "figures", "single_link"})


def figures_current(
    *, account: Unit, part: str = "payload", as_of: dt.date | None = None
) -> dict[str, Any]:
    """One part of the kept figures of the account (``payload``: the matrix and its figures,
    ``overview``: the map's overview; ``heatmap.account_figures``), computed and kept first
    when they are missing, marked stale or of another day (one query when they are fresh)."""
    account = account.account
    as_of = as_of or timezone.localdate()
    kept = (
        AccountFigures.objects.filter(account=account)
        .annotate(pending=Exists(StaleFigures.objects.filter(root_path=account.path)))
        .only("as_of", part)
        .first()
    )
    found = kept if kept is not None and not kept.pending and kept.as_of == as_of else None
    if found is not None and part == "payload" and not found.payload.keys() >= PAYLOAD_KEYS:
        found = None  # kept by an earlier version, without a part this one reads
    value: dict[str, Any] = getattr(found or figures_refresh(account=account, as_of=as_of), part)
    return value


@dataclass(frozen=True)
class KeptGaps:
    """What the buying centre, its panel on the account page and the gaps API show of one
    account: its metrics, the champions and deciders who left, and the gaps."""

    metrics: dict[str, Any]
    left: dict[int, list[dict[str, Any]]]
    gaps: dict[str, Any]


def gaps_current(*, account: Unit, as_of: dt.date | None = None, keep: bool = False) -> KeptGaps:
    """The account's gaps, with the metrics and the members whom one person of ours knows read
    from its kept figures when they are fresh (decision 144; counted live they cost 150 ms at
    the largest account). Marked or of another day: with ``keep`` (the buying centre, decision
    141) they are computed and kept first; without (the account page's panel, the API) they are
    computed for this answer and the worker's refresh rewrites them (as decision 127 does for
    the account page), so a read after a logged call writes nothing. Figures are kept on the
    first read when the account has none."""
    as_of = as_of or timezone.localdate()
    if keep:
        payload: dict[str, Any] | None = figures_current(account=account, as_of=as_of)
    else:
        figures_keep_first(account=account, as_of=as_of)
        payload = selectors.fresh_payloads([account.account.pk], as_of).get(account.account.pk)
    if payload is not None:
        metrics = payload["figures"]["metrics"]
        single = selectors.kept_single_link(payload)
    else:
        metrics, single = selectors.account_metrics(account=account, as_of=as_of), None
    # the champions and deciders who left: both the gaps and the stage read them
    left = selectors.champions_left([account.account.pk], as_of)
    gaps = selectors.account_gaps(
        account=account, as_of=as_of, metrics=metrics, left=left, single=single
    )
    return KeptGaps(metrics=metrics, left=left, gaps=gaps)


def figures_keep_first(*, account: Unit, as_of: dt.date | None = None) -> bool:
    """Compute and keep the account's figures when none are kept yet, as the first view of the
    map does (one query otherwise); returns whether it computed. Kept figures that are marked
    stale or of an earlier day are left to the worker (decision 127): a reader that needs a
    fresh metric meanwhile computes just that metric (``selectors.stage_inputs``), without
    writing."""
    account = account.account
    if AccountFigures.objects.filter(account=account).exists():
        return False
    figures_refresh(account=account, as_of=as_of or timezone.localdate())
    return True


def key_accounts_without_figures() -> QuerySet[Unit]:
    """The key accounts (any tier but transactional) whose figures are not kept yet: the
    worker keeps them before anyone opens the account (decision 137)."""
    accounts = Unit.objects.accounts().exclude(tier=Tier.TRANSACTIONAL)
    return cast(QuerySet[Unit], accounts.filter(relationship_figures__isnull=True))


def figures_refresh_due(*, as_of: dt.date | None = None) -> int:
    """The worker's refresh: every kept account that is marked stale or of an earlier day, then
    every key account whose figures are not kept yet (each in its own transaction), so that no
    reader of a key account waits for its first computation (decision 137). Marks of the other
    accounts without kept figures are dropped after an hour: nothing is kept to refresh, the
    first read computes them. Returns the accounts done."""
    as_of = as_of or timezone.localdate()
    marked = set(StaleFigures.objects.values_list("root_path", flat=True).distinct())
    due = [
        kept.account
        for kept in AccountFigures.objects.filter(Q(as_of__lt=as_of) | Q(account__path__in=marked))
        .select_related("account")
        .order_by("account__path")
    ]
    due += list(key_accounts_without_figures().order_by("path"))
    for account in due:
        figures_refresh(account=account, as_of=as_of)
    kept_paths = set(AccountFigures.objects.values_list("account__path", flat=True))
    orphans = sorted(marked - kept_paths)
    old = timezone.now() - MARKS_FORGOTTEN_AFTER
    for start in range(0, len(orphans), 500):
        StaleFigures.objects.filter(root_path__in=orphans[start : start + 500], at__lt=old).delete()
    return len(due)


def coverage_matrix_current(*, account: Unit, by: str = "role") -> dict[str, Any]:
    """The coverage matrix of the account from its kept figures (``heatmap.coverage_matrix``
    is the direct computation: the same answer)."""
    heatmap.check_grouping(by)
    return heatmap.present(figures_current(account=account), by, account)


def map_graph_current(
    *, account: Unit, filters: dict[str, Any] | None = None, cluster: str | None = None
) -> dict[str, Any]:
    """The map's graph JSON: the unfiltered clustered overview from the kept figures, any
    other view (a filter, an opened group, a small account) computed by ``graph.map_graph``."""
    if cluster or any((filters or {}).values()):
        return map_graph(account=account, filters=filters, cluster=cluster)
    facts = figures_current(account=account, part="overview")
    if facts["people"] <= CLUSTER_THRESHOLD:
        return map_graph(account=account)
    users = heatmap.user_names(facts["users"])
    units = overview_unit_names(facts)
    return present_overview(facts, account=account, units=units, users=users)
