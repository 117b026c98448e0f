"""Demo data of the relationship map: buying-centre roles, attitudes and our judged links on the
key accounts, and the kept link strengths from the demo's interactions.

Deterministic for a seed (its own random stream); bounded per account. Roles follow the
person's function and seniority, as a KAM would record them: the board and senior managers
decide and approve, purchasing buys, engineering, production and quality use and influence.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _

from kam.customers.models import Unit
from kam.relationships.models import BuyingRole, ContactStance, LinkStrength, OurLink
from kam.relationships.network import current_positions
from kam.relationships.services import strengths_refresh

PEOPLE_PER_ACCOUNT = 60  # most people given a role or a stance per account
ROLES_BY_FUNCTION = {
    "purchasing": ["buyer", "gatekeeper"],
    "engineering": ["user", "influencer"],
    "production": ["user", "initiator"],
    "quality": ["influencer", "user"],
    "logistics": ["user"],
    "finance": ["approver", "influencer"],
    "it": ["influencer", "gatekeeper"],
    "management": ["decider", "initiator"],
}
ATTITUDES = ["champion", "supporter", "supporter", "neutral", "neutral", "neutral", "critic",
             "opponent"]  # fmt: skip
INFLUENCE = {"board": 5, "senior": 4, "middle": 3, "operational": 2}


def make_relationship_map(builder: Any) -> dict[str, int]:
    """Roles, stances and judged links for the key accounts; strengths for every pair."""
    builder.rep.stage(_("Relationship map: roles, attitudes and our links"), None)
    rng = builder.rng("relationship map")
    accounts = list(Unit.objects.accounts().filter(account_manager__isnull=False).order_by("pk"))
    taken = set(BuyingRole.objects.values_list("account_id", flat=True).distinct())
    roles: list[BuyingRole] = []
    stances: list[ContactStance] = []
    for account in accounts:
        if account.pk in taken:
            continue
        rows = list(
            current_positions(account)
            .order_by("contact_id")
            .values_list("contact_id", "function", "seniority")
        )
        seen: set[int] = set()
        senior = [r for r in rows if r[2] in ("board", "senior")]
        others = [r for r in rows if r[2] not in ("board", "senior")]
        chosen = senior[: PEOPLE_PER_ACCOUNT // 2]
        chosen += rng.sample(others, min(len(others), PEOPLE_PER_ACCOUNT - len(chosen)))
        for contact_id, function, seniority in chosen:
            if contact_id in seen:
                continue
            seen.add(contact_id)
            options = ROLES_BY_FUNCTION.get(function, ["influencer"])
            held = {options[0]} if rng.random() < 0.7 else set(options)
            if seniority == "board":
                held.add("decider")
            elif seniority == "senior" and rng.random() < 0.5:
                held.add("approver")
            if rng.random() < 0.15:  # a gap to find: not every person's role is known
                held = set()
            roles += [
                BuyingRole(account=account, contact_id=contact_id, role=r) for r in sorted(held)
            ]
            stances.append(
                ContactStance(
                    account=account,
                    contact_id=contact_id,
                    attitude=rng.choice(ATTITUDES),
                    influence=min(5, max(1, INFLUENCE.get(seniority, 3) + rng.choice([-1, 0, 0]))),
                )
            )
    BuyingRole.objects.bulk_create(roles, batch_size=2000)
    ContactStance.objects.bulk_create(stances, batch_size=2000)
    strengths = strengths_refresh(everything=True)
    # Our people's own judgement of their strongest links: mostly agreeing, sometimes not.
    by_account: dict[int, list[LinkStrength]] = defaultdict(list)
    for row in LinkStrength.objects.filter(strength__gt=0).order_by("-strength", "pk")[:3000]:
        by_account[row.user_id].append(row)
    judged: list[OurLink] = []
    existing = set(OurLink.objects.values_list("user_id", "contact_id"))
    for user_id in sorted(by_account):
        for row in by_account[user_id][:15]:
            if (row.user_id, row.contact_id) in existing:
                continue
            level = row.activity_level + rng.choice([0, 0, 0, 1, -1, 2])
            judged.append(
                OurLink(user_id=row.user_id, contact_id=row.contact_id, level=max(0, min(4, level)))
            )
    OurLink.objects.bulk_create(judged, batch_size=2000)
    return {
        "buying_roles": len(roles),
        "stances": len(stances),
        "link_strengths": strengths,
        "judged_links": len(judged),
    }
