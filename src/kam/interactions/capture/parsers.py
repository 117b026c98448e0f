"""Calendar and mail files to items: who took part, when, about what.

Calendars are read with ``icalendar`` and recurring events expanded with
``recurring-ical-events`` inside the requested range; mail with the standard library's
``email`` (headers only: the body is never needed). Every time is stored aware, in UTC.
A file that cannot be read raises :class:`CaptureFileError` naming the file and the item.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from email.header import Header, decode_header, make_header
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from django.conf import settings
from django.utils.translation import gettext as _

CALENDAR, MAIL = "calendar", "mail"
_HEADERS = BytesHeaderParser()  # compat32: headers as written, decoded by _text (fast)
_CALL = re.compile(r"\b(call|phone|telefon\w*|звонок|созвон)\b", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_POSTMARK = re.compile(rb"^From \S+ +.*\d\d?:\d\d")  # "From sender asctime": starts a message
_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|ответ|пересл)\s*:\s*)+", re.IGNORECASE)


class CaptureFileError(ValueError):
    """A file (or one item of it) that cannot be read; ``message`` names the file and item."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Item:
    """One meeting occurrence or one message."""

    key: str  # stable external id: re-importing the same item finds it
    source: str  # CALENDAR or MAIL
    type: str  # an InteractionType value
    subject: str
    start: dt.datetime  # aware, UTC
    ref: str  # how the user finds it again: "UID …" or "Message-ID …", with the line
    addresses: dict[str, str] = field(default_factory=dict)  # lower-case e-mail -> display name

    @property
    def norm_subject(self) -> str:
        return normalise_subject(self.subject)


def normalise_subject(subject: str) -> str:
    return _SPACES.sub(" ", _PREFIX.sub("", subject or "")).strip().casefold()


def _stable_key(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}:{digest[:56]}"  # fits Interaction.external_id (64)


def _utc(value: dt.datetime | dt.date, default_tz: dt.tzinfo) -> dt.datetime:
    if not isinstance(value, dt.datetime):  # an all-day event starts at midnight, local time
        value = dt.datetime.combine(value, dt.time(0, 0))
    if value.tzinfo is None:  # a "floating" time: the calendar's zone, else the site's
        value = value.replace(tzinfo=default_tz)
    return value.astimezone(dt.UTC)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")  # pragma: no cover - latin-1 decodes everything


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _address(value: object) -> tuple[str, str] | None:
    """(lower-case e-mail, display name) of an ATTENDEE/ORGANIZER value, None when not mail."""
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if "@" not in text:
        return None
    params = getattr(value, "params", {}) or {}
    name = str(params.get("CN", "") or "").strip().strip('"')
    return text.strip().lower(), name


# The event properties capture reads; the others (descriptions, alarms, attachments, vendor
# extensions) are dropped before parsing: they are most of a real export and none is needed.
_EVENT_KEEP = frozenset(
    {
        *("UID", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "EXRULE"),
        *("RECURRENCE-ID", "SUMMARY", "ORGANIZER", "ATTENDEE", "LOCATION", "STATUS"),
    }
)
_NAME_END = re.compile(r"[;:]")


def _essential(text: str) -> str:
    """The calendar with only the lines capture reads (time zones are kept whole)."""
    out: list[str] = []
    keep = True
    stack: list[str] = []
    for line in text.splitlines():
        if line[:1] in (" ", "\t"):  # a folded continuation goes with its line
            if keep:
                out.append(line)
            continue
        match = _NAME_END.search(line)
        name = (line[: match.start()] if match else line).strip().upper()
        if name in ("BEGIN", "END"):
            kind = line[match.end() :].strip().upper() if match else ""
            if name == "BEGIN":
                stack.append(kind)
            elif stack:
                stack.pop()
            keep = "VALARM" not in stack and not (name == "END" and kind == "VALARM")
        elif stack and stack[-1] == "VEVENT":
            keep = name in _EVENT_KEEP
        else:
            keep = "VALARM" not in stack
        if keep:
            out.append(line)
    return "\r\n".join(out) + "\r\n"


