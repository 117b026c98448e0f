import pytest
from django.urls import reverse

from kam.customers.models import Unit
from kam.customers.services import unit_update
from kam.testing.factories import make_unit
from kam.testing.forms import account_edit_data
from kam.testing.html import table

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(users):
    return make_unit("Acme Group", city="Berlin", account_manager=users["kam"])


def test_the_account_manager_edits_the_account_and_history_names_them(client_for, group, users):
    c = client_for("kam")
    response = c.post(
        reverse("web:account_edit", args=[group.pk]), account_edit_data(group, city="Hamburg")
    )
    assert response.status_code == 302
    assert Unit.objects.get(pk=group.pk).city == "Hamburg"
    html = c.get(reverse("web:account_history", args=[group.pk])).content.decode()
    change = next(
        row for row in table(html, "history-table") if "Berlin → Hamburg" in row["Changes"]
    )
    assert change["Who"] == str(users["kam"])


def test_the_edit_link_shows_only_to_those_who_may_edit(client_for, group):
    assert b"edit-account" in client_for("kam").get(reverse("web:account", args=[group.pk])).content
    assert (
        b"edit-account"
        not in client_for("field_rep").get(reverse("web:account", args=[group.pk])).content
    )


# Another KAM: kam.web.tests.test_outsiders.
@pytest.mark.parametrize("role", ["field_rep", "specialist", "outsider"])
def test_others_may_not_edit(client_for, group, role):
    c = client_for(role)
    assert c.get(reverse("web:account_edit", args=[group.pk])).status_code == 403
    response = c.post(
        reverse("web:account_edit", args=[group.pk]), account_edit_data(group, city="X")
    )
    assert response.status_code == 403
    assert Unit.objects.get(pk=group.pk).city == "Berlin"


def test_an_outsider_cannot_read_the_history(client_for, group):
    assert (
        client_for("outsider").get(reverse("web:account_history", args=[group.pk])).status_code
        == 403
    )
    assert (
        client_for("field_rep").get(reverse("web:account_history", args=[group.pk])).status_code
        == 200
    )


def test_bad_input_is_a_400_with_the_reason_and_nothing_changes(client_for, group):
    response = client_for("kam").post(
        reverse("web:account_edit", args=[group.pk]),
        account_edit_data(group, country="Germany", name=""),
    )
    assert response.status_code == 400
    assert Unit.objects.get(pk=group.pk).name == "Acme Group"
    assert "This field is required" in response.content.decode()


def test_a_concurrent_edit_is_not_silently_overwritten(client_for, group):
    stale = account_edit_data(group, city="Munich")
    unit_update(unit=group, city="Dresden")  # someone else saves first
    response = client_for("kam").post(reverse("web:account_edit", args=[group.pk]), stale)
    assert response.status_code == 409
    assert "Someone else changed" in response.content.decode()
    assert Unit.objects.get(pk=group.pk).city == "Dresden"


def test_unknown_account_edit_is_404(client_for, group):
    assert client_for("kam").get(reverse("web:account_edit", args=[424242])).status_code == 404
