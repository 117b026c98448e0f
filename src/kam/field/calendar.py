"""The rep's planned visits as an iCalendar feed (written with ``icalendar``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import icalendar
from django.utils.translation import gettext as _

from kam.people.models import User

from .models import Visit, VisitStatus


def visits_ics(*, user: User, visits: Sequence[Visit]) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//OpenKAM//field visits//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Visits of %(name)s") % {"name": str(user)})
    stamp = dt.datetime.now(dt.UTC)
    for visit in visits:
        event = icalendar.Event()
        event.add("uid", f"visit-{visit.pk}@openkam")
        event.add("dtstamp", stamp)
        event.add("dtstart", visit.planned_on)
        event.add("dtend", visit.planned_on + dt.timedelta(days=1))
        event.add("summary", _("Visit: %(unit)s") % {"unit": visit.unit.name})
        place = ", ".join(p for p in (visit.unit.city, visit.unit.region, visit.unit.country) if p)
        if place:
            event.add("location", place)
        if visit.note:
            event.add("description", visit.note)
        event.add("status", "CONFIRMED" if visit.status != VisitStatus.MISSED else "TENTATIVE")
        cal.add_component(event)
    return bytes(cal.to_ical())
