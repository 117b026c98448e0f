"""Matching captured items to contacts and our people, merging duplicates, writing them.

One use case, one transaction: :func:`capture_import` reads every file first (a file that
cannot be read raises a :class:`DomainError` naming the item and nothing is written), then
matches, merges and — unless ``dry_run`` — writes every interaction and participant row with
bulk inserts. The summary is the same for the preview, the API and the command line.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.bulk import create_with_history
from kam.core.errors import DomainError
from kam.core.permissions import visible
from kam.core.validation import check_date
from kam.customers import services as customer_services
from kam.customers.models import Contact, Employment, Unit

from ..models import CaptureUpload, Initiator, Interaction, Source
from ..signals import interactions_bulk_written
from .parsers import CALENDAR, CaptureFileError, Item, normalise_subject, parse_file

if TYPE_CHECKING:
    from django.contrib.auth.models import _User

LOG = "kam.log_interaction"
CHUNK = 500
LIST_LIMIT = 200  # skipped items listed one by one (the count is always complete)
DEFAULT_PAST_DAYS, DEFAULT_FUTURE_DAYS = 90, 30


def default_range(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The last 90 days to the next 30, whole days in UTC."""
    now = now or timezone.now()
    today = dt.datetime.combine(now.astimezone(dt.UTC).date(), dt.time(0), tzinfo=dt.UTC)
    return today - dt.timedelta(days=DEFAULT_PAST_DAYS), today + dt.timedelta(
        days=DEFAULT_FUTURE_DAYS + 1
    )


def check_range(since: dt.datetime, until: dt.datetime) -> None:
    check_date(since, "since")
    check_date(until, "until")
    if until <= since:
        raise DomainError(_("The end of the range must be after its start."), field="until")


@dataclass
class Unmatched:
    email: str
    name: str
    items: int = 0
    unit_ids: set[int] = field(default_factory=set)  # units of the items it appeared in


@dataclass
class Skipped:
    ref: str
    reason: str


