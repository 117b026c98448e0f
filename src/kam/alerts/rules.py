"""The alert rule registry: each app says which alerts its data can raise (decision 68).

An app registers its rules in its ``AppConfig.ready`` from a module ``<app>/alert_rules.py``::

    from kam.alerts.rules import AlertRule, Finding, register_rule

    register_rule(AlertRule(
        kind="planning.plan_review_overdue",
        label=gettext_lazy("Plan overdue for review"),
        intensity=True,                   # only for accounts in KAM mode (key accounts)
        evaluate=plans_overdue,           # (account_ids, as_of) -> Iterable[Finding]
    ))

``evaluate`` is called with many accounts at once and must answer in a bounded number of
queries whatever their number. The engine (:func:`kam.alerts.services.alerts_refresh`) keeps one
live alert per finding key, resolves the alerts whose finding is gone, and passes an intensity
rule only the key accounts, so a transactional account never gets an intensity alert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # dev-only package: types only


@dataclass(frozen=True)
class Finding:
    """One condition found on an account.

    ``reason`` is an English message id with ``%(name)s`` placeholders filled from ``params``
    (mark it with ``gettext_noop`` so it is translated when shown); ``subject`` tells apart two
    findings of one rule on one account (a contact id, say), empty when there is one at most;
    ``owner_id`` names the owner when the rule knows better than the account's KAM.
    """

    account_id: int
    reason: str
    params: Mapping[str, Any] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=dict)
    link: str = ""
    subject: str = ""
    unit_id: int | None = None
    # who answers for it when that is neither the account's KAM nor a unit's sales manager (an
    # executive for a finding about the whole programme, decision 104); None: the usual owner
    owner_id: int | None = None


EvaluateFn = Callable[[Sequence[int], dt.date], Iterable[Finding]]
# unit ids → {unit id: id of the user who owns that unit's alerts}; units it does not answer for
# fall back to the account's KAM
UnitOwnersFn = Callable[[Sequence[int]], Mapping[int, int]]


@dataclass(frozen=True)
class AlertRule:
    kind: str
    label: StrOrPromise
    intensity: bool
    evaluate: EvaluateFn
    description: StrOrPromise = ""
    # parameter name → {stored code: label}: a reason shows "Good", not "good", in the reader's
    # language (the stored parameters keep the codes, so a language switch needs no rewrite)
    param_labels: Mapping[str, Mapping[str, StrOrPromise]] = field(default_factory=dict)
    # the rule reads the whole company whatever accounts it is asked about (a share of company
    # revenue): the engine calls it once with all of them, not once per chunk, and it must not
    # put the ids into SQL
    whole_company: bool = False

    def key_of(self, finding: Finding) -> str:
        return f"{self.kind}:{finding.account_id}:{finding.subject}"[:120]

    def shown_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` with every coded value replaced by its label."""
        out = dict(params)
        for name, labels in self.param_labels.items():
            value = out.get(name)
            if isinstance(value, str) and value in labels:
                out[name] = str(labels[value])
        return out


class RuleRegistry:
    def __init__(self) -> None:
        self._rules: dict[str, AlertRule] = {}
        self._unit_owners: list[UnitOwnersFn] = []

    def register_unit_owners(self, fn: UnitOwnersFn) -> None:
        """An app that knows who answers for a unit below the account (the field app: the
        sales manager of the unit's rep) says so here; the first answer wins."""
        if fn not in self._unit_owners:
            self._unit_owners.append(fn)

    def unit_owners(self, unit_ids: Sequence[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        for fn in self._unit_owners:
            for unit_id, user_id in fn([u for u in unit_ids if u not in out]).items():
                out.setdefault(unit_id, user_id)
        return out

    def register(self, rule: AlertRule) -> AlertRule:
        if len(rule.kind) > 40:
            raise ValueError(f"alert rule {rule.kind}: the kind is longer than 40 characters")
        existing = self._rules.get(rule.kind)
        if existing is not None and existing.evaluate is not rule.evaluate:
            raise ValueError(f"alert rule {rule.kind} is registered twice")
        self._rules[rule.kind] = rule
        return rule

    def unregister(self, kind: str) -> None:
        self._rules.pop(kind, None)

    def get(self, kind: str) -> AlertRule | None:
        return self._rules.get(kind)

    def __contains__(self, kind: object) -> bool:
        return kind in self._rules

    def all(self) -> list[AlertRule]:
        return sorted(self._rules.values(), key=lambda r: r.kind)

    def choices(self) -> list[tuple[str, str]]:
        return [(r.kind, str(r.label)) for r in self.all()]


rules = RuleRegistry()
register_rule = rules.register
register_unit_owners = rules.register_unit_owners
