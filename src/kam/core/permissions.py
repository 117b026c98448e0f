"""Who may see and change what: every rule lives here, as predicates of ``rules``.

Everyone internal (an active user with a role) may read account data. Changes are decided per
object: administrators and executives may change any account; a key account manager the accounts
they manage; a sales manager the accounts of the people who report to them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import rules
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

ADMIN, EXECUTIVE, KAM, SALES_MANAGER, FIELD_REP, SPECIALIST = (
    "admin",
    "executive",
    "kam",
    "sales_manager",
    "field_rep",
    "specialist",
)


@rules.predicate
def is_internal(user) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_active and getattr(user, "role", "")
    )


@rules.predicate
def is_admin(user) -> bool:
    # Superuser status counts for administration (users, configuration), never for a business
    # decision: those are checked with :func:`has_role_rule`, which the superuser shortcut of
    # ``User.has_perm`` does not reach (decision 31).
    return is_internal(user) and (user.role == ADMIN or user.is_superuser)


@rules.predicate
def is_executive(user) -> bool:
    return is_internal(user) and user.role == EXECUTIVE


def _account_manager_ids(unit: Any) -> tuple[int | None, int | None]:
    """The account manager of the unit's account and that person's manager.

    ``unit`` is a customers ``Unit``; its ``account`` (itself for an account) comes from the
    customers layer, so this bottom layer never imports it.
    """
    cached = getattr(unit, "_kam_manager_ids", None)
    if cached is not None:
        return cached
    manager = unit.account.account_manager
    ids = (manager.pk, manager.manager_id) if manager else (None, None)
    unit._kam_manager_ids = ids
    return ids


@rules.predicate
def manages_account(user, unit) -> bool:
    if unit is None or not is_internal(user):
        return False
    return _account_manager_ids(unit)[0] == user.pk


@rules.predicate
def leads_account_manager(user, unit) -> bool:
    if unit is None or not is_internal(user):
        return False
    return _account_manager_ids(unit)[1] == user.pk


@rules.predicate
def is_kam_or_sales_manager(user) -> bool:
    return is_internal(user) and user.role in (KAM, SALES_MANAGER)


can_view_account = is_internal
can_change_account = is_admin | is_executive | manages_account | leads_account_manager

rules.add_perm("kam.view_account", can_view_account)
rules.add_perm("kam.change_account", can_change_account)
rules.add_perm("kam.log_interaction", is_internal)
rules.add_perm("kam.administer", is_admin)
# Downloading every contact, transaction or user at once (decision 33); each download is logged.
rules.add_perm("kam.bulk_export", is_admin | is_executive)
# Currency rates (decision 99): whoever imports them (administrators) changes them on the page
# and by API; executives read them, as they read every money figure.
rules.add_perm("kam.view_rates", is_admin | is_executive)
rules.add_perm("kam.change_rates", is_admin)
rules.add_perm("kam.view_prices", is_admin | is_executive)
rules.add_perm("kam.change_prices", is_admin)


@rules.predicate
def wrote_interaction(user, interaction) -> bool:
    return interaction is not None and is_internal(user) and interaction.created_by_id == user.pk


@rules.predicate
def may_change_interactions_account(user, interaction) -> bool:
    return interaction is not None and can_change_account(user, interaction.unit)


def _contact_units(contact: Any) -> tuple[list[Any], list[Any]]:
    """The units of the contact's current positions and of all their positions (one query)."""
    employments = list(contact.employments.select_related("unit"))
    current = [e.unit for e in employments if e.end_date is None]
    return current, [e.unit for e in employments]


@rules.predicate
def may_change_a_contacts_account(user, contact) -> bool:
    """The right to change a contact comes from where they work now: whoever may change an
    account of a current position; for a contact with no current position, an account they
    worked at; for a contact with no position at all, anyone who may change accounts
    (administrators, executives, KAMs and sales managers), so that such a person can be placed.
    A past position planted at another account therefore gives no rights over the person."""
    if contact is None:
        return False
    current, every = _contact_units(contact)
    units = current or every
    if not units:
        return is_admin(user) or is_executive(user) or is_kam_or_sales_manager(user)
    return any(can_change_account(user, unit) for unit in units)


@rules.predicate
def may_change_every_contacts_account(user, contact) -> bool:
    """Deleting a contact removes every position they hold or held, so it needs the right to
    change each of those accounts (administrators and executives for a contact with none)."""
    if contact is None:
        return False
    _current, every = _contact_units(contact)
    if not every:
        return is_admin(user) or is_executive(user)
    return all(can_change_account(user, unit) for unit in every)