def _occurrences(calendar: icalendar.Calendar, since: dt.datetime, until: dt.datetime) -> list[Any]:
    """Single events as they are; recurring series expanded in the range (with their moved
    occurrences) by recurring-ical-events, which is only asked about the series."""
    events = list(calendar.walk("VEVENT"))
    series = {str(e.get("UID", "")) for e in events if "RRULE" in e or "RDATE" in e}
    single = [e for e in events if str(e.get("UID", "")) not in series]
    if not series:
        return single
    recurring = icalendar.Calendar()
    for component in calendar.subcomponents:
        if component.name == "VTIMEZONE" or (
            component.name == "VEVENT" and str(component.get("UID", "")) in series
        ):
            recurring.add_component(component)
    return single + list(recurring_ical_events.of(recurring).between(since, until))


def parse_calendar(
    data: bytes, *, filename: str, since: dt.datetime, until: dt.datetime
) -> list[Item]:
    """The event occurrences of an .ics file that start in ``[since, until)``."""
    text = _decode(data)
    try:
        calendar = icalendar.Calendar.from_ical(_essential(text))
    except ValueError as exc:
        raise CaptureFileError(
            _("%(file)s is not a readable calendar: %(reason)s") % {"file": filename, "reason": exc}
        ) from exc
    if isinstance(calendar, list):  # several VCALENDARs in one file: read the first
        calendar = calendar[0]
    tz_name = str(calendar.get("X-WR-TIMEZONE", "") or "")
    try:
        default_tz: dt.tzinfo = ZoneInfo(tz_name) if tz_name else ZoneInfo(settings.TIME_ZONE)
    except (ValueError, KeyError):
        default_tz = ZoneInfo(settings.TIME_ZONE)
    for event in calendar.walk("VEVENT"):
        errors = getattr(event, "errors", None)
        uid = str(event.get("UID", "") or "")
        if errors or "DTSTART" not in event:
            line = _line_of(text, f"UID:{uid}") if uid else None
            reason = "; ".join(f"{name}: {msg}" for name, msg in errors or []) or _(
                "no start time (DTSTART)"
            )
            raise CaptureFileError(
                _("%(file)s, event %(uid)s (line %(line)s): %(reason)s")
                % {"file": filename, "uid": uid or "?", "line": line or "?", "reason": reason}
            )
    try:
        occurrences = _occurrences(calendar, since, until)
    except Exception as exc:  # the expander's own errors carry no common base class
        raise CaptureFileError(
            _("%(file)s: the recurring events cannot be expanded: %(reason)s")
            % {"file": filename, "reason": exc}
        ) from exc
    items = []
    for event in occurrences:
        uid = str(event.get("UID", "") or "")
        start = _utc(cast(Any, event["DTSTART"]).dt, default_tz)
        if not since <= start < until:  # a long event that began before the range
            continue
        recurrence = event.get("RECURRENCE-ID")
        occurrence = _utc(recurrence.dt, default_tz).isoformat() if recurrence is not None else ""
        subject = str(event.get("SUMMARY", "") or "").strip()
        addresses: dict[str, str] = {}
        people = event.get("ATTENDEE", [])
        people = people if isinstance(people, list) else [people]
        for value in [event.get("ORGANIZER"), *people]:
            found = _address(value) if value is not None else None
            if found:
                addresses.setdefault(found[0], found[1])
        location = str(event.get("LOCATION", "") or "")
        kind = "call" if _CALL.search(subject) or location.lower().startswith("tel:") else "meeting"
        key = (
            _stable_key("ics", uid, occurrence)
            if uid
            else _stable_key("ics", start.isoformat(), normalise_subject(subject))
        )
        items.append(
            Item(
                key=key,
                source=CALENDAR,
                type=kind,
                subject=subject,
                start=start,
                ref=(f"UID {uid}" if uid else subject)
                + (f" ({start:%Y-%m-%d %H:%M} UTC)" if recurrence is not None or not uid else ""),
                addresses=addresses,
            )
        )
    return items


