"""An account plan as JSON, and that JSON imported into another OpenKAM (decision 47).

The format is documented in ``docs/plan-json.md``. Field names follow Salesforce's
AccountPlan / AccountPlanObjective / AccountPlanObjectiveMeasure and Task where a field means
the same there, so that people can map between the two. References leave the installation by
natural key, never by database id: the account and units by external id (a unit without one by
its name inside the account), people by username (or e-mail), product lines by code,
competitors by name, metrics by registry key.

An import validates everything first and reports every unknown reference at once; then it
writes the whole plan in one transaction, so a bad file writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.errors import DomainError
from kam.core.metrics import UnknownMetric, registry
from kam.customers.models import Unit
from kam.people.models import User
from kam.sales.models import Competitor, ProductLine, reporting_currency

from .models import (
    AccountPlan,
    Action,
    ActionStatus,
    CustomerObjective,
    Objective,
    ObjectiveUpdate,
    PlanEvent,
    PlanEventKind,
    PlanReview,
    ReviewOutcome,
    Risk,
    Strategy,
    SwotItem,
    SwotKind,
    WhiteSpaceCell,
    WhiteSpaceStatus,
)
from .whitespace import whitespace_cells

FORMAT = "openkam.account-plan"
FORMAT_VERSION = 1
# Parts of an export that differ between two exports of the same content.
VOLATILE_KEYS = ("ExportedAt",)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _number(value: Decimal | None) -> str | None:
    """A decimal as text (exact, no float rounding), trailing zeros dropped."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def _person(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"Username": user.username, "Email": user.email or ""}


def _unit_ref(unit: Unit | None) -> dict[str, str] | None:
    if unit is None:
        return None
    return {"ExternalId": unit.external_id or "", "Name": unit.name}


# --- export ------------------------------------------------------------------------------------


def plan_export(*, plan: AccountPlan) -> dict[str, Any]:
    """The whole plan (all sections, objectives with their measure, actions, reviews) and the
    account's white space, as plain JSON. A fixed number of queries."""
    account = plan.account
    objectives = list(plan.objectives.prefetch_related("updates__author"))
    keys = {o.pk: f"O{n}" for n, o in enumerate(objectives, start=1)}
    body: dict[str, Any] = {
        "Name": str(plan),
        "Account": {"ExternalId": account.external_id or "", "Name": account.name},
        "StartDate": _date(plan.period_start),
        "EndDate": _date(plan.period_end),
        "Status": plan.status,
        "Mission": plan.mission,
        "ReviewCadenceMonths": plan.review_cadence_months,
        "NextReviewDue": _date(plan.next_review_due),
        "TargetStage": plan.target_stage,
        "Quadrant": plan.quadrant,
        "CustomerObjectives": [
            {"Description": c.text, "ToldBy": c.told_by, "IsConfirmed": c.confirmed}
            for c in plan.customer_objectives.all()
        ],
        "Swot": [{"Kind": s.kind, "Description": s.text} for s in plan.swot_items.all()],
        "Strategies": [{"Description": s.text} for s in plan.strategies.all()],
        "Risks": [{"Description": r.text, "Mitigation": r.mitigation} for r in plan.risks.all()],
        "AccountPlanObjectives": [
            {
                "Key": keys[o.pk],
                "Name": o.title,
                "EndDate": _date(o.deadline),
                "Measure": {
                    "CalculationDefinition": o.metric_key,
                    "BaselineValue": _number(o.baseline),
                    "BaselineLevel": o.baseline_level,
                    "TargetValue": _number(o.target_value),
                    "TargetLevel": o.target_level,
                    "CurrentValue": _number(o.current_value) if not o.metric_key else None,
                },
                "Updates": [
                    {
                        "Date": _date(u.date),
                        "Value": _number(u.value),
                        "Note": u.note,
                        "Author": _person(u.author),
                    }
                    for u in sorted(o.updates.all(), key=lambda u: (u.date, u.pk))
                ],
            }
            for o in objectives
        ],
        "Tasks": [
            {
                "Subject": a.title,
                "ActivityDate": _date(a.due_date),
                "Status": a.status,
                "Owner": _person(a.owner),
                "Unit": _unit_ref(a.unit),
                "Objective": keys.get(a.objective_id) if a.objective_id else None,
                "Description": a.note,
            }
            for a in plan.actions.select_related("owner", "unit").order_by("due_date", "pk")
        ],
        "Reviews": [
            {
                "Date": _date(r.date),
                "Reviewer": _person(r.reviewer),
                "Outcome": r.outcome,
                "Note": r.note,
            }
            for r in plan.reviews.select_related("reviewer").order_by("date", "pk")
        ],
        "WhiteSpace": [
            {
                "Unit": _unit_ref(c.unit),
                "ProductLine": c.product_line.code,
                "Status": c.status,
                "Competitor": c.competitor.name if c.competitor else None,
                "Potential": _number(c.potential),
                "Note": c.note,
                "Edited": c.edited,
            }
            for c in whitespace_cells(account=account)
        ],
    }
    return {
        "Format": FORMAT,
        "FormatVersion": FORMAT_VERSION,
        "ExportedAt": timezone.now().isoformat(timespec="seconds"),
        "CurrencyIsoCode": reporting_currency(),
        "AccountPlan": body,
    }