# An interaction may be edited by its author or by whoever may change the account.
rules.add_perm("kam.change_interaction", wrote_interaction | may_change_interactions_account)
rules.add_perm("kam.change_contact", may_change_a_contacts_account)
rules.add_perm("kam.delete_contact", may_change_every_contacts_account)


# Where a person works now decides whose contact they are (decision 22), so a position's unit and
# dates are guarded like the person (decision 96): writing them needs the right to change the
# contact *as it stands before the write*, besides the right to change the position's unit (and
# the new unit). Without it, another KAM could reopen a past position of the person at their own
# account (``end_date`` back to empty) and so take the contact over. Title, function, seniority
# and the like only need the unit.
EMPLOYMENT_PLACE_FIELDS = ("start_date", "end_date")


def require_employment_create(user, *, contact: Any, unit: Any) -> None:
    """Raise PermissionDenied unless ``user`` may place ``contact`` at ``unit``."""
    require(user, "kam.change_account", unit)
    require(user, "kam.change_contact", contact)


def employment_moves(employment: Any, *, unit: Any = None, fields: Any = None) -> bool:
    """Whether writing ``unit`` and ``fields`` changes where the position's person works."""
    if unit is not None and unit.pk != employment.unit_id:
        return True
    fields = fields or {}
    return any(
        name in fields and fields[name] != getattr(employment, name)
        for name in EMPLOYMENT_PLACE_FIELDS
    )


def require_employment_change(
    user, employment: Any, *, unit: Any = None, fields: Any = None
) -> None:
    """Raise PermissionDenied unless ``user`` may write ``unit`` and ``fields`` to ``employment``
    (checked before the write, so the person's current positions are the ones before it)."""
    require(user, "kam.change_account", employment.unit)
    if unit is not None and unit.pk != employment.unit_id:
        require(user, "kam.change_account", unit)
    if employment_moves(employment, unit=unit, fields=fields):
        require(user, "kam.change_contact", employment.contact)


# Our links to a customer's people (relationships app, decision 51): our person sets their own
# judged level; whoever may change the contact's account sets anyone's; a field rep only links
# to contacts who work now at a unit the rep is responsible for (a current field assignment) or
# below one, their own links included (decision 102).
def field_rep_units_q(user) -> Q:
    """Units (a ``Q`` over customer units) a field rep is responsible for now; the relation is
    named by string, so this bottom layer does not import the field app."""
    return Q(field_assignments__rep=user, field_assignments__end__isnull=True)


def _field_rep_of_contact(user, contact) -> bool:
    current, _every = _contact_units(contact)
    if not current:
        return False
    model = type(current[0])._default_manager
    assigned = model.filter(field_rep_units_q(user))
    mine = cast(Any, model.filter(pk__in=[u.pk for u in current]))
    # ``within`` (the customers UnitQuerySet) owns the subtree arithmetic
    return bool(mine.within(assigned).exists())


@rules.predicate
def may_change_link(user, link) -> bool:
    """``link`` is an ``OurLink`` (saved or not): its ``user_id`` and ``contact`` are read."""
    if link is None or not is_internal(user):
        return False
    if user.role == FIELD_REP and not user.is_superuser:
        return _field_rep_of_contact(user, link.contact)
    return link.user_id == user.pk or may_change_a_contacts_account(user, link.contact)


rules.add_perm("kam.change_link", may_change_link)


@rules.predicate
def did_not_nominate(user, nomination) -> bool:
    """Four-eyes: whoever nominated an account does not approve it themselves, unless the
    ``KAM_ALLOW_SELF_APPROVAL`` setting (off by default, for tiny teams) allows it."""
    if nomination is None:
        return False
    if getattr(settings, "KAM_ALLOW_SELF_APPROVAL", False):
        return True
    return nomination.nominated_by_id is None or nomination.nominated_by_id != user.pk


# Key-account identification (PRODUCT §3): who nominates, who decides, who edits the model.
rules.add_perm("kam.nominate_account", is_executive | is_kam_or_sales_manager)
rules.add_perm("kam.decide_nomination", is_executive)
rules.add_perm("kam.approve_nomination", is_executive & did_not_nominate)
rules.add_perm("kam.manage_scoring", is_admin | is_executive)
# Relationship health (PRODUCT §8): the profiles (weights, bands, assignment) are configuration.
rules.add_perm("kam.manage_health", is_admin | is_executive)


