"""Demo for capturing interactions from files: the people the sample files name.

``fixtures/capture-calendar.ics`` and ``fixtures/capture-mail.mbox`` are what a rep would
export from their calendar and mailbox. Their customer addresses must match contacts, so this
stage places two of them (fixed addresses) at the first key account of the demo **kam** login;
a third address of the files is left unknown, for the one-click "add as contact". The calendar
is made of open-ended series, so whenever the demo is built its default range holds meetings.
"""

from __future__ import annotations

import datetime as dt

from kam.customers.models import Contact, Unit
from kam.customers.services import contact_create
from kam.people.models import User

CONTACTS = (
    # first name, last name, e-mail, title, function, seniority
    ("Elena", "Sommer", "elena.sommer@customer.example", "Head of purchasing", "purchasing",
     "middle"),
    ("Marco", "Ricci", "marco.ricci@customer.example", "Quality manager", "quality",
     "operational"),
)  # fmt: skip
UNKNOWN = "jonas.weber@customer.example"  # in the files, deliberately not a contact


def make_capture_contacts(*, today: dt.date) -> int:
    """Place the sample files' customer people at the demo KAM's first key account."""
    kam = User.objects.filter(username="kam").first()
    account = (
        Unit.objects.accounts().filter(account_manager=kam).order_by("pk").first()
        if kam is not None
        else None
    )
    if account is None:
        return 0
    made = 0
    for first, last, email, title, function, seniority in CONTACTS:
        if Contact.objects.filter(email__iexact=email).exists():
            continue
        contact_create(
            unit=account,
            first_name=first,
            last_name=last,
            email=email,
            title=title,
            function=function,
            seniority=seniority,
            start_date=today - dt.timedelta(days=400),
            external_id=f"demo:capture:{last.lower()}",
        )
        made += 1
    return made
