"""Capture from calendar and mail files: matching, merging, recurrences, all-or-nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kam.core.errors import DomainError
from kam.customers.models import Contact, Employment
from kam.interactions.capture import parsers
from kam.interactions.capture.services import capture_contact_add, capture_import
from kam.interactions.models import Interaction
from kam.relationships.models import StaleLink
from kam.testing.factories import ContactFactory, EmploymentFactory, UserFactory, make_unit
from kam.testing.personas import db_snapshot

FIXTURES = Path(__file__).parent / "fixtures"
SINCE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
UNTIL = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def fixture(name: str) -> tuple[str, bytes]:
    return name, (FIXTURES / name).read_bytes()


@pytest.fixture
def world(db):
    anna = UserFactory(username="anna", email="Anna@ours.example", role="field_rep")
    boris = UserFactory(username="boris", email="boris@ours.example", role="field_rep")
    account = make_unit("Nordwerk Group")
    plant = make_unit("Nordwerk Plant Kassel", parent=account)
    other = make_unit("Other Group")
    ivan = ContactFactory(
        first_name="Ivan", last_name="Petrov", email="ivan.petrov@nordwerk.example"
    )
    olga = ContactFactory(
        first_name="Olga", last_name="Smirnova", email="Olga.Smirnova@nordwerk.example"
    )
    EmploymentFactory(contact=ivan, unit=plant)
    EmploymentFactory(contact=olga, unit=plant)
    # a past position does not count
    EmploymentFactory(contact=ivan, unit=other, end_date=dt.date(2021, 1, 1))
    return {"anna": anna, "boris": boris, "plant": plant, "ivan": ivan, "olga": olga}


def run(*names: str, user=None, dry_run=False, since=SINCE, until=UNTIL):
    return capture_import(
        files=[fixture(n) for n in names], user=user, since=since, until=until, dry_run=dry_run
    )


def test_calendar_items_parse_with_time_zones_folding_and_recurrences():
    name, data = fixture("anna.ics")
    items = parsers.parse_calendar(data, filename=name, since=SINCE, until=UNTIL)
    review = next(i for i in items if i.ref == "UID review-2026-11@ours.example")
    assert review.start == dt.datetime(2026, 11, 5, 9, 0, tzinfo=dt.UTC)  # 10:00 Berlin (CET)
    assert review.type == "meeting"
    assert set(review.addresses) == {
        "anna@ours.example",
        "ivan.petrov@nordwerk.example",
        "olga.smirnova@nordwerk.example",
        "guest@nordwerk.example",
    }
    weekly = [i for i in items if i.ref.startswith("UID weekly-sync@ours.example (")]
    # ten weekly occurrences from 2 November; 2, 9 and 16 November fall inside the range
    assert [i.start.day for i in weekly] == [2, 9, 16]
    assert weekly[0].subject == "Weekly phone call with Nordwerk purchasing"  # folded line
    assert weekly[0].type == "call"
    assert len({i.key for i in weekly}) == 3


def test_mail_headers_are_decoded():
    name, data = fixture("offer.eml")
    (item,) = parsers.parse_mail(data, filename=name, since=SINCE, until=UNTIL)
    assert item.subject == "Re: Offer for the 2027 frame contract"
    assert item.start == dt.datetime(2026, 11, 3, 11, 20, tzinfo=dt.UTC)
    assert item.addresses["ivan.petrov@nordwerk.example"] == "Иван Петров"
    assert item.addresses["olga.smirnova@nordwerk.example"] == "Smirnova, Olga"
    assert "new.buyer@nordwerk.example" in item.addresses


def test_matching_sets_unit_people_type_and_summary(world):
    summary = run("anna.ics")
    assert summary.matched == 4  # the review and three weekly calls; the team lunch is skipped
    review = Interaction.objects.get(summary="Quarterly review with Nordwerk")
    assert review.unit == world["plant"]
    assert review.source == "calendar" and review.type == "meeting"
    assert set(review.participants.all()) == {world["anna"]}
    assert set(review.contacts.all()) == {world["ivan"], world["olga"]}
    assert review.initiated_by == "us"
    assert Interaction.objects.filter(type="call").count() == 3
    assert [s.ref for s in summary.skipped] == ["UID team-lunch@ours.example"]
    assert list(summary.unmatched) == ["guest@nordwerk.example"]
    # link strengths of the new pairs are marked for refresh, as a single save would
    assert StaleLink.objects.filter(user_id=world["anna"].pk, contact_id=world["ivan"].pk).exists()


def test_no_current_position_is_reported_and_skipped(world):
    Employment.objects.filter(contact__in=[world["ivan"], world["olga"]]).update(
        end_date=dt.date(2025, 1, 1)
    )
    summary = run("anna.ics")
    assert summary.matched == 0
    assert Interaction.objects.count() == 0
    assert any("no customer unit" in s.reason for s in summary.skipped)


def test_same_meeting_in_two_calendars_is_one_interaction(world):
    summary = run("anna.ics", "boris.ics")
    assert summary.duplicates == 1
    review = Interaction.objects.get(occurred_at=dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC))
    assert set(review.participants.all()) == {world["anna"], world["boris"]}
    assert Interaction.objects.filter(summary__icontains="quarterly").count() == 1


def test_second_calendar_imported_later_adds_its_person_to_the_meeting(world):
    run("anna.ics")
    summary = run("boris.ics")
    assert summary.matched == 0 and summary.duplicates == 1 and summary.updated == 1
    review = Interaction.objects.get(summary="Quarterly review with Nordwerk")
    assert set(review.participants.all()) == {world["anna"], world["boris"]}


def test_reimport_adds_nothing(world):
    run("anna.ics", "offer.eml", "mailbox.mbox")
    before = db_snapshot()
    again = run("anna.ics", "offer.eml", "mailbox.mbox")
    assert again.matched == 0 and again.updated == 0
    assert db_snapshot() == before


def test_mail_same_message_in_two_files_is_one_interaction(world):
    summary = run("offer.eml", "mailbox.mbox")
    assert summary.items == 4
    assert summary.duplicates == 1
    mails = Interaction.objects.filter(source="mail")
    assert mails.count() == 2  # the offer (once) and the samples; the internal note is skipped
    offer = mails.get(summary__startswith="Re: Offer")
    assert offer.initiated_by == "customer" and offer.type == "email"
    assert set(offer.contacts.all()) == {world["ivan"], world["olga"]}
    assert set(offer.participants.all()) == {world["anna"]}


def test_recurrences_only_within_the_range(world):
    run("anna.ics", since=dt.datetime(2026, 11, 8, tzinfo=dt.UTC))
    calls = Interaction.objects.filter(type="call").order_by("occurred_at")
    assert [c.occurred_at.day for c in calls] == [9, 16]


@pytest.mark.parametrize(
    ("name", "named"),
    [("broken.ics", "broken-start@ours.example"), ("broken.mbox", "no-date@ours.example")],
)
def test_malformed_file_writes_nothing_and_names_the_item(world, name, named):
    before = db_snapshot()
    with pytest.raises(DomainError) as caught:
        run("anna.ics", name)
    assert named in caught.value.message and name in caught.value.message
    assert db_snapshot() == before


def test_not_a_calendar_at_all(world):
    with pytest.raises(DomainError, match="not a readable calendar"):
        capture_import(
            files=[("x.ics", b"BEGIN:VCALENDAR\nthis is no calendar")],
            user=None,
            since=SINCE,
            until=UNTIL,
        )


def test_dry_run_counts_and_writes_nothing(world):
    before = db_snapshot()
    summary = run("anna.ics", "boris.ics", "mailbox.mbox", dry_run=True)
    assert (summary.matched, summary.duplicates, summary.skipped_count) == (6, 1, 2)
    assert db_snapshot() == before


def test_unmatched_added_as_contact_then_matched(world):
    run("offer.eml")
    summary = run("offer.eml", dry_run=True)
    assert "new.buyer@nordwerk.example" in summary.unmatched
    contact = capture_contact_add(email="new.buyer@nordwerk.example", name="", unit=world["plant"])
    assert (contact.first_name, contact.last_name) == ("New", "Buyer")
    assert Employment.objects.get(contact=contact, end_date=None).unit == world["plant"]
    again = run("offer.eml")
    assert "new.buyer@nordwerk.example" not in again.unmatched
    assert again.updated == 1
    offer = Interaction.objects.get(source="mail")
    assert contact in offer.contacts.all()


def test_add_as_contact_refuses_a_known_address(world):
    with pytest.raises(DomainError):
        capture_contact_add(email="IVAN.PETROV@nordwerk.example", name="Ivan", unit=world["plant"])
    assert Contact.objects.count() == 2


def test_units_the_user_may_not_log_on_are_reported(world, users, settings):
    summary = capture_import(
        files=[fixture("anna.ics")], user=users["outsider"], since=SINCE, until=UNTIL
    )
    assert summary.matched == 0 and Interaction.objects.count() == 0
    assert any("may not log" in s.reason for s in summary.skipped)


def test_demo_files_match_the_demo_people(db):
    from kam.demo.capture import UNKNOWN, make_capture_contacts

    kam = UserFactory(username="kam", email="kam@openkam.example", role="kam")
    UserFactory(username="rep", email="rep@openkam.example", role="field_rep")
    make_unit("Demo customer", account_manager=kam)
    assert make_capture_contacts(today=dt.date(2026, 12, 2)) == 2
    demo = Path(__file__).parents[2] / "demo" / "fixtures"
    summary = capture_import(
        files=[(p.name, p.read_bytes()) for p in sorted(demo.glob("capture-*"))],
        user=kam,
        since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        until=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    )
    # five weekly calls, one service review (its copy merged), three customer e-mails
    assert (summary.matched, summary.duplicates) == (9, 1)
    assert UNKNOWN in summary.unmatched
    refs = {s.ref for s in summary.skipped}
    assert "UID demo-team-lunch@openkam.example (2026-11-11 11:00 UTC)" in refs
    assert "Message-ID <demo-internal-1@openkam.example>" in refs