# Account plans (PRODUCT §4): plans are read and changed as their account is (``kam.view_account``
# / ``kam.change_account`` on ``plan.account``); approval is four-eyes; an action's owner, whoever
# they are, updates their own action's status and note.
@rules.predicate
def did_not_submit(user, plan) -> bool:
    """Four-eyes on plans: whoever submitted a plan does not approve it (see did_not_nominate)."""
    if plan is None:
        return False
    if getattr(settings, "KAM_ALLOW_SELF_APPROVAL", False):
        return True
    return plan.submitted_by_id is None or plan.submitted_by_id != user.pk


@rules.predicate
def owns_action(user, action) -> bool:
    return action is not None and is_internal(user) and action.owner_id == user.pk


@rules.predicate
def may_change_actions_account(user, action) -> bool:
    return action is not None and can_change_account(user, action.plan.account)


rules.add_perm("kam.approve_plan", is_executive & did_not_submit)
rules.add_perm("kam.decide_plan", is_executive)
rules.add_perm("kam.update_action", may_change_actions_account | owns_action)


# Resource requests and the coordination feed (issue 14). The relations are named by string so
# this bottom layer does not import the teams app.


@rules.predicate
def on_account_team(user, unit) -> bool:
    """A running membership of the unit's account team."""
    if unit is None or not is_internal(user):
        return False
    today = dt.date.today()
    return (
        unit.account.team_members.filter(user=user)
        .filter(Q(end__isnull=True) | Q(end__gt=today))
        .exists()
    )


@rules.predicate
def heads_requested_function(user, request) -> bool:
    """The manager of the function a resource request asks (the FunctionHead table)."""
    if request is None or not is_internal(user):
        return False
    return bool(user.functions_headed.filter(function=request.function).exists())


@rules.predicate
def is_request_assignee(user, request) -> bool:
    return request is not None and is_internal(user) and request.assignee_id == user.pk


@rules.predicate
def made_request(user, request) -> bool:
    return request is not None and is_internal(user) and request.requester_id == user.pk


# File a resource request or write a feed note: whoever may change the account, or its team.
rules.add_perm("kam.coordinate", can_change_account | on_account_team)
rules.add_perm("kam.decide_request", heads_requested_function)
rules.add_perm("kam.finish_request", heads_requested_function | is_request_assignee)
rules.add_perm("kam.withdraw_request", made_request)

# Field coordination (issue 15): the visit cadence is configuration of the programme.
rules.add_perm("kam.configure_field", is_admin | is_executive)


# The KAM programme (issue 17): everyone with a role reads the programme's figures; only
# executives open assessment campaigns and see the results of each respondent group;
# executives, KAMs, sales managers and field reps answer (each in the group of their role).
@rules.predicate
def is_assessment_respondent(user) -> bool:
    return is_internal(user) and user.role in (EXECUTIVE, KAM, SALES_MANAGER, FIELD_REP)


rules.add_perm("kam.view_programme", is_internal)
rules.add_perm("kam.run_assessment", is_executive)
rules.add_perm("kam.answer_assessment", is_assessment_respondent)
# The executive dashboard (PRODUCT §11): executives land on it; administrators may read it.
rules.add_perm("kam.view_dashboard", is_admin | is_executive)


def has_role_rule(user, perm: str, obj=None) -> bool:
    """Whether the rule ``perm`` grants ``user`` (on ``obj``) by their role and relation alone.

    ``User.has_perm`` answers yes to any active superuser before a rule is asked; a decision
    that needs a role (an executive's approval) asks the rule itself, so superuser status does
    not replace the role. Workflows check their steps with this.
    """
    return user is not None and bool(rules.has_perm(perm, user, obj))


def require(user, perm: str, obj=None) -> None:
    """Raise PermissionDenied unless ``user`` has ``perm`` (on ``obj``)."""
    if not user.has_perm(perm, obj):
        raise PermissionDenied


def get_for_user(queryset, user, perm: str, **lookup):
    """The one helper views and API use: fetch an object (404) and check ``perm`` on it (403).

    Under restricted visibility an object of an account the user may not see does not exist
    for them (404), whatever ``perm`` says."""
    if not is_internal(user):
        raise PermissionDenied
    queryset = visible(user, queryset)
    try:
        obj = queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    require(user, perm, obj)
    return obj


# --- Restricted visibility --------------------------------------------------------------------
# With ``KAM_RESTRICTED_VISIBILITY`` on, field reps and specialists see only the accounts they
# are related to; every other account, and everything of it, answers 404. Every list, page, API
# read, export and search passes its queryset through :func:`visible` (objects through
# :func:`get_for_user`), so this block is the whole rule.

