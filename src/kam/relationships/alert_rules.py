"""The relationships app's alert rules (DOMAIN §6), registered in ``kam.alerts.rules``.

All four are intensity alerts: the engine asks them about key accounts only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from kam.alerts.rules import AlertRule, Finding, register_rule
from kam.alerts.selectors import alert_settings
from kam.customers.models import Employment, Unit, account_path_of
from kam.interactions.models import Interaction

from .models import BuyingRole, BuyingRoleKind, Stage
from .selectors import (
    _current_q,
    _day_end,
    accounts_metrics,
    champions_left,
    relationship_settings,
    stage_mismatches,
)


def _buying_centre(pk: int) -> str:
    return reverse("relationships:buying_centre", args=[pk])


def silent_deciders(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    """Accounts with a current decider nobody of ours met for ``decider_silence_days``
    (three queries)."""
    days = relationship_settings().decider_silence_days
    limit = as_of - dt.timedelta(days=days)
    roles = list(
        BuyingRole.objects.filter(
            account_id__in=list(account_ids), role=BuyingRoleKind.DECIDER
        ).values_list("account_id", "contact_id", "contact__first_name", "contact__last_name")
    )
    if not roles:
        return []
    paths = dict(Unit.objects.filter(pk__in=list(account_ids)).values_list("path", "pk"))
    contacts = {c for _a, c, _f, _l in roles}
    here: set[tuple[int, int]] = set()
    for contact, acc in (
        Employment.objects.filter(_current_q(as_of), contact_id__in=contacts)
        .annotate(acc=account_path_of("unit__path"))
        .values_list("contact_id", "acc")
    ):
        if acc in paths:
            here.add((paths[acc], contact))
    last = {
        row["contact_id"]: timezone.localdate(row["last"])
        for row in Interaction.contacts.through.objects.filter(
            contact_id__in=contacts, interaction__occurred_at__lt=_day_end(as_of)
        )
        .values("contact_id")
        .annotate(last=Max("interaction__occurred_at"))
    }
    silent: dict[int, list[dict[str, object]]] = defaultdict(list)
    for acc, contact, first, last_name in roles:
        if (acc, contact) not in here:
            continue
        seen = last.get(contact)
        if seen is None or seen < limit:
            name = f"{first} {last_name}".strip()
            silent[acc].append({"contact_id": contact, "name": name, "last_contact": seen})
    out = []
    for acc, people in silent.items():
        people.sort(key=lambda p: str(p["name"]))
        out.append(
            Finding(
                account_id=acc,
                reason=gettext_noop("No contact with a decider for %(days)s days: %(names)s"),
                params={"days": days, "names": ", ".join(str(p["name"]) for p in people)},
                evidence={"deciders": people, "silence_days": days},
                link=_buying_centre(acc),
            )
        )
    return out


def single_point_of_failure(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    """Accounts whose ties run through one person on either side (DOMAIN §5 metric)."""
    out = []
    for acc, figures in accounts_metrics(account_ids, as_of).items():
        spof = figures.get("single_point_of_failure") or {}
        if not spof.get("value"):
            continue
        share = max(float(spof.get("our_share") or 0), float(spof.get("their_share") or 0))
        out.append(
            Finding(
                account_id=acc,
                reason=gettext_noop(
                    "Single point of failure: %(share)s %% of the ties run through one person"
                ),
                params={"share": round(share * 100)},
                evidence=dict(spof),
                link=reverse("relationships_map:map", args=[acc]),
            )
        )
    return out


def champion_left(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    """A champion who left the account and has no replacement after the set number of days."""
    days = alert_settings().champion_replacement_days
    limit = as_of - dt.timedelta(days=days)
    out = []
    for acc, people in champions_left(account_ids, as_of).items():
        for p in people:
            left_on = p.get("left_on")
            if p["kind"] != "champion" or p["replaced"] or left_on is None or left_on > limit:
                continue
            out.append(
                Finding(
                    account_id=acc,
                    reason=gettext_noop(
                        "Champion %(name)s left on %(left_on)s and has no replacement "
                        "after %(days)s days"
                    ),
                    params={"name": p["name"], "left_on": left_on.isoformat(), "days": days},
                    evidence=dict(p),
                    link=_buying_centre(acc),
                    subject=str(p["contact_id"]),
                )
            )
    return out


def stage_mismatch(account_ids: Sequence[int], as_of: dt.date) -> Iterable[Finding]:
    """The confirmed relationship stage differs from the one the data suggest."""
    return [
        Finding(
            account_id=acc,
            reason=gettext_noop(
                "Stage mismatch: confirmed “%(confirmed)s”, the data suggest “%(suggested)s”"
            ),
            params=dict(m),
            evidence=dict(m),
            link=_buying_centre(acc),
        )
        for acc, m in stage_mismatches(account_ids, as_of).items()
    ]


def register_alert_rules() -> None:
    register_rule(
        AlertRule(
            kind="relationships.decider_silence",
            label=_("No contact with a decider"),
            intensity=True,
            evaluate=silent_deciders,
        )
    )
    register_rule(
        AlertRule(
            kind="relationships.single_point",
            label=_("Single point of failure"),
            intensity=True,
            evaluate=single_point_of_failure,
        )
    )
    register_rule(
        AlertRule(
            kind="relationships.champion_left",
            label=_("Champion left, no replacement"),
            intensity=True,
            evaluate=champion_left,
        )
    )
    register_rule(
        AlertRule(
            kind="relationships.stage_mismatch",
            label=_("Stage mismatch"),
            intensity=True,
            evaluate=stage_mismatch,
            param_labels={"confirmed": dict(Stage.choices), "suggested": dict(Stage.choices)},
        )
    )
