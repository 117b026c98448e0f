import datetime as dt

import pytest

from kam.core.errors import CycleError, DomainError
from kam.customers.models import Employment, Unit
from kam.customers.selectors import unit_subtree
from kam.customers.services import (
    contact_create,
    contact_move,
    employment_set_reports_to,
    unit_move,
)
from kam.testing.factories import make_unit

pytestmark = pytest.mark.django_db


def test_a_subtree_is_one_query_in_tree_order(django_assert_num_queries):
    group = make_unit("Group")
    company = make_unit("Company", parent=group)
    make_unit("Site", parent=company, kind="site")
    make_unit("Other group")
    with django_assert_num_queries(1):
        names = [u.name for u in unit_subtree(unit=group)]
    assert names == ["Group", "Company", "Site"]


def test_it_rejects_moving_a_unit_under_its_own_descendant():
    group = make_unit("Group")
    company = make_unit("Company", parent=group)
    site = make_unit("Site", parent=company, kind="site")
    with pytest.raises(CycleError):
        unit_move(unit=group, new_parent=site)
    with pytest.raises(CycleError):
        unit_move(unit=company, new_parent=company)
    group.refresh_from_db()
    assert group.depth == 1
    assert Unit.objects.get(pk=site.pk).path.startswith(group.path)


def test_it_moves_a_subtree_to_another_group():
    a = make_unit("A")
    b = make_unit("B")
    company = make_unit("Company", parent=a)
    site = make_unit("Site", parent=company, kind="site")
    unit_move(unit=company, new_parent=b)
    site.refresh_from_db()
    assert site.path.startswith(Unit.objects.get(pk=b.pk).path)
    assert Unit.objects.get_descendants(a).count() == 0


def test_it_rejects_a_bad_country_code():
    with pytest.raises(DomainError):
        make_unit("X", country="Germany")


def test_a_contact_moves_between_companies_and_keeps_history():
    a = make_unit("A")
    b = make_unit("B")
    person = contact_create(
        unit=a,
        first_name="Olga",
        last_name="Ivanova",
        title="Buyer",
        function="purchasing",
        start_date=dt.date(2020, 1, 1),
    )
    contact_move(contact=person, to_unit=b, on=dt.date(2024, 3, 1), title="Head of purchasing")
    history = list(person.employments.order_by("start_date").values_list("unit__name", "end_date"))
    assert history == [("A", dt.date(2024, 3, 1)), ("B", None)]
    with pytest.raises(DomainError):
        contact_move(contact=person, to_unit=a, on=dt.date(2023, 1, 1))


def test_org_chart_loops_are_rejected():
    a = make_unit("A")
    boss = contact_create(unit=a, first_name="B", last_name="Boss")
    worker = contact_create(unit=a, first_name="W", last_name="Worker")
    boss_job = Employment.objects.get(contact=boss)
    worker_job = Employment.objects.get(contact=worker)
    employment_set_reports_to(employment=worker_job, manager=boss_job)
    with pytest.raises(CycleError):
        employment_set_reports_to(employment=boss_job, manager=worker_job)
    with pytest.raises(CycleError):
        employment_set_reports_to(employment=boss_job, manager=boss_job)


def test_changes_to_a_unit_are_kept_in_its_history():
    from kam.customers.services import unit_update

    unit = make_unit("Acme", city="Berlin")
    unit_update(unit=unit, city="Hamburg", name="Acme AG")
    records = list(unit.history.order_by("history_date"))
    assert [r.history_type for r in records] == ["+", "~"]
    delta = records[1].diff_against(records[0])
    assert {c.field for c in delta.changes} == {"city", "name"}
    assert {(c.old, c.new) for c in delta.changes} == {("Berlin", "Hamburg"), ("Acme", "Acme AG")}
