"""The coverage matrix and the map's overview kept per account and day (decision 106): the kept
figures equal a direct computation, writes mark the account stale in their own transaction, the
next read shows the change, and the worker refreshes marked and older accounts; warm paths read
hop by hop give the paths of the whole network."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kam.customers.models import Contact, Employment, Tier, Unit
from kam.customers.signals import accounts_changed
from kam.interactions.models import Interaction
from kam.relationships import heatmap, services
from kam.relationships.graph import CLUSTER_THRESHOLD, map_graph
from kam.relationships.heatmap import coverage_matrix
from kam.relationships.models import (
    AccountFigures,
    BuyingRole,
    LinkStrength,
    RelationshipSettings,
    StaleFigures,
)
from kam.relationships.network import account_network
from kam.relationships.paths import warm_paths, warm_paths_in
from kam.relationships.selectors import relationship_settings
from kam.relationships.signals import figures_mark_stale
from kam.relationships.tasks import figures_schedule
from kam.relationships.tests import test_map
from kam.relationships.tests.test_map import Acme, person
from kam.testing.factories import make_unit
from kam.testing.personas import Persona

pytestmark = pytest.mark.django_db

acme = test_map.acme  # the hand-built account of the map's tests


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _matrix_is_direct(account: Unit) -> None:
    for by in ("role", "function"):
        kept = services.coverage_matrix_current(account=account, by=by)
        assert _same(kept, coverage_matrix(account=account, by=by)), by


def _marked(account: Unit) -> bool:
    return StaleFigures.objects.filter(root_path=account.path).exists()


def _crowd(account: Unit, n: int, boss: Employment) -> list[Contact]:
    """``n`` more people in three functions under one boss (bulk, so the test marks them)."""
    contacts = Contact.objects.bulk_create(
        [Contact(first_name="P", last_name=f"{account.pk}-{i}") for i in range(n)]
    )
    Employment.objects.bulk_create(
        [
            Employment(
                contact=c,
                unit=account,
                function=("purchasing", "finance", "it")[i % 3],
                reports_to=boss,
            )
            for i, c in enumerate(contacts)
        ]
    )
    accounts_changed.send(sender=Employment, unit_ids=[account.pk])
    return contacts


def test_the_kept_matrix_equals_the_direct_computation(acme: Acme) -> None:
    assert not AccountFigures.objects.exists()
    _matrix_is_direct(acme.account)  # computed, kept, then read
    kept = AccountFigures.objects.get(account=acme.account)
    assert kept.as_of == timezone.localdate()
    assert not _marked(acme.account)
    _matrix_is_direct(acme.account)  # read from the kept row


def test_the_kept_overview_equals_the_direct_one(acme: Acme) -> None:
    contacts = _crowd(acme.account, CLUSTER_THRESHOLD, acme.ceo)
    LinkStrength.objects.bulk_create(
        [
            LinkStrength(user=acme.ben, contact=c, strength=0.5, as_of=timezone.localdate())
            for c in contacts[::7]
        ]
    )
    kept = services.map_graph_current(account=acme.account)
    assert kept["mode"] == "clusters" and kept["people"] == CLUSTER_THRESHOLD + 5
    assert _same(kept, map_graph(account=acme.account))
    assert _same(services.map_graph_current(account=acme.account), kept)  # from the kept row
    # a filter or an opened group is computed directly
    assert (
        services.map_graph_current(account=acme.account, filters={"function": "it"})["people"]
        == len(contacts) // 3
    )


def test_the_names_are_read_when_the_kept_figures_are(acme: Acme) -> None:
    services.coverage_matrix_current(account=acme.account, by="function")
    acme.anna.first_name = "Anja"
    acme.anna.save()
    assert not _marked(acme.account)  # a rename changes no kept fact
    data = services.coverage_matrix_current(account=acme.account, by="function")
    assert data["columns"][0]["name"] == "Anja A"


def _role_coverage(account: Unit) -> float:
    data = services.coverage_matrix_current(account=account, by="role")
    return float(data["figures"]["role_coverage"]["value"])


@pytest.mark.parametrize(
    "write",
    ["role", "stance", "position", "position_ended", "placeholder", "settings", "account"],
)
def test_a_write_marks_the_account_and_the_next_read_shows_it(acme: Acme, write: str) -> None:
    account = acme.account
    if write == "account":  # the KAM's share of the interactions is a figure
        call = Interaction.objects.create(
            unit=account, type="call", summary="Call", occurred_at=timezone.now()
        )
        call.participants.add(acme.anna)
        call.contacts.add(acme.cfo.contact)
    before = services.coverage_matrix_current(account=account, by="role")
    assert not _marked(account)
    if write == "role":
        services.role_add(account=account, contact=acme.target.contact, role="user", actor=None)
    elif write == "stance":
        # the only champion is one no more: role coverage loses "champion"
        services.stance_set(
            account=account, contact=acme.cfo.contact, actor=None, attitude="neutral"
        )
    elif write == "position":
        person(acme.site, "New Comer", function="it")
    elif write == "position_ended":
        acme.loner.end_date = timezone.localdate() - dt.timedelta(days=1)
        acme.loner.save()
    elif write == "placeholder":
        services.placeholder_create(account=account, role="influencer", actor=None)
    elif write == "settings":
        conf = relationship_settings()
        conf.required_roles = ["decider", "buyer"]
        conf.save()
    elif write == "account":
        account.account_manager = acme.ben
        account.save()
    assert _marked(account)
    after = services.coverage_matrix_current(account=account, by="role")
    assert not _marked(account)
    assert not _same(after, before)
    _matrix_is_direct(account)


def test_our_links_interactions_and_strength_refreshes_mark_the_account(acme: Acme) -> None:
    account = acme.account
    services.coverage_matrix_current(account=account, by="function")
    services.link_upsert(user=acme.carl, contact=acme.loner.contact, level=2, actor=None)
    assert _marked(account)
    cells = services.coverage_matrix_current(account=account, by="function")["cells"]
    assert len(cells) == 5  # Carl now reaches quality (a judged level, strength 0)
    _matrix_is_direct(account)
    meeting = Interaction.objects.create(
        unit=acme.site, type="meeting", summary="Visit", occurred_at=timezone.now()
    )
    assert _marked(account)  # counted by the structure figure before it has people
    services.coverage_matrix_current(account=account, by="function")
    meeting.participants.add(acme.anna)
    meeting.contacts.add(acme.target.contact)
    assert _marked(account)
    figures = services.coverage_matrix_current(account=account, by="function")["figures"]
    assert figures["structure"]["interactions"] == 1
    assert figures["single_point_of_failure"]["their_name"] == "Tara Target"
    _matrix_is_direct(account)
    services.strengths_refresh()
    assert _marked(account)
    _matrix_is_direct(account)
    meeting.delete()
    assert _marked(account)
    _matrix_is_direct(account)


def test_deleting_one_of_our_people_marks_their_accounts(acme: Acme) -> None:
    services.coverage_matrix_current(account=acme.account, by="function")
    acme.carl.delete()  # his kept strength goes with him, without a signal of its own
    assert _marked(acme.account)
    columns = services.coverage_matrix_current(account=acme.account, by="function")["columns"]
    assert [c["name"] for c in columns] == ["Anna A", "Ben B"]
    _matrix_is_direct(acme.account)


def test_a_position_moved_to_another_account_marks_both(acme: Acme, kam_b: Persona) -> None:
    services.coverage_matrix_current(account=acme.account, by="function")
    services.coverage_matrix_current(account=kam_b.account, by="function")
    position = Employment.objects.get(pk=acme.loner.pk)
    position.unit = kam_b.account
    position.save()
    assert _marked(acme.account) and _marked(kam_b.account)
    _matrix_is_direct(acme.account)
    _matrix_is_direct(kam_b.account)


def test_figures_of_an_earlier_day_are_computed_again(acme: Acme) -> None:
    services.coverage_matrix_current(account=acme.account, by="role")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    AccountFigures.objects.update(as_of=yesterday)
    services.coverage_matrix_current(account=acme.account, by="role")
    assert AccountFigures.objects.get().as_of == timezone.localdate()


def test_the_worker_refreshes_marked_and_old_accounts(acme: Acme, kam_b: Persona) -> None:
    assert figures_schedule() is False  # nothing kept, nothing marked
    services.coverage_matrix_current(account=acme.account, by="role")
    assert figures_schedule() is False  # fresh
    BuyingRole.objects.create(account=acme.account, contact=acme.loner.contact, role="user")
    assert figures_schedule() is True
    assert figures_schedule() is False  # already waiting
    DBTaskResult.objects.all().delete()
    # an account nobody has read: its marks are dropped after an hour, nothing is computed
    figures_mark_stale(unit_ids=[kam_b.account.pk])
    assert services.figures_refresh_due() == 1
    kept = AccountFigures.objects.get()
    assert kept.account_id == acme.account.pk and not _marked(acme.account)
    assert _marked(kam_b.account)
    StaleFigures.objects.update(at=timezone.now() - dt.timedelta(hours=2))
    assert figures_schedule() is True
    DBTaskResult.objects.all().delete()
    assert services.figures_refresh_due() == 0
    assert not StaleFigures.objects.exists()
    AccountFigures.objects.update(as_of=timezone.localdate() - dt.timedelta(days=1))
    assert figures_schedule() is True
    DBTaskResult.objects.all().delete()
    assert services.figures_refresh_due() == 1
    assert AccountFigures.objects.get().as_of == timezone.localdate()


def test_the_worker_keeps_the_figures_of_key_accounts_nobody_opened(
    acme: Acme, kam_b: Persona
) -> None:
    """Decision 137: a key account's figures are kept by the worker before its first reader,
    so the first view of the account page or the map computes nothing; a transactional
    account still waits for its first reader."""
    Unit.objects.filter(pk=acme.account.pk).update(tier=Tier.KEY)
    assert figures_schedule() is True
    DBTaskResult.objects.all().delete()
    assert services.figures_refresh_due() == 1
    kept = AccountFigures.objects.get()
    assert kept.account_id == acme.account.pk and kept.as_of == timezone.localdate()
    assert kept.payload == heatmap.account_figures(account=acme.account)[0]
    assert not AccountFigures.objects.filter(account=kam_b.account).exists()  # transactional
    assert figures_schedule() is False
    assert services.figures_keep_first(account=acme.account) is False


def test_the_relationship_settings_mark_every_kept_account(acme: Acme, kam_b: Persona) -> None:
    services.coverage_matrix_current(account=acme.account, by="role")
    services.coverage_matrix_current(account=kam_b.account, by="role")
    RelationshipSettings.objects.update(half_life_days=30)  # a queryset update sends nothing
    assert not _marked(acme.account)
    conf = relationship_settings()
    conf.half_life_days = 45
    conf.save()
    assert _marked(acme.account) and _marked(kam_b.account)


def test_warm_paths_hop_by_hop_equal_those_of_the_whole_network(acme: Acme) -> None:
    contacts = _crowd(acme.account, 30, acme.buyer)
    for i, c in enumerate(contacts[::4]):
        LinkStrength.objects.create(
            user=(acme.ben, acme.carl)[i % 2], contact=c, strength=0.5 + i,
            as_of=timezone.localdate() - dt.timedelta(days=i),
        )  # fmt: skip
    second = make_unit("Acme south", parent=acme.site, kind="site")
    Employment.objects.create(  # a second current position, more senior, elsewhere
        contact=contacts[1], unit=second, function="it", seniority="senior", reports_to=acme.cfo
    )
    network = account_network(account=acme.account)
    targets = [acme.target.contact_id, acme.loner.contact_id, *[c.pk for c in contacts]]
    # the strongest link (the weights' normalisation) read from the strengths, then from the
    # kept figures once they are fresh
    for kept in (False, True):
        if kept:
            assert services.figures_current(account=acme.account)["figures"]["max_strength"]
        for target in targets:
            for k in (1, 5, 20):
                hop_by_hop = warm_paths(account=acme.account, contact_id=target, k=k)["paths"]
                whole = [p.as_dict() for p in warm_paths_in(network, target, k=k)]
                assert hop_by_hop == whole, (target, k, kept)


def test_stage_inputs_read_fresh_kept_metrics_and_compute_marked_ones(acme: Acme) -> None:
    from kam.relationships.selectors import accounts_metrics, kept_metrics, stage_inputs

    account, today = acme.account, timezone.localdate()
    direct = stage_inputs([account.pk], today, accounts_metrics([account.pk], today))[account.pk]
    assert kept_metrics([account.pk], today) == {}  # nothing kept yet: computed
    assert stage_inputs([account.pk], today)[account.pk] == direct
    services.coverage_matrix_current(account=account)  # keeps the figures of today
    kept = kept_metrics([account.pk], today)[account.pk]
    assert _same(kept, accounts_metrics([account.pk], today)[account.pk])
    assert stage_inputs([account.pk], today)[account.pk] == direct
    # a buying-centre write marks the account: its metrics are computed again, not read
    _crowd(account, 4, acme.ceo)
    assert _marked(account)
    assert kept_metrics([account.pk], today) == {}
    functions = stage_inputs([account.pk], today)[account.pk].functions_reached
    assert (
        functions
        == accounts_metrics([account.pk], today)[account.pk]["structure"]["functions_reached"]
    )
    # another day's kept row is not read either
    assert kept_metrics([account.pk], today + dt.timedelta(days=1)) == {}


def test_figures_kept_before_the_single_link_list_are_due_for_the_worker(kam_a) -> None:
    """Decision 141's migration: kept figures without the single-link list are dated to a past
    day, so the worker's due check picks them up and computes them again."""
    import importlib

    from django.apps import apps

    from kam.relationships.models import AccountFigures
    from kam.relationships.tasks import figures_due

    migration = importlib.import_module("kam.relationships.migrations.0005_figures_single_link")
    services.figures_refresh(account=kam_a.account)
    kept = AccountFigures.objects.get(account=kam_a.account)
    old = {**kept.payload}
    old.pop("single_link")
    AccountFigures.objects.filter(pk=kept.pk).update(payload=old)
    assert not figures_due()
    migration.outdate_without_single_link(apps, None)
    assert figures_due()
    assert services.figures_refresh_due() == 1
    assert "single_link" in AccountFigures.objects.get(pk=kept.pk).payload
    assert not figures_due()
