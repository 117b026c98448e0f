"""Demo data of the account profile: what key customers told us about their aims and how they
buy, and a few unread notifications for the demo KAM, so the profile and the bell show
believable content from the first login."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.bulk import create_with_history
from kam.customers.models import Employment, Tier, Unit
from kam.people.models import User
from kam.people.services import notify
from kam.planning.models import BuyingProcess, CustomerGoal, GoalKind


def _texts() -> dict[str, list[str]]:
    return {
        GoalKind.STRATEGY: [
            _("Become the cost leader in their core market within three years"),
            _("Grow outside Europe, starting with South-East Asia"),
            _("Move from selling products to selling service contracts"),
            _("Halve the carbon footprint of their plants by 2030"),
        ],
        GoalKind.GOAL: [
            _("Cut the number of suppliers per category by a third"),
            _("Reduce stock in their warehouses by 20 %"),
            _("Launch two new product ranges next year"),
            _("Shorten delivery lead times to under five days"),
        ],
        GoalKind.INITIATIVE: [
            _("Plant modernisation programme with a new production line"),
            _("Digital ordering through a supplier portal"),
            _("Joint development project for a lighter packaging"),
            _("Supplier days with an award for the best partner"),
        ],
    }


def _processes() -> list[str]:
    return [
        _(
            "Central purchasing runs a tender every autumn for the next year; the plants order "
            "against the framework agreement. Technical approval by the engineering department "
            "comes first; the purchasing director signs above 250,000."
        ),
        _(
            "Each country buys on its own; the group negotiates price lists once a year. New "
            "suppliers need a quality audit and a trial delivery before they are listed."
        ),
        _(
            "The plant managers decide together with purchasing; finance approves investments "
            "in a budget round in October. Framework agreements run for three years."
        ),
    ]


def _contacts_by_account(accounts: list[Unit], limit: int = 20_000) -> dict[int, list[int]]:
    """{account id: ids of contacts working in it now}: a bounded sample, two queries."""
    units = Unit.objects.in_accounts_of(Unit.objects.filter(pk__in=[a.pk for a in accounts]))
    rows = list(
        Employment.objects.filter(unit__in=units, end_date=None)
        .order_by("pk")
        .values_list("unit_id", "contact_id")[:limit]
    )
    account_of = Unit.objects.filter(pk__in={u for u, _c in rows}).account_ids()
    found: dict[int, list[int]] = {}
    for unit_id, contact_id in rows:
        found.setdefault(account_of[unit_id], []).append(contact_id)
    return found


def make_profile(builder: Any) -> None:
    """``builder`` is the demo's ``_Builder`` (its reporter, random streams and counts).

    Goals (some confirmed by the customer, each with who told us) and a buying process for
    the key accounts; unread notifications for the demo KAM."""
    builder.rep.stage(_("Customer goals and buying process"), None)
    rng = builder.rng("profile")
    texts = _texts()
    processes = _processes()
    today = timezone.localdate()
    accounts = list(
        Unit.objects.accounts().exclude(tier=Tier.TRANSACTIONAL).order_by("pk").only("pk", "name")
    )
    sources = _contacts_by_account(accounts)
    goals: list[CustomerGoal] = []
    buying: list[BuyingProcess] = []
    for account in accounts:
        for kind in (GoalKind.STRATEGY, GoalKind.GOAL, GoalKind.GOAL, GoalKind.INITIATIVE):
            if rng.random() < 0.25:
                continue
            confirmed = rng.random() < 0.5
            people = sources.get(account.pk, [])
            goals.append(
                CustomerGoal(
                    account_id=account.pk,
                    kind=kind,
                    text=rng.choice(texts[kind]),
                    source_contact_id=rng.choice(people) if people and rng.random() < 0.8 else None,
                    confirmed=confirmed,
                    confirmed_on=(
                        today - dt.timedelta(days=rng.randint(10, 300)) if confirmed else None
                    ),
                )
            )
        if rng.random() < 0.8:
            buying.append(BuyingProcess(account_id=account.pk, text=rng.choice(processes)))
    create_with_history(CustomerGoal, goals, batch_size=500)
    create_with_history(BuyingProcess, buying, batch_size=500)
    builder.counts["customer_goals"] = len(goals)
    builder.counts["buying_processes"] = len(buying)
    kam = User.objects.filter(username="kam").first()
    if kam is not None:
        managed = set(Unit.objects.filter(account_manager=kam).values_list("pk", flat=True))
        mine = [a for a in accounts if a.pk in managed][:3]
        for account in mine:
            notify(
                users=[kam],
                message=gettext_lazy("The review of %(account)s is due this month."),
                params={"account": account.name},
                link=reverse("web:account", args=[account.pk]),
            )
        notify(
            users=[kam],
            message=gettext_lazy("%(who)s approved your nomination of a key account."),
            params={"who": _("the programme director")},
            link=reverse("web:my_accounts"),
        )
        builder.counts["notifications"] = len(mine) + 1