RESTRICTED_ROLES = (FIELD_REP, SPECIALIST)


def visibility_restricted(user) -> bool:
    """Whether ``user`` sees only related accounts (the setting is on and they have a restricted
    role; a superuser is never restricted)."""
    return bool(
        getattr(settings, "KAM_RESTRICTED_VISIBILITY", False)
        and is_internal(user)
        and user.role in RESTRICTED_ROLES
        and not user.is_superuser
    )


def account_relations_q(user) -> Q:
    """Units (a ``Q`` over customer units) through which ``user`` is related to an account.

    The one place that says what "related" means: named on an interaction with the unit, as one
    of our participants or as its author; or on the account's team (a membership not ended —
    the relation is named by string, so this bottom layer does not import the teams app).
    """
    return (
        Q(interactions__participants=user)
        | Q(interactions__created_by=user)
        | Q(team_members__user=user, team_members__end__isnull=True)
        | Q(team_members__user=user, team_members__end__gt=dt.date.today())
    )


def visible_units(user, units: QuerySet[Any]) -> QuerySet[Any]:
    """The units of ``units`` that ``user`` may see: all of them unless visibility is restricted,
    else every unit of each account with a unit related to the user (:func:`account_relations_q`).
    The account arithmetic belongs to the customers queryset (``in_accounts_of``)."""
    if not visibility_restricted(user):
        return units
    related = units.model._default_manager.filter(account_relations_q(user))
    # ``units`` is the customers UnitQuerySet, which this bottom layer cannot import
    return cast(Any, units).in_accounts_of(related)


# How a row of account data reaches its customer unit: model label -> relation path ("" for the
# unit itself). Data not of one account (users, scoring models, runs, jobs, tokens) is not listed
# and is not restricted.
VISIBLE_THROUGH: dict[str, str] = {
    "customers.unit": "",
    "customers.contact": "employments__unit",
    "customers.employment": "unit",
    "sales.transaction": "unit",
    "sales.monthlyrollup": "account",
    "sales.keptdiscountmonth": "account",
    "sales.opportunity": "unit",
    "sales.competitorshare": "account",
    "sales.supplierposition": "account",
    "sales.costtoserve": "unit",
    "interactions.interaction": "unit",
    "identification.accountassessment": "account",
    "identification.buyingcriterion": "account",
    "identification.accountscore": "account",
    "identification.nomination": "account",
    "identification.accountfacts": "account",
    "relationships.buyingrole": "account",
    "relationships.contactstance": "account",
    "relationships.placeholder": "account",
    "relationships.informationsharing": "account",
    "relationships.stageassessment": "account",
    "relationships.opportunityrole": "opportunity__unit",
    "relationships.ourlink": "contact__employments__unit",
    "relationships.linkstrength": "contact__employments__unit",
    "teams.teammember": "account",
    "planning.accountplan": "account",
    "planning.objective": "plan__account",
    "planning.action": "plan__account",
    "planning.planversion": "plan__account",
    "planning.whitespacecell": "account",
    "planning.customergoal": "account",
    "planning.buyingprocess": "account",
    "teams.resourcerequest": "account",
    "teams.requestevent": "request__account",
    "teams.requestcomment": "request__account",
    "teams.feednote": "account",
    "alerts.alert": "account",
    "alerts.alertevent": "alert__account",
    "field.fieldassignment": "unit",
    "field.visit": "unit",
    "health.accounthealth": "account",
    "health.healthmonth": "account",
    "health.sentiment": "account",
}


def _unit_model(model: type[Model], through: str) -> type[Model]:
    for step in through.split("__"):
        model = model._meta.get_field(step).related_model  # type: ignore[assignment]
    return model


def visible(user, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """``queryset`` narrowed to the rows ``user`` may see (unchanged unless restricted).

    The rows keep their order, annotations and select_related; a row of a model not in
    :data:`VISIBLE_THROUGH` is not account data and stays visible."""
    if not visibility_restricted(user):
        return queryset
    through = VISIBLE_THROUGH.get(queryset.model._meta.label_lower)
    if through is None:
        return queryset
    if not through:
        return visible_units(user, queryset)
    unit_model = _unit_model(queryset.model, through)
    units = visible_units(user, unit_model._default_manager.all())
    inner = queryset.model._default_manager.filter(**{f"{through}__in": units.values("pk")})
    return queryset.filter(pk__in=inner.values("pk"))