def _header_block(data: bytes) -> bytes:
    """The headers of a message: everything before the first empty line (the body is never
    read, which keeps a large mailbox fast)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        at = data.find(separator)
        if at >= 0:
            return data[: at + len(separator)]
    return data


def _text(value: object) -> str:
    """A header as text: RFC 2047 encoded words decoded, folding undone."""
    if value is None:
        return ""
    if isinstance(value, Header):
        return str(value)
    raw = str(value)
    try:
        return str(make_header(decode_header(raw))).replace("\r", "").replace("\n", "").strip()
    except (ValueError, LookupError, UnicodeDecodeError):  # a broken encoded word: as written
        return " ".join(raw.split())


def _message(data: bytes, *, filename: str, line: int) -> Item:
    msg = _HEADERS.parsebytes(_header_block(data))
    message_id = _text(msg.get("Message-ID")).strip()
    where = _("%(file)s, message %(id)s (line %(line)s)") % {
        "file": filename,
        "id": message_id or "?",
        "line": line,
    }
    raw_date = _text(msg.get("Date"))
    try:
        when = parsedate_to_datetime(raw_date) if raw_date else None
    except (TypeError, ValueError):
        when = None
    if when is None:
        raise CaptureFileError(_("%(where)s: no valid Date header") % {"where": where})
    if when.tzinfo is None:  # "-0000": the sender's zone is unknown, the time is UTC
        when = when.replace(tzinfo=dt.UTC)
    addresses: dict[str, str] = {}
    for name in ("From", "To", "Cc"):
        values = [" ".join(str(v).split()) for v in msg.get_all(name, []) or []]
        for display, addr in getaddresses(values):
            if addr and "@" in addr:
                addresses.setdefault(addr.strip().lower(), _text(display).strip('"'))
    if not addresses:
        raise CaptureFileError(_("%(where)s: no sender or recipient address") % {"where": where})
    subject = _text(msg.get("Subject"))
    start = when.astimezone(dt.UTC)
    key = (
        _stable_key("mail", message_id)
        if message_id
        else _stable_key("mail", start.isoformat(), *sorted(addresses), subject)
    )
    return Item(
        key=key,
        source=MAIL,
        type="email",
        subject=subject,
        start=start,
        ref=f"Message-ID {message_id}" if message_id else where,
        addresses=addresses,
    )


def split_mbox(data: bytes) -> list[tuple[int, bytes]]:
    """The messages of an mbox as (first line number, bytes).

    A message starts at a "From " line carrying a time, after a blank line (or at the top),
    so an unquoted "From the warehouse…" line of a body does not split a message."""
    messages: list[tuple[int, bytes]] = []
    start_line, current = 0, cast(list[bytes], [])
    previous_blank = True
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        if previous_blank and _POSTMARK.match(line):
            if current:
                messages.append((start_line, b"".join(current)))
            start_line, current = number + 1, []
        else:
            if line.startswith(b">From "):  # mboxrd/mboxo quoting of body lines
                line = line[1:]
            current.append(line)
        previous_blank = not line.strip()
    if current:
        messages.append((start_line, b"".join(current)))
    return messages


def parse_mail(data: bytes, *, filename: str, since: dt.datetime, until: dt.datetime) -> list[Item]:
    """The messages of an .eml (one message) or mbox file dated in ``[since, until)``."""
    parts = split_mbox(data) if data.startswith(b"From ") else [(1, data)]
    if not parts or not any(p.strip() for _line, p in parts):
        raise CaptureFileError(_("%(file)s holds no message") % {"file": filename})
    items = []
    for line, part in parts:
        item = _message(part, filename=filename, line=line)
        if since <= item.start < until:
            items.append(item)
    return items


def kind_of(filename: str, data: bytes) -> str:
    """CALENDAR or MAIL, from the name's extension, else from the first bytes."""
    name = filename.lower()
    if name.endswith((".ics", ".ical", ".ifb", ".icalendar")):
        return CALENDAR
    if name.endswith((".eml", ".mbox", ".mbx", ".msg.txt")):
        return MAIL
    head = data[:200].lstrip(b"\xef\xbb\xbf \r\n\t").upper()
    return CALENDAR if head.startswith(b"BEGIN:VCALENDAR") else MAIL


def parse_file(data: bytes, *, filename: str, since: dt.datetime, until: dt.datetime) -> list[Item]:
    if kind_of(filename, data) == CALENDAR:
        return parse_calendar(data, filename=filename, since=since, until=until)
    return parse_mail(data, filename=filename, since=since, until=until)
