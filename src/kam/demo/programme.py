"""Demo assessment campaigns of the KAM programme: a closed one six months ago and an open one
now, answered by executives, KAMs, sales managers and field reps, so the programme page shows
a radar, a trend and a gap (executives think communication with service works; field reps do
not). Deterministic for a seed."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.periods import add_months
from kam.people.models import User
from kam.programme.models import Campaign, CampaignStatus, Group, Response, Statement

# The mean answer (1–5) of each group per condition, in the open campaign; the earlier one is
# a little lower everywhere, so the trend shows progress.
MEANS: dict[str, dict[int, float]] = {
    Group.EXECUTIVE: {1: 3.8, 2: 3.9, 3: 4.3, 4: 3.7, 5: 4.0, 6: 3.6},
    Group.KAM: {1: 3.6, 2: 3.2, 3: 3.1, 4: 3.7, 5: 3.0, 6: 3.5},
    Group.SALES_MANAGER: {1: 3.4, 2: 3.3, 3: 3.0, 4: 3.5, 5: 3.1, 6: 3.2},
    Group.FIELD_REP: {1: 3.4, 2: 3.2, 3: 2.1, 4: 3.3, 5: 2.3, 6: 3.2},
}
COMMENTS = {
    3: "Service answers our requests late.",
    5: "We hear about head-office agreements after the customer does.",
}


def _answer(rng: random.Random, mean: float) -> int:
    return max(1, min(5, round(rng.gauss(mean, 0.8))))


def make_programme(builder: Any) -> int:
    """Write the two demo campaigns and their answers; returns the number of answers."""
    rng: random.Random = builder.rng("programme")
    today: dt.date = builder.today
    names = [_("Programme assessment, spring"), _("Programme assessment, autumn")]
    Campaign.objects.filter(name__in=names).delete()
    statements = list(Statement.objects.filter(active=True).order_by("condition", "position"))
    if not statements:
        return 0
    groups = list(Group.values)
    people = list(User.objects.filter(role__in=groups, is_active=True).order_by("pk"))
    opener = next((u for u in people if u.role == Group.EXECUTIVE), None)
    written = 0
    for index, (name, lower, share) in enumerate(((names[0], 0.4, 1.0), (names[1], 0.0, 0.85))):
        start = add_months(today.replace(day=1), -6 if index == 0 else 0)
        end = start + dt.timedelta(days=40)
        campaign = Campaign.objects.create(
            name=name,
            period_start=start,
            period_end=end,
            groups=groups,
            opened_by=opener,
            status=CampaignStatus.CLOSED if index == 0 else CampaignStatus.OPEN,
            closed_at=timezone.now() if index == 0 else None,
        )
        campaign.statements.set(statements)
        rows = []
        for person in people:
            # every demo login answers the open campaign except the field rep, who is asked to
            if rng.random() > share or (index == 1 and person.username == "rep"):
                continue
            for s in statements:
                answer = _answer(rng, MEANS[person.role][s.condition] - lower)
                comment = (
                    COMMENTS.get(s.condition, "") if answer <= 2 and rng.random() < 0.3 else ""
                )
                rows.append(
                    Response(
                        campaign=campaign,
                        statement=s,
                        respondent=person,
                        group=person.role,
                        answer=answer,
                        comment=comment,
                    )
                )
        Response.objects.bulk_create(rows, batch_size=2000)
        written += len(rows)
    return written
