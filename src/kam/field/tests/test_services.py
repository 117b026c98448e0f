"""Field coordination services and selectors: suggestion, cadence, visits, logging, feed."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from kam.core.errors import DomainError
from kam.core.metrics import get_metric
from kam.field import selectors, services
from kam.field.models import FieldAssignment, Visit, VisitCadence, VisitStatus
from kam.interactions.models import Interaction
from kam.planning.models import ActionStatus
from kam.teams.models import TeamMember
from kam.testing.factories import make_unit

from .conftest import FieldWorld

pytestmark = pytest.mark.django_db


def test_suggestion_prefers_the_region_then_the_country(fw: FieldWorld) -> None:
    got = selectors.rep_suggestions([fw.north, fw.south])
    assert got[fw.north.pk] == fw.rep  # DE/Nord territory matches the region
    assert got[fw.south.pk] == fw.other_rep  # only the whole-country territory fits Süd


def test_assignment_keeps_history_and_puts_the_rep_on_the_team(fw: FieldWorld) -> None:
    kam = fw.kam.user
    assert services.assignment_set(units=[fw.north], rep=fw.rep, actor=kam) == 1
    assert services.assignment_set(units=[fw.north], rep=fw.rep, actor=kam) == 0
    services.assignment_set(units=[fw.north], rep=fw.other_rep, actor=kam)
    rows = FieldAssignment.objects.filter(unit=fw.north).order_by("pk")
    assert [(a.rep, a.end is None) for a in rows] == [(fw.rep, False), (fw.other_rep, True)]
    assert TeamMember.objects.filter(account=fw.account, role="field_rep").count() == 2
    assert list(selectors.rep_units(rep=fw.other_rep)) == [fw.north]


def test_another_kam_cannot_assign(fw: FieldWorld, kam_b) -> None:
    with pytest.raises(PermissionDenied):
        services.assignment_set(units=[fw.north], rep=fw.rep, actor=kam_b.user)
    assert not FieldAssignment.objects.exists()


def test_only_field_reps_are_assigned(fw: FieldWorld) -> None:
    with pytest.raises(DomainError):
        services.assignment_set(units=[fw.north], rep=fw.kam.user, actor=None)


def test_cadence_plans_visits_and_flags_missed_and_overdue(fw: FieldWorld) -> None:
    services.assignment_set(units=[fw.north, fw.south], rep=fw.rep, actor=None)
    services.cadence_set(tier="key", kind="site", interval_days=14, actor=None)
    monday = dt.date(2026, 3, 2)
    made = services.visits_generate(reps=[fw.rep], weeks=4, start=monday)
    days = sorted({v.planned_on for v in made})
    assert days == [monday, monday + dt.timedelta(days=14)]
    assert len(made) == 4
    # generating again continues after the last planned visit: nothing new in the same window
    assert services.visits_generate(reps=[fw.rep], weeks=4, start=monday) == []
    # a visit on a Saturday moves to Monday
    services.cadence_set(tier="key", kind="site", interval_days=5, actor=None)
    Visit.objects.all().delete()
    later = services.visits_generate(units=[fw.north], weeks=2, start=monday)
    assert [v.planned_on for v in later] == [monday, monday + dt.timedelta(days=7)]
    # missed: planned day passed without check-in; overdue: due with nothing planned
    Visit.objects.all().delete()
    Visit.objects.create(unit=fw.north, rep=fw.rep, planned_on=monday)
    after = monday + dt.timedelta(days=10)
    assert services.visits_mark_missed(as_of=after) == 1
    assert Visit.objects.get().status == VisitStatus.MISSED
    overdue = selectors.overdue_units(rep=fw.rep, today=after)
    assert set(overdue) == {fw.north, fw.south}
    Visit.objects.create(unit=fw.south, rep=fw.rep, planned_on=after + dt.timedelta(days=1))
    assert selectors.overdue_units(rep=fw.rep, today=after) == [fw.north]


def test_a_generated_plan_gives_a_rep_at_most_a_days_visits(fw: FieldWorld, settings) -> None:
    """Decision 118: due units beyond the day's capacity go to the next working days, planned
    visits count, the longest waiting first; no room before the horizon: the unit stays due."""
    settings.KAM_FIELD_VISITS_PER_DAY = 2
    sites = [make_unit(f"Site {i}", parent=fw.account, kind="site") for i in range(5)]
    services.assignment_set(units=sites, rep=fw.rep, actor=None)
    services.cadence_set(tier="key", kind="site", interval_days=30, actor=None)
    thursday = dt.date(2026, 3, 5)
    Visit.objects.create(unit=sites[4], rep=fw.rep, planned_on=thursday - dt.timedelta(days=40),
                         status=VisitStatus.DONE)  # fmt: skip
    Visit.objects.create(unit=fw.north, rep=fw.rep, planned_on=thursday)  # books one of two
    made = services.visits_generate(reps=[fw.rep], weeks=1, start=thursday)
    per_day: dict[dt.date, int] = {}
    for v in Visit.objects.filter(rep=fw.rep, status=VisitStatus.PLANNED):
        per_day[v.planned_on] = per_day.get(v.planned_on, 0) + 1
    friday, monday = thursday + dt.timedelta(days=1), thursday + dt.timedelta(days=4)
    assert per_day == {thursday: 2, friday: 2, monday: 2}  # no weekend, two a day
    assert len(made) == 5
    # never visited before the one visited 40 days ago: it comes last
    assert [v.unit for v in made if v.planned_on == monday][-1] == sites[4]
    settings.KAM_FIELD_VISITS_PER_DAY = 1
    Visit.objects.filter(generated=True).delete()
    made = services.visits_generate(reps=[fw.rep], weeks=1, start=thursday)
    assert sorted(v.planned_on for v in made) == [
        friday,
        monday,
        monday + dt.timedelta(days=1),
        monday + dt.timedelta(days=2),
    ]  # Thursday is full; the fifth unit has no room this week and stays due


def test_no_cadence_no_visit(fw: FieldWorld) -> None:
    VisitCadence.objects.all().delete()
    services.assignment_set(units=[fw.north], rep=fw.rep, actor=None)
    assert services.visits_generate(reps=[fw.rep]) == []
    assert not selectors.field_units().exists()


def test_default_cadence_is_seeded() -> None:
    assert VisitCadence.objects.get(tier="key", kind="site").interval_days == 30


def test_only_the_visits_rep_checks_in(fw: FieldWorld) -> None:
    visit = Visit.objects.create(unit=fw.north, rep=fw.rep, planned_on=dt.date.today())
    with pytest.raises(PermissionDenied):
        services.visit_check_in(visit=visit, user=fw.other_rep)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED and visit.checked_in_at is None
    services.visit_check_in(visit=visit, user=fw.rep)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE and visit.checked_in_at is not None


def test_logging_at_a_visit_against_an_action_completes_it(fw: FieldWorld) -> None:
    services.assignment_set(units=[fw.north], rep=fw.rep, actor=None)
    visit = Visit.objects.create(unit=fw.north, rep=fw.rep, planned_on=dt.date.today())
    interaction = services.field_interaction_log(
        user=fw.rep,
        unit=fw.north,
        summary="Showed the new line",
        next_step="Send samples",
        action=fw.action,
        visit=visit,
        participants=[fw.kam.user],
    )
    fw.action.refresh_from_db()
    visit.refresh_from_db()
    assert fw.action.status == ActionStatus.DONE
    assert fw.action.interaction == interaction
    assert visit.interaction == interaction and visit.status == VisitStatus.DONE
    assert interaction.unit == fw.north and interaction.next_step == "Send samples"
    assert set(interaction.participants.all()) == {fw.rep, fw.kam.user}


def test_a_rep_logs_only_at_own_units(fw: FieldWorld) -> None:
    services.assignment_set(units=[fw.north], rep=fw.rep, actor=None)
    with pytest.raises(PermissionDenied):
        services.field_interaction_log(user=fw.rep, unit=fw.south, summary="x")
    assert not Interaction.objects.exists()


def test_feed_and_revocation(fw: FieldWorld) -> None:
    Visit.objects.create(unit=fw.north, rep=fw.rep, planned_on=dt.date.today())
    Visit.objects.create(unit=fw.south, rep=fw.other_rep, planned_on=dt.date.today())
    token = services.feed_token_get(user=fw.rep)
    url = reverse("field:ics", args=[token.token])
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    summaries = [str(e["summary"]) for e in cal.walk("VEVENT")]
    assert summaries == ["Visit: Plant North"]
    services.feed_token_revoke(user=fw.rep)
    assert Client().get(url).status_code == 404
    fresh = reverse("field:ics", args=[selectors.feed_token_of(user=fw.rep).token])
    assert Client().get(fresh).status_code == 200


def test_indicators_on_hand_built_data(fw: FieldWorld) -> None:
    today = dt.date.today()
    services.assignment_set(units=[fw.north], rep=fw.rep, actor=None)
    services.assignment_set(units=[fw.south], rep=fw.other_rep, actor=None)
    # one missed visit, one done
    Visit.objects.create(unit=fw.north, rep=fw.rep, planned_on=today - dt.timedelta(days=3))
    Visit.objects.create(
        unit=fw.south, rep=fw.other_rep, planned_on=today - dt.timedelta(days=2), status="done"
    )
    # the rep logs twice: once against the action, once not; the other rep never
    services.field_interaction_log(user=fw.rep, unit=fw.north, summary="a", action=fw.action)
    services.field_interaction_log(user=fw.rep, unit=fw.north, summary="b")
    # one overdue action of a field rep
    fw.action.pk = None
    fw.action.status = "open"
    fw.action.interaction = None
    fw.action.due_date = today - dt.timedelta(days=5)
    fw.action.save()
    make_unit("Depot", parent=fw.account, kind="site")  # no rep
    values = {
        key: get_metric(key).value(fw.account.pk, today)
        for key in (
            "field.units_without_rep",
            "field.linked_share",
            "field.overdue_actions",
            "field.missed_visits",
            "field.silent_reps",
        )
    }
    assert values == {
        "field.units_without_rep": 1,
        "field.linked_share": pytest.approx(50),
        "field.overdue_actions": 1,
        "field.missed_visits": 1,
        "field.silent_reps": 1,
    }


def test_a_rep_s_overdue_units_are_the_rep_s_rows_of_everyone_s(fw: FieldWorld) -> None:
    """The rep's quick read (My visits) answers what the read over every rep does, for the
    rep: due by cadence, never visited, visited lately, planned, kind without a cadence,
    handed to another rep."""
    services.cadence_set(tier="key", kind="site", interval_days=30, actor=None)
    today = dt.date(2026, 6, 15)
    sites = [make_unit(f"Depot {i}", parent=fw.account, kind="site") for i in range(4)]
    office = make_unit("Sales office", parent=fw.account, kind="office")  # no cadence
    handed = make_unit("Handed over", parent=fw.account, kind="site")
    services.assignment_set(
        units=[fw.north, fw.south, *sites, office, handed], rep=fw.rep, actor=None
    )
    services.assignment_set(units=[handed], rep=fw.other_rep, actor=None)
    services.assignment_set(units=[make_unit("Theirs", parent=fw.account, kind="site")],
                            rep=fw.other_rep, actor=None)  # fmt: skip
    done = VisitStatus.DONE
    Visit.objects.create(unit=sites[0], rep=fw.rep, planned_on=today - dt.timedelta(days=40),
                         status=done)  # fmt: skip  # due again
    Visit.objects.create(unit=sites[1], rep=fw.rep, planned_on=today - dt.timedelta(days=5),
                         status=done)  # fmt: skip  # visited lately
    Visit.objects.create(unit=sites[2], rep=fw.rep, planned_on=today + dt.timedelta(days=2))
    Visit.objects.create(unit=sites[3], rep=fw.rep, planned_on=today - dt.timedelta(days=3),
                         status=VisitStatus.MISSED)  # fmt: skip  # missed: still due
    everyone = selectors.overdue_units(today=today)
    mine = selectors.overdue_units(rep=fw.rep, today=today)
    assert mine == [u for u in everyone if u.current_rep_id == fw.rep.pk]
    assert {u.name for u in mine} == {"Plant North", "Plant South", "Depot 0", "Depot 3"}
    assert "Theirs" in {u.name for u in everyone}