# --- import ------------------------------------------------------------------------------------


class _Reader:
    """Reads the import document, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def obj(self, data: Any, where: str) -> Mapping[str, Any]:
        if isinstance(data, Mapping):
            return data
        if data is not None:
            self.fail(where, _("expected an object"))
        return {}

    def items(self, data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"{where}.{key}", _("expected a list"))
            return []
        return [self.obj(v, f"{where}.{key}[{n}]") for n, v in enumerate(value)]

    def text(self, data: Mapping[str, Any], key: str, where: str, limit: int = 10000) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(f"{where}.{key}", _("expected text"))
            return ""
        if len(value) > limit:
            self.fail(f"{where}.{key}", _("longer than %(n)d characters") % {"n": limit})
        return value

    def date(self, data: Mapping[str, Any], key: str, where: str, required: bool = True) -> Any:
        value = data.get(key)
        if value in (None, ""):
            if required:
                self.fail(f"{where}.{key}", _("a date is required"))
            return None
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{where}.{key}", _("“%(value)s” is not a date (YYYY-MM-DD)") % {"value": value}
            )
            return None

    def number(self, data: Mapping[str, Any], key: str, where: str) -> Decimal | None:
        value = data.get(key)
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            self.fail(f"{where}.{key}", _("expected a number"))
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(f"{where}.{key}", _("“%(value)s” is not a number") % {"value": value})
            return None
        if not number.is_finite():
            self.fail(f"{where}.{key}", _("“%(value)s” is not a number") % {"value": value})
            return None
        return number

    def choice(
        self, data: Mapping[str, Any], key: str, where: str, choices: list[str], default: str
    ) -> str:
        value = data.get(key)
        if value in (None, ""):
            return default
        if value not in choices:
            self.fail(
                f"{where}.{key}",
                _("“%(value)s” is not one of %(choices)s")
                % {"value": value, "choices": ", ".join(choices)},
            )
            return default
        return str(value)


def _people(refs: list[Mapping[str, Any]]) -> tuple[dict[str, User], dict[str, User]]:
    """Active users named by the references: ({username: user}, {e-mail: user}) in one query."""
    names = {str(r.get("Username")) for r in refs if r.get("Username")}
    mails = {str(r.get("Email")).lower() for r in refs if r.get("Email")}
    found = list(
        User.objects.filter(is_active=True).filter(Q(username__in=names) | Q(email__in=mails))
    )
    by_mail: dict[str, User] = {}
    for u in found:
        if u.email:
            by_mail.setdefault(u.email.lower(), u)
    return {u.username: u for u in found}, by_mail


def _clean(obj: models.Model, where: str, reader: _Reader, exclude: list[str]) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            reader.fail(f"{where}.{name}", " ".join(str(m) for m in messages))


def plan_import(*, data: Any, user: User | None, account: Unit | None = None) -> AccountPlan:
    """Create the plan of an export document, as a draft of this installation.

    The account is ``account`` when given, else the one whose external id the document names.
    Every problem (unknown account, unit, person, product line, competitor or metric; a bad date,
    number or choice) is reported together in one DomainError and nothing is written.
    """
    r = _Reader()
    doc = r.obj(data, "$")
    if doc.get("Format") != FORMAT:
        raise DomainError(
            _("This is not an OpenKAM account plan export (Format must be “%(f)s”).")
            % {"f": FORMAT},
            code="format",
        )
    if doc.get("FormatVersion") != FORMAT_VERSION:
        raise DomainError(
            _("Unsupported FormatVersion %(v)s (this OpenKAM reads version %(n)d).")
            % {"v": doc.get("FormatVersion"), "n": FORMAT_VERSION},
            code="format",
        )
    p = r.obj(doc.get("AccountPlan"), "AccountPlan")
    where = "AccountPlan"
    if account is None:
        ref = r.obj(p.get("Account"), f"{where}.Account")
        external = str(ref.get("ExternalId") or "")
        if not external:
            raise DomainError(
                _("The plan names no account external id: choose the account to import into."),
                field="account",
                code="unknown",
            )
        account = Unit.objects.accounts().filter(external_id=external).first()
        if account is None:
            raise DomainError(
                _("No account with the external id “%(id)s” in this OpenKAM.") % {"id": external},
                field="account",
                code="unknown",
            )
    elif not account.is_account:
        raise DomainError(_("A plan belongs to an account, not to one of its units."))

    # references, resolved in a fixed number of queries
    objectives_in = r.items(p, "AccountPlanObjectives", where)
    tasks_in = r.items(p, "Tasks", where)
    reviews_in = r.items(p, "Reviews", where)
    cells_in = r.items(p, "WhiteSpace", where)
    person_refs: list[Mapping[str, Any]] = []
    for o in objectives_in:
        for u in r.items(o, "Updates", "objective"):
            person_refs.append(r.obj(u.get("Author"), "Author"))
    person_refs += [r.obj(t.get("Owner"), "Owner") for t in tasks_in]
    person_refs += [r.obj(v.get("Reviewer"), "Reviewer") for v in reviews_in]
    by_name, by_mail = _people(person_refs)

    def person(ref: Any, at: str, required: bool) -> User | None:
        if ref is None:
            if required:
                r.fail(at, _("a person is required"))
            return None
        m = r.obj(ref, at)
        found = by_name.get(str(m.get("Username") or "")) or by_mail.get(
            str(m.get("Email") or "").lower()
        )
        if found is None:
            r.fail(
                at,
                _("no active user with the username “%(u)s” or the e-mail “%(e)s”")
                % {"u": m.get("Username") or "", "e": m.get("Email") or ""},
            )
        return found

    units = list(Unit.objects.in_account(account).only("pk", "name", "external_id", "path"))
    unit_by_ext = {u.external_id: u for u in units if u.external_id}
    unit_by_name: dict[str, list[Unit]] = {}
    for u in units:
        unit_by_name.setdefault(u.name, []).append(u)

    def unit(ref: Any, at: str) -> Unit | None:
        if ref is None:
            return None
        m = r.obj(ref, at)
        ext, name = str(m.get("ExternalId") or ""), str(m.get("Name") or "")
        if ext:
            found = unit_by_ext.get(ext)
            if found is None:
                r.fail(at, _("no unit with the external id “%(id)s” in the account") % {"id": ext})
            return found
        same = unit_by_name.get(name, [])
        if len(same) != 1:
            r.fail(
                at,
                _("no single unit named “%(name)s” in the account (give its ExternalId)")
                % {"name": name},
            )
            return None
        return same[0]

    lines = {pl.code: pl for pl in ProductLine.objects.all()}
    competitor_names = {str(c.get("Competitor")) for c in cells_in if c.get("Competitor")}
    competitors = {c.name: c for c in Competitor.objects.filter(name__in=competitor_names)}

    plan = AccountPlan(
        account=account,
        period_start=r.date(p, "StartDate", where),
        period_end=r.date(p, "EndDate", where),
        mission=r.text(p, "Mission", where),
        review_cadence_months=int(r.number(p, "ReviewCadenceMonths", where) or 3),
        next_review_due=r.date(p, "NextReviewDue", where, required=False),
        target_stage=r.text(p, "TargetStage", where, 16),
        quadrant=r.text(p, "Quadrant", where, 12),
        created_by=user,
    )
    if plan.period_start and plan.period_end and plan.period_end <= plan.period_start:
        r.fail(f"{where}.EndDate", _("the period must end after it starts"))
    if (
        plan.period_start
        and AccountPlan.objects.filter(account=account, period_start=plan.period_start).exists()
    ):
        r.fail(
            f"{where}.StartDate",
            _("the account already has a plan starting on %(date)s")
            % {"date": plan.period_start.isoformat()},
        )
    _clean(plan, where, r, exclude=["account", "created_by"])

    customer = [
        CustomerObjective(
            text=r.text(c, "Description", f"{where}.CustomerObjectives[{n}]"),
            told_by=r.text(c, "ToldBy", f"{where}.CustomerObjectives[{n}]", 200),
            confirmed=bool(c.get("IsConfirmed")),
            position=n,
        )
        for n, c in enumerate(r.items(p, "CustomerObjectives", where))
    ]
    swot = [
        SwotItem(
            kind=r.choice(s, "Kind", f"{where}.Swot[{n}]", list(SwotKind.values), "strength"),
            text=r.text(s, "Description", f"{where}.Swot[{n}]"),
            position=n,
        )
        for n, s in enumerate(r.items(p, "Swot", where))
    ]
    strategies = [
        Strategy(text=r.text(s, "Description", f"{where}.Strategies[{n}]"), position=n)
        for n, s in enumerate(r.items(p, "Strategies", where))
    ]
    risks = [
        Risk(
            text=r.text(s, "Description", f"{where}.Risks[{n}]"),
            mitigation=r.text(s, "Mitigation", f"{where}.Risks[{n}]"),
            position=n,
        )
        for n, s in enumerate(r.items(p, "Risks", where))
    ]

    objectives: list[tuple[str, Objective, list[ObjectiveUpdate]]] = []
    for n, o in enumerate(objectives_in):
        at = f"{where}.AccountPlanObjectives[{n}]"
        measure = r.obj(o.get("Measure"), f"{at}.Measure")
        key = r.text(measure, "CalculationDefinition", f"{at}.Measure", 64)
        if key:
            try:
                registry.get(key)
            except UnknownMetric:
                r.fail(
                    f"{at}.Measure.CalculationDefinition", _("unknown metric “%(k)s”") % {"k": key}
                )
        obj = Objective(
            title=r.text(o, "Name", at, 200),
            metric_key=key,
            baseline=r.number(measure, "BaselineValue", f"{at}.Measure"),
            baseline_level=r.text(measure, "BaselineLevel", f"{at}.Measure", 32),
            target_value=r.number(measure, "TargetValue", f"{at}.Measure"),
            target_level=r.text(measure, "TargetLevel", f"{at}.Measure", 32),
            current_value=None if key else r.number(measure, "CurrentValue", f"{at}.Measure"),
            deadline=r.date(o, "EndDate", at),
            position=n,
        )
        _clean(obj, at, r, exclude=["plan"])
        updates = []
        for m, u in enumerate(r.items(o, "Updates", at)):
            uat = f"{at}.Updates[{m}]"
            value = r.number(u, "Value", uat)
            update = ObjectiveUpdate(
                date=r.date(u, "Date", uat),
                value=value if value is not None else Decimal(0),
                note=r.text(u, "Note", uat),
                author=person(u.get("Author"), f"{uat}.Author", required=False),
            )
            if value is None:
                r.fail(f"{uat}.Value", _("a value is required"))
            else:
                _clean(update, uat, r, exclude=["objective", "author"])
            updates.append(update)
        objectives.append((str(o.get("Key") or f"#{n}"), obj, updates))
    objective_by_key = {k: obj for k, obj, _u in objectives}

    actions: list[tuple[Action, str | None]] = []
    for n, t in enumerate(tasks_in):
        at = f"{where}.Tasks[{n}]"
        objective_key = t.get("Objective")
        if objective_key and str(objective_key) not in objective_by_key:
            r.fail(f"{at}.Objective", _("no objective with the key “%(k)s”") % {"k": objective_key})
        action = Action(
            title=r.text(t, "Subject", at, 200),
            due_date=r.date(t, "ActivityDate", at),
            status=r.choice(t, "Status", at, list(ActionStatus.values), ActionStatus.OPEN),
            note=r.text(t, "Description", at),
        )
        owner = person(t.get("Owner"), f"{at}.Owner", required=True)
        if owner is not None:
            action.owner = owner
        action.unit = unit(t.get("Unit"), f"{at}.Unit")
        _clean(action, at, r, exclude=["plan", "owner", "unit", "objective"])
        actions.append((action, str(objective_key) if objective_key else None))

    reviews = []
    for n, v in enumerate(reviews_in):
        at = f"{where}.Reviews[{n}]"
        review = PlanReview(
            date=r.date(v, "Date", at),
            reviewer=person(v.get("Reviewer"), f"{at}.Reviewer", required=False),
            outcome=r.choice(v, "Outcome", at, list(ReviewOutcome.values), ReviewOutcome.CONFIRMED),
            note=r.text(v, "Note", at),
        )
        _clean(review, at, r, exclude=["plan", "reviewer"])
        reviews.append(review)

    cells = []
    seen: set[tuple[int, int]] = set()
    for n, c in enumerate(cells_in):
        at = f"{where}.WhiteSpace[{n}]"
        cell_unit = unit(c.get("Unit"), f"{at}.Unit")
        if c.get("Unit") is None:
            r.fail(f"{at}.Unit", _("a unit is required"))
        line = lines.get(str(c.get("ProductLine") or ""))
        if line is None:
            r.fail(
                f"{at}.ProductLine",
                _("no product line with the code “%(c)s”") % {"c": c.get("ProductLine") or ""},
            )
        competitor = None
        if c.get("Competitor"):
            competitor = competitors.get(str(c.get("Competitor")))
            if competitor is None:
                r.fail(
                    f"{at}.Competitor",
                    _("no competitor named “%(n)s”") % {"n": c.get("Competitor")},
                )
        status = r.choice(c, "Status", at, list(WhiteSpaceStatus.values), "not_bought")
        if status == WhiteSpaceStatus.COMPETITOR and competitor is None and not c.get("Competitor"):
            r.fail(f"{at}.Competitor", _("a competitor cell names its competitor"))
        potential = r.number(c, "Potential", at) or Decimal("0")
        if potential < 0:
            r.fail(f"{at}.Potential", _("the potential cannot be negative"))
        if cell_unit is None or line is None:
            continue
        if (cell_unit.pk, line.pk) in seen:
            r.fail(at, _("this unit and product line appear twice"))
            continue
        seen.add((cell_unit.pk, line.pk))
        cell = WhiteSpaceCell(
            account=account,
            unit=cell_unit,
            product_line=line,
            status=status,
            competitor=competitor,
            potential=potential,
            note=r.text(c, "Note", at, 300),
            edited=bool(c.get("Edited")),
            updated_by=user,
        )
        _clean(cell, at, r, exclude=["account", "unit", "product_line", "competitor", "updated_by"])
        cells.append(cell)

    if r.errors:
        shown = r.errors[:50]
        more = len(r.errors) - len(shown)
        message = _("The plan cannot be imported: %(errors)s") % {"errors": "; ".join(shown)}
        if more:
            message += " " + _("(and %(n)d more problems)") % {"n": more}
        raise DomainError(message, code="invalid_import")
    return _write(
        plan, customer, swot, strategies, risks, objectives, actions, reviews, cells, user
    )


@transaction.atomic
def _write(
    plan: AccountPlan,
    customer: list[CustomerObjective],
    swot: list[SwotItem],
    strategies: list[Strategy],
    risks: list[Risk],
    objectives: list[tuple[str, Objective, list[ObjectiveUpdate]]],
    actions: list[tuple[Action, str | None]],
    reviews: list[PlanReview],
    cells: list[WhiteSpaceCell],
    user: User | None,
) -> AccountPlan:
    plan.save()
    for rows in (customer, swot, strategies, risks, reviews):
        for row in rows:
            row.plan = plan
    CustomerObjective.objects.bulk_create(customer)
    SwotItem.objects.bulk_create(swot)
    Strategy.objects.bulk_create(strategies)
    Risk.objects.bulk_create(risks)
    PlanReview.objects.bulk_create(reviews)
    by_key: dict[str, Objective] = {}
    for key, objective, updates in objectives:
        objective.plan = plan
        objective.save()
        by_key[key] = objective
        for update in updates:
            update.objective = objective
        ObjectiveUpdate.objects.bulk_create(updates)
    for action, objective_key in actions:
        action.plan = plan
        action.objective = by_key.get(objective_key) if objective_key else None
        if action.status == ActionStatus.DONE:
            action.done_at, action.done_by = timezone.now(), user
        action.save()
    if cells:
        # the imported cells replace the account's cells of the same unit and product line
        wanted = {(c.unit_id, c.product_line_id) for c in cells}
        existing = WhiteSpaceCell.objects.filter(account=plan.account).values_list(
            "pk", "unit_id", "product_line_id"
        )
        WhiteSpaceCell.objects.filter(
            pk__in=[pk for pk, u, ln in existing if (u, ln) in wanted]
        ).delete()
        WhiteSpaceCell.objects.bulk_create(cells, batch_size=500)
    PlanEvent.objects.create(
        plan=plan,
        actor=user,
        kind=PlanEventKind.CREATED,
        to_status=plan.status,
        note=_("Imported from an OpenKAM plan export."),
    )
    return plan
