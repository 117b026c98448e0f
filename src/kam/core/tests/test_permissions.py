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