@dataclass
class Summary:
    """What an import found (and, unless a dry run, wrote)."""

    items: int = 0  # occurrences and messages read inside the range
    matched: int = 0  # new interactions (written, or to write on a dry run)
    duplicates: int = 0  # merged with another item or already in the log
    updated: int = 0  # interactions already in the log that gained participants
    skipped_count: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    unmatched: dict[str, Unmatched] = field(default_factory=dict)
    dry_run: bool = True
    interaction_ids: list[int] = field(default_factory=list)

    def skip(self, ref: str, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < LIST_LIMIT:
            self.skipped.append(Skipped(ref, reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "matched": self.matched,
            "duplicates": self.duplicates,
            "updated": self.updated,
            "skipped_count": self.skipped_count,
            "skipped": [{"ref": s.ref, "reason": s.reason} for s in self.skipped],
            "unmatched": [
                {"email": u.email, "name": u.name, "items": u.items}
                for u in sorted(self.unmatched.values(), key=lambda u: (-u.items, u.email))
            ],
            "dry_run": self.dry_run,
        }


@dataclass
class _Group:
    """Items that are one interaction: the same UID, Message-ID or meeting."""

    first: Item
    keys: set[str]
    addresses: dict[str, str]
    users: set[int] = field(default_factory=set)
    contacts: set[int] = field(default_factory=set)
    unit_id: int | None = None


def read_files(
    files: Iterable[tuple[str, bytes]], *, since: dt.datetime, until: dt.datetime
) -> list[Item]:
    """Every item of every file, or a DomainError naming the first unreadable one."""
    items: list[Item] = []
    for name, data in files:
        try:
            items += parse_file(data, filename=name, since=since, until=until)
        except CaptureFileError as exc:
            raise DomainError(exc.message, field="file", code="unreadable") from exc
    return items


def _merge(items: list[Item], summary: Summary) -> list[_Group]:
    """One group per interaction: items with the same key, and calendar items with the same
    start and normalised subject whose attendees overlap (one meeting in two calendars)."""
    by_key: dict[str, _Group] = {}
    by_slot: dict[tuple[dt.datetime, str], list[_Group]] = defaultdict(list)
    groups: list[_Group] = []
    for item in sorted(items, key=lambda i: (i.start, i.key)):
        group = by_key.get(item.key)
        if group is None and item.source == CALENDAR:
            for candidate in by_slot[(item.start, item.norm_subject)]:
                if candidate.addresses.keys() & item.addresses.keys():
                    group = candidate
                    break
        if group is None:
            group = _Group(first=item, keys={item.key}, addresses=dict(item.addresses))
            groups.append(group)
            if item.source == CALENDAR:
                by_slot[(item.start, item.norm_subject)].append(group)
        else:
            summary.duplicates += 1
            group.keys.add(item.key)
            for address, name in item.addresses.items():
                group.addresses.setdefault(address, name)
        by_key[item.key] = group
    return groups


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _match_addresses(
    addresses: set[str],
) -> tuple[dict[str, list[int]], dict[str, int], dict[int, list[int]]]:
    """Contacts by address, our (active) people by address, current units by contact."""
    ordered = sorted(addresses)
    contacts: dict[str, list[int]] = defaultdict(list)
    users: dict[str, int] = {}
    user_model = get_user_model()
    for part in _chunks(ordered):
        for pk, address in (
            Contact.objects.annotate(address=Lower("email"))
            .filter(address__in=part)
            .order_by("pk")
            .values_list("pk", "address")
        ):
            contacts[address].append(pk)
        for pk, address in (
            user_model.objects.filter(is_active=True)
            .annotate(address=Lower("email"))
            .filter(address__in=part)
            .order_by("pk")
            .values_list("pk", "address")
        ):
            users.setdefault(address, pk)
    contact_ids = sorted({pk for pks in contacts.values() for pk in pks})
    units: dict[int, list[int]] = defaultdict(list)
    for part in _chunks(contact_ids):
        for contact_id, unit_id in (
            Employment.objects.filter(contact_id__in=part, end_date__isnull=True)
            .order_by("pk")
            .values_list("contact_id", "unit_id")
        ):
            units[contact_id].append(unit_id)
    return contacts, users, units


def _allowed_units(user: _User | None, unit_ids: set[int]) -> set[int]:
    """The units ``user`` may log interactions on (all of them for the command line)."""
    allowed: set[int] = set()
    for part in _chunks(sorted(unit_ids)):
        queryset = Unit.objects.filter(pk__in=part)
        if user is None:
            allowed.update(queryset.values_list("pk", flat=True))
            continue
        for unit in visible(user, queryset):
            if user.has_perm(LOG, unit):
                allowed.add(unit.pk)
    return allowed


def _existing(groups: list[_Group]) -> dict[int, int]:
    """Group index -> id of the interaction already logged for it: by key, or (calendar) by the
    same start, normalised subject and an overlapping person."""
    index_of_key = {key: i for i, g in enumerate(groups) for key in g.keys}
    found: dict[int, int] = {}
    for part in _chunks(sorted(index_of_key)):
        for pk, key in Interaction.objects.filter(external_id__in=part).values_list(
            "pk", "external_id"
        ):
            found.setdefault(index_of_key[str(key)], pk)
    slots: dict[dt.datetime, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        if i not in found and g.first.source == CALENDAR and g.unit_id is not None:
            slots[g.first.start].append(i)
    starts = sorted(slots)
    for part in _chunks(starts):
        rows = list(
            Interaction.objects.filter(source=Source.CALENDAR, occurred_at__in=part).values_list(
                "pk", "occurred_at", "summary"
            )
        )
        if not rows:
            continue
        ids = [pk for pk, _when, _summary in rows]
        people: dict[int, set[tuple[str, int]]] = defaultdict(set)
        for iid, uid in Interaction.participants.through.objects.filter(
            interaction_id__in=ids
        ).values_list("interaction_id", "user_id"):
            people[iid].add(("u", uid))
        for iid, cid in Interaction.contacts.through.objects.filter(
            interaction_id__in=ids
        ).values_list("interaction_id", "contact_id"):
            people[iid].add(("c", cid))
        for pk, when, summary in rows:
            for i in slots.get(when, []):
                g = groups[i]
                mine = {("u", u) for u in g.users} | {("c", c) for c in g.contacts}
                same = g.first.norm_subject == normalise_subject(summary)
                if i not in found and same and mine & people[pk]:
                    found[i] = pk
    return found


def _unit_of(contacts: set[int], units: dict[int, list[int]]) -> int | None:
    """The most frequent current unit of the contacts (ties: the lowest id)."""
    counts = Counter(u for c in contacts for u in set(units.get(c, [])))
    if not counts:
        return None
    best = max(counts.values())
    return min(u for u, n in counts.items() if n == best)


def capture_import(
    *,
    files: Iterable[tuple[str, bytes]],
    user: _User | None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    dry_run: bool = False,
) -> Summary:
    """Read, match, merge and (unless ``dry_run``) write; all or nothing.

    ``user`` is who imports (``None`` for the command line: every unit allowed, no author).
    Interactions on units the user may not log on are reported as skipped, not written.
    """
    if since is None or until is None:
        default_since, default_until = default_range()
        since, until = since or default_since, until or default_until
    check_range(since, until)
    summary = Summary(dry_run=dry_run)
    items = read_files(files, since=since, until=until)
    summary.items = len(items)
    groups = _merge(items, summary)
    contacts_of, user_of, units_of = _match_addresses({a for g in groups for a in g.addresses})
    for g in groups:
        for address in g.addresses:
            if address in user_of:
                g.users.add(user_of[address])
            elif address in contacts_of:
                g.contacts.update(contacts_of[address])
        g.unit_id = _unit_of(g.contacts, units_of)
        for address, name in g.addresses.items():
            if address not in user_of and address not in contacts_of:
                entry = summary.unmatched.setdefault(address, Unmatched(address, name))
                entry.name = entry.name or name
                entry.items += 1
                if g.unit_id is not None:
                    entry.unit_ids.add(g.unit_id)
    allowed = _allowed_units(user, {g.unit_id for g in groups if g.unit_id is not None})
    keep: list[_Group] = []
    for g in groups:
        if not g.contacts:
            summary.skip(g.first.ref, _("no customer contact among the participants"))
        elif g.unit_id is None:
            summary.skip(g.first.ref, _("no customer unit (no current position)"))
        elif g.unit_id not in allowed:
            summary.skip(g.first.ref, _("you may not log interactions on this unit"))
        else:
            keep.append(g)
    existing = _existing(keep)
    summary.matched = len(keep) - len(existing)
    summary.duplicates += len(existing)
    if dry_run:
        return summary
    with transaction.atomic():
        _write(keep, existing, user, summary)
    return summary


def _initiator(group: _Group, ours: set[str]) -> str:
    first = next(iter(group.first.addresses), "")  # the organizer / the sender comes first
    return Initiator.US if first in ours or not first else Initiator.CUSTOMER


def _write(
    groups: list[_Group], existing: dict[int, int], user: _User | None, summary: Summary
) -> None:
    user_model = get_user_model()
    ours = set(
        user_model.objects.filter(pk__in={u for g in groups for u in g.users})
        .annotate(address=Lower("email"))
        .values_list("address", flat=True)
    )
    new = [
        Interaction(
            type=g.first.type,
            occurred_at=g.first.start,
            unit_id=cast(int, g.unit_id),  # every kept group has a unit
            summary=(g.first.subject or _("(no subject)"))[:300],
            source=Source.CALENDAR if g.first.source == CALENDAR else Source.MAIL,
            initiated_by=_initiator(g, ours),
            external_id=g.first.key,
            created_by=user,
        )
        for i, g in enumerate(groups)
        if i not in existing
    ]
    if user is not None:  # the history's author, as bulk_create_with_history's default_user
        for obj in new:
            obj._history_user = user  # type: ignore[attr-defined]
    # plain INSERTs with their creation entries: the ORM's bulk paths cost half the import
    create_with_history(Interaction, new, batch_size=CHUNK)
    written = new
    if any(obj.pk is None for obj in written):  # a backend that returns no keys
        keys = {obj.external_id: obj for obj in written}
        for pk, key in Interaction.objects.filter(external_id__in=list(keys)).values_list(
            "pk", "external_id"
        ):
            keys[key].pk = pk
    ids_iter = iter(written)
    target: dict[int, int] = {}
    for i in range(len(groups)):
        target[i] = existing[i] if i in existing else int(next(ids_iter).pk)
    people = Interaction.participants.through
    theirs = Interaction.contacts.through
    have_users: set[tuple[int, int]] = set()
    have_contacts: set[tuple[int, int]] = set()
    old_ids = sorted(set(existing.values()))
    for part in _chunks(old_ids):
        have_users.update(
            people.objects.filter(interaction_id__in=part).values_list("interaction_id", "user_id")
        )
        have_contacts.update(
            theirs.objects.filter(interaction_id__in=part).values_list(
                "interaction_id", "contact_id"
            )
        )
    add_users, add_contacts, changed = [], [], set()
    for i, g in enumerate(groups):
        iid = target[i]
        for uid in sorted(g.users):
            if (iid, uid) not in have_users:
                add_users.append(people(interaction_id=iid, user_id=uid))
                changed.add(iid)
        for cid in sorted(g.contacts):
            if (iid, cid) not in have_contacts:
                add_contacts.append(theirs(interaction_id=iid, contact_id=cid))
                changed.add(iid)
    people.objects.bulk_create(add_users, batch_size=CHUNK * 4, ignore_conflicts=True)
    theirs.objects.bulk_create(add_contacts, batch_size=CHUNK * 4, ignore_conflicts=True)
    summary.updated = len(changed & set(old_ids))
    summary.dry_run = False
    summary.interaction_ids = sorted(changed | {int(o.pk) for o in written})
    interactions_bulk_written.send(sender=Interaction, interaction_ids=summary.interaction_ids)


def _split_name(display: str, email: str) -> tuple[str, str]:
    display = " ".join(display.replace('"', " ").split())
    if "," in display:  # "Last, First"
        last, _sep, first = display.partition(",")
        return first.strip(), last.strip()
    if display:
        first, _sep, last = display.rpartition(" ")
        return first, last
    local = email.split("@", 1)[0].replace(".", " ").replace("_", " ").title()
    first, _sep, last = local.rpartition(" ")
    return first, last or local


@transaction.atomic
def capture_contact_add(*, email: str, name: str, unit: Unit) -> Contact:
    """Add an unmatched address as a contact with a current position at ``unit``."""
    address = (email or "").strip().lower()
    if "@" not in address:
        raise DomainError(_("Not an e-mail address."), field="email")
    exists = Contact.objects.annotate(address=Lower("email")).filter(address=address).exists()
    if exists:
        raise DomainError(_("A contact with this e-mail address exists already."), field="email")
    first, last = _split_name(name or "", address)
    return customer_services.contact_create(
        unit=unit,
        first_name=first[:100],
        last_name=last[:100],
        email=address,
        start_date=timezone.localdate(),
    )


@transaction.atomic
def capture_upload_create(
    *, user: _User, filename: str, data: bytes, since: dt.datetime, until: dt.datetime
) -> CaptureUpload:
    """Keep an uploaded file for its preview and import (read once here: a bad file is
    refused before anything is kept)."""
    check_range(since, until)
    read_files([(filename, data)], since=since, until=until)
    upload = CaptureUpload(created_by=user, filename=filename[:200], since=since, until=until)
    upload.file.save(filename[-100:] or "upload", ContentFile(data), save=False)
    upload.save()
    return upload


def capture_upload_read(upload: CaptureUpload) -> bytes:
    with upload.file.open("rb") as handle:
        return bytes(handle.read())


@transaction.atomic
def capture_upload_import(*, upload: CaptureUpload, user: _User) -> Summary:
    if upload.imported_at is not None:
        raise DomainError(_("This file has been imported already."), code="imported")
    summary = capture_import(
        files=[(upload.filename, capture_upload_read(upload))],
        user=user,
        since=upload.since,
        until=upload.until,
    )
    upload.imported_at = timezone.now()
    upload.created = summary.matched
    upload.save(update_fields=["imported_at", "created", "updated_at"])
    return summary
