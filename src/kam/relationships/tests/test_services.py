"""Services and selectors on the database: strengths kept in step, gaps, stage, placeholders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kam.core.errors import DomainError
from kam.core.metrics import get_metric
from kam.customers.models import Employment
from kam.interactions.models import Interaction
from kam.interactions.services import interaction_create
from kam.relationships import selectors, services
from kam.relationships.models import BuyingRole, LinkStrength, StaleLink
from kam.testing.factories import ContactFactory, EmploymentFactory, UserFactory, make_unit

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _at(days_ago: int) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(10))
    )


@pytest.fixture
def world():
    kam = UserFactory(username="kam1", role="kam")
    rep = UserFactory(username="rep1", role="field_rep")
    account = make_unit("Acme", account_manager=kam)
    site = make_unit("Acme Berlin", parent=account, kind="site")
    anna = EmploymentFactory(unit=account, function="purchasing", seniority="senior").contact
    boris = EmploymentFactory(unit=site, function="finance", seniority="board").contact
    return {"kam": kam, "rep": rep, "account": account, "site": site, "anna": anna, "boris": boris}


def test_interaction_writes_mark_pairs_and_refresh_computes_only_those(world) -> None:
    kam, anna = world["kam"], world["anna"]
    interaction_create(
        type="meeting",
        occurred_at=_at(90),
        unit=world["account"],
        summary="Kick-off",
        participants=[kam],
        contacts=[anna],
    )
    assert set(StaleLink.objects.values_list("user_id", "contact_id")) == {(kam.pk, anna.pk)}
    assert services.strengths_refresh() == 1
    assert not StaleLink.objects.exists()
    kept = LinkStrength.objects.get(user=kam, contact=anna)
    assert kept.strength == pytest.approx(1.5)  # meeting weight 3 · ½ after one half-life
    assert kept.interactions == 1
    # the kept figure equals a direct computation from everything
    services.strengths_refresh(everything=True)
    again = LinkStrength.objects.get(user=kam, contact=anna)  # replaced, not doubled
    assert again.strength == pytest.approx(1.5)
    assert again.last_interaction == timezone.localdate(_at(90))
    assert again.as_of == timezone.localdate()
    # deleting the interaction marks the pair again; the refresh drops the strength
    Interaction.objects.all().delete()
    assert StaleLink.objects.count() == 1
    services.strengths_refresh()
    assert not LinkStrength.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_refresh_writes_each_chunk_in_its_own_transaction(world, monkeypatch) -> None:
    """A long refresh no longer holds the write lock from start to end: a chunk done stays
    done (with its marks gone) when a later chunk fails, and its marks survive for the next."""
    kam, anna, boris = world["kam"], world["anna"], world["boris"]
    interaction_create(
        type="meeting",
        occurred_at=_at(10),
        unit=world["account"],
        summary="Review",
        participants=[kam],
        contacts=[anna, boris],
    )
    assert StaleLink.objects.count() == 2
    monkeypatch.setattr(services, "STRENGTH_CHUNK", 1)
    real = services._strengths_compute
    calls: list[int] = []

    def second_fails(pairs, as_of):
        calls.append(len(pairs))
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return real(pairs, as_of)

    monkeypatch.setattr(services, "_strengths_compute", second_fails)
    with pytest.raises(RuntimeError):
        services.strengths_refresh()
    assert LinkStrength.objects.count() == 1  # the first chunk is committed
    assert StaleLink.objects.count() == 1  # the second pair is still marked
    monkeypatch.setattr(services, "_strengths_compute", real)
    assert services.strengths_refresh() == 1
    assert LinkStrength.objects.count() == 2 and not StaleLink.objects.exists()


def test_judged_level_and_activity_disagree(world) -> None:
    link = services.link_upsert(user=world["kam"], contact=world["anna"], level=4, actor=None)
    strength = LinkStrength.objects.get(user=world["kam"], contact=world["anna"])
    assert link.level == 4 and strength.strength == 0 and strength.disagrees is True
    with pytest.raises(DomainError):
        services.link_upsert(user=world["kam"], contact=world["anna"], level=5, actor=None)


def test_placeholder_fill_moves_the_role_to_the_contact(world) -> None:
    ph = services.placeholder_create(
        account=world["account"], role="decider", unit=world["site"], note="CFO Berlin", actor=None
    )
    assert selectors.account_metrics(account=world["account"])["contact_coverage"]["unknown"] == 1
    role = services.placeholder_fill(placeholder=ph, contact=world["boris"], actor=None)
    assert (role.role, role.contact_id, role.from_placeholder_id) == (
        "decider",
        world["boris"].pk,
        ph.pk,
    )
    ph.refresh_from_db()
    assert ph.filled_by_id == world["boris"].pk
    with pytest.raises(DomainError):
        services.placeholder_fill(placeholder=ph, contact=world["anna"], actor=None)
    stranger = ContactFactory()
    ph2 = services.placeholder_create(account=world["account"], role="buyer", actor=None)
    with pytest.raises(DomainError):
        services.placeholder_fill(placeholder=ph2, contact=stranger, actor=None)


def test_role_coverage_metric_through_the_registry(world) -> None:
    acc = world["account"]
    metric = get_metric("relationships.role_coverage")
    assert metric.value(acc.pk, TODAY) == Decimal("0.0")
    services.roles_set(account=acc, contact=world["anna"], roles=["decider", "buyer"], actor=None)
    services.stance_set(account=acc, contact=world["boris"], attitude="champion", actor=None)
    assert metric.value(acc.pk, TODAY) == Decimal("60.0")


def test_champion_who_changes_employer_is_a_gap_and_an_opening(world) -> None:
    acc, anna = world["account"], world["anna"]
    other = make_unit("Globex")
    services.stance_set(account=acc, contact=anna, attitude="champion", actor=None)
    assert selectors.account_gaps(account=acc)["champions_left"] == []
    # Anna leaves Acme and joins Globex
    Employment.objects.filter(contact=anna).update(end_date=TODAY - dt.timedelta(days=3))
    EmploymentFactory(contact=anna, unit=other, start_date=TODAY - dt.timedelta(days=2))
    left = selectors.account_gaps(account=acc)["champions_left"]
    assert [(p["contact_id"], p["now_at"], p["replaced"]) for p in left] == [
        (anna.pk, "Globex", False)
    ]
    notes = selectors.opportunity_notes(account=other)
    assert [(n["contact_id"], n["from_account"]) for n in notes] == [(anna.pk, "Acme")]
    assert selectors.opportunity_notes(account=acc) == []
    # and the stage rules see the champion who left
    assert selectors.stage_suggestion(account=acc).stage == "uncoupling"


def test_silent_deciders_and_single_links(world) -> None:
    acc, boris = world["account"], world["boris"]
    services.role_add(account=acc, contact=boris, role="decider", actor=None)
    interaction_create(
        type="call",
        occurred_at=_at(61),
        unit=world["site"],
        summary="Budget call",
        participants=[world["rep"]],
        contacts=[boris],
    )
    services.strengths_refresh()
    gaps = selectors.account_gaps(account=acc)
    assert [d["contact_id"] for d in gaps["silent_deciders"]] == [boris.pk]
    assert [s["contact_id"] for s in gaps["single_link"]] == [boris.pk]
    # the rep's judged link too: still one person (a person counts once, however known)
    services.link_upsert(user=world["rep"], contact=boris, level=3, actor=None)
    (single,) = selectors.account_gaps(account=acc)["single_link"]
    assert single["contact_id"] == boris.pk
    assert single["through"] == (world["rep"].get_full_name() or world["rep"].username)
    # a judged link of another person makes two
    services.link_upsert(user=world["kam"], contact=boris, level=1, actor=None)
    assert selectors.account_gaps(account=acc)["single_link"] == []
    services.link_upsert(user=world["kam"], contact=boris, level=0, actor=None)
    assert len(selectors.account_gaps(account=acc)["single_link"]) == 1
    interaction_create(
        type="call",
        occurred_at=_at(59),
        unit=world["site"],
        summary="Follow-up",
        participants=[world["kam"]],
        contacts=[boris],
    )
    services.strengths_refresh()
    gaps = selectors.account_gaps(account=acc)
    assert gaps["silent_deciders"] == [] and gaps["single_link"] == []


def test_stage_confirm_needs_a_reason_to_override_and_mismatch_shows(world) -> None:
    acc = world["account"]
    suggested = selectors.stage_suggestion(account=acc).stage
    assert suggested == "pre"
    services.stage_confirm(account=acc, stage="pre", actor=world["kam"])
    assert selectors.stage_mismatches([acc.pk]) == {}
    with pytest.raises(DomainError):
        services.stage_confirm(account=acc, stage="mid", actor=world["kam"])
    row = services.stage_confirm(
        account=acc, stage="mid", reason="Weekly plant meetings", actor=world["kam"]
    )
    assert row.is_override and row.suggested == "pre"
    assert selectors.stage_mismatches([acc.pk]) == {
        acc.pk: {"confirmed": "mid", "suggested": "pre"}
    }
    assert get_metric("relationships.stage").value(acc.pk, TODAY) == "mid"
    assert [a.confirmed for a in selectors.stage_history(account=acc)] == ["mid", "pre"]


def test_metrics_of_many_accounts_take_the_same_queries(django_assert_max_num_queries) -> None:
    def build(n: int) -> list[int]:
        ids = []
        for i in range(n):
            kam = UserFactory(role="kam")
            acc = make_unit(f"Account {n}-{i}", account_manager=kam)
            for _ in range(3):
                c = EmploymentFactory(unit=acc).contact
                BuyingRole.objects.create(account=acc, contact=c, role="user")
                i_ = Interaction.objects.create(
                    type="meeting", occurred_at=_at(5), unit=acc, summary="x"
                )
                i_.participants.add(kam)
                i_.contacts.add(c)
            ids.append(acc.pk)
        return ids

    selectors.relationship_settings()
    small = build(2)
    with django_assert_max_num_queries(10):
        selectors.accounts_metrics(small)
    large = build(20)
    with django_assert_max_num_queries(10):
        got = selectors.accounts_metrics(large)
    assert len(got) == 20
