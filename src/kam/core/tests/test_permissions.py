import pytest

from kam.core.permissions import get_for_user
from kam.customers.models import Unit
from kam.testing.factories import UserFactory, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(users):
    users["kam"].manager = users["sales_manager"]
    users["kam"].save()
    group = make_unit("Group", account_manager=users["kam"])
    site = make_unit("Site", parent=make_unit("Company", parent=group), kind="site")
    return group, site


@pytest.mark.parametrize("role", ["executive", "admin", "kam", "sales_manager"])
def test_these_roles_may_change_the_account_and_its_units(users, account, role):
    group, site = account
    assert users[role].has_perm("kam.change_account", group)
    assert users[role].has_perm("kam.change_account", Unit.objects.get(pk=site.pk))


@pytest.mark.parametrize("role", ["field_rep", "specialist", "outsider"])
def test_these_roles_may_not_change_it(users, account, role):
    group, site = account
    assert not users[role].has_perm("kam.change_account", group)
    assert not users[role].has_perm("kam.change_account", site)


def test_another_kam_may_read_but_not_change(account):
    group, _site = account
    other = UserFactory(role="kam")
    assert other.has_perm("kam.view_account", group)
    assert not other.has_perm("kam.change_account", group)


def test_an_outsider_may_not_even_read(users, account):
    assert not users["outsider"].has_perm("kam.view_account", account[0])


def test_an_inactive_user_loses_access(users, account):
    users["executive"].is_active = False
    users["executive"].save()
    assert not users["executive"].has_perm("kam.view_account", account[0])


def test_the_helper_gives_404_for_unknown_and_403_for_forbidden(users, account):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(Http404):
        get_for_user(Unit.objects, users["kam"], "kam.view_account", pk=987654)
    with pytest.raises(PermissionDenied):
        get_for_user(Unit.objects, users["outsider"], "kam.view_account", pk=account[0].pk)
    with pytest.raises(PermissionDenied):
        get_for_user(Unit.objects, users["field_rep"], "kam.change_account", pk=account[0].pk)
    assert get_for_user(Unit.objects, users["kam"], "kam.change_account", pk=account[0].pk)


def test_an_interaction_may_be_changed_by_its_author_or_the_accounts_changers(users, account):
    from kam.interactions.models import Interaction

    group, site = account
    entry = Interaction.objects.create(
        type="call",
        occurred_at="2026-01-05T10:00:00Z",
        unit=site,
        summary="Call",
        created_by=users["field_rep"],
    )
    assert users["field_rep"].has_perm("kam.change_interaction", entry)
    assert users["kam"].has_perm("kam.change_interaction", entry)
    assert not users["specialist"].has_perm("kam.change_interaction", entry)
    assert not users["outsider"].has_perm("kam.change_interaction", entry)


def test_a_contact_may_be_changed_by_whoever_may_change_an_account_they_work_at(users, account):
    from kam.customers.services import contact_create

    group, site = account
    placed = contact_create(unit=site, first_name="Olga", last_name="Ivanova")
    unplaced = contact_create(first_name="Free", last_name="Agent")
    assert users["kam"].has_perm("kam.change_contact", placed)
    assert not users["field_rep"].has_perm("kam.change_contact", placed)
    # Nobody's contact yet: whoever may change accounts may place and edit them.
    assert users["kam"].has_perm("kam.change_contact", unplaced)
    assert users["executive"].has_perm("kam.change_contact", unplaced)
    assert not users["field_rep"].has_perm("kam.change_contact", unplaced)


def test_a_past_position_elsewhere_gives_no_rights_over_a_contact(users, account):
    """Rights over a person come from where they work now: a past position at your account,
    planted or real, does not let you edit or delete someone who works at another account."""
    import datetime as dt

    from kam.customers.services import contact_create, employment_create

    group, _site = account
    other_kam = UserFactory(role="kam")
    elsewhere = make_unit("Elsewhere", account_manager=other_kam)
    person = contact_create(unit=elsewhere, first_name="Anna", last_name="Berg")
    employment_create(
        actor=users["admin"],
        contact=person,
        unit=group,
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2021, 1, 1),
    )
    assert not users["kam"].has_perm("kam.change_contact", person)
    assert not users["kam"].has_perm("kam.delete_contact", person)
    assert other_kam.has_perm("kam.change_contact", person)
    # Deleting removes the past position at the first account too: the other KAM alone may not.
    assert not other_kam.has_perm("kam.delete_contact", person)
    assert users["executive"].has_perm("kam.delete_contact", person)


def test_a_contact_who_left_everywhere_belongs_to_the_accounts_they_worked_at(users, account):
    import datetime as dt

    from kam.customers.services import contact_create, employment_create

    group, _site = account
    person = contact_create(first_name="Ivan", last_name="Petrov")
    employment_create(
        actor=users["admin"],
        contact=person,
        unit=group,
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2021, 1, 1),
    )
    assert users["kam"].has_perm("kam.change_contact", person)
    assert users["kam"].has_perm("kam.delete_contact", person)
    assert not UserFactory(role="kam").has_perm("kam.change_contact", person)


@pytest.mark.parametrize(
    ("role", "nominate", "decide", "manage"),
    [
        ("executive", True, True, True),
        ("kam", True, False, False),
        ("sales_manager", True, False, False),
        ("admin", False, False, True),
        ("field_rep", False, False, False),
        ("outsider", False, False, False),
    ],
)
def test_identification_permissions(users, role, nominate, decide, manage):
    user = users[role]
    assert user.has_perm("kam.nominate_account") is nominate
    assert user.has_perm("kam.decide_nomination") is decide
    assert user.has_perm("kam.manage_scoring") is manage
