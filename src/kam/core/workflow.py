"""Workflows as tables: every lifecycle (nomination, plan, resource request, alert) is declared
once as a :class:`Workflow` of :class:`Transition` rows.

Services perform a transition with :meth:`Workflow.check` (the user's permission, then the
object's state; the service then stores ``transition.target`` and writes its event row with the
actor in the same transaction); views list the steps to offer with :meth:`Workflow.allowed`.
So the rule "who may do what from which state" lives in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .errors import DomainError
from .permissions import has_role_rule


@dataclass(frozen=True)
class Transition:
    """One step: ``name`` leads from any of ``sources`` to ``target``.

    The user needs the permission ``permission`` on the object, or on its attribute named by
    ``permission_on`` (for example the account of a nomination). ``event`` is the kind of the
    event row the step writes; ``label`` is what a button says.
    """

    name: str
    sources: frozenset[str]
    target: str
    permission: str
    label: str | Promise
    event: str = ""
    permission_on: str = ""

    def permitted(self, user: Any, obj: Any) -> bool:
        """Whether the rule grants the step; superuser status is no shortcut (decision 31)."""
        target = getattr(obj, self.permission_on) if self.permission_on else obj
        return has_role_rule(user, self.permission, target)


class Workflow:
    """The allowed transitions of one kind of object, whose state is ``obj.<state_field>``."""

    def __init__(
        self,
        name: str | Promise,
        transitions: Iterable[Transition],
        *,
        state_field: str = "status",
        state_labels: dict[str, str | Promise] | None = None,
    ):
        self.name = name
        self.state_field = state_field
        self.state_labels = state_labels or {}
        self.transitions: dict[str, Transition] = {}
        for t in transitions:
            if t.name in self.transitions:
                raise ValueError(f"{name}: transition {t.name!r} is declared twice")
            self.transitions[t.name] = t

    def __getitem__(self, name: str) -> Transition:
        return self.transitions[name]

    def state_of(self, obj: Any) -> str:
        return str(getattr(obj, self.state_field))

    def possible(self, obj: Any) -> list[Transition]:
        """The steps the object's state allows, whoever asks."""
        state = self.state_of(obj)
        return [t for t in self.transitions.values() if state in t.sources]

    def allowed(self, user: Any, obj: Any) -> list[Transition]:
        """The steps ``user`` may take on ``obj`` now, in declaration order."""
        return [t for t in self.possible(obj) if t.permitted(user, obj)]

    def check(self, name: str, obj: Any, user: Any) -> Transition:
        """The transition ``name`` if ``user`` may take it on ``obj`` now.

        Raises :class:`PermissionDenied` when the user lacks the permission, and a
        :class:`DomainError` (code ``bad_state``) when the object's state does not allow it.
        """
        transition = self.transitions[name]
        if not transition.permitted(user, obj):
            raise PermissionDenied(_("You are not allowed to do this."))
        state = self.state_of(obj)
        if state not in transition.sources:
            raise DomainError(
                _("“%(step)s” is not possible while the %(what)s is “%(status)s”.")
                % {
                    "step": transition.label,
                    "what": self.name,
                    "status": self.state_labels.get(state, state),
                },
                code="bad_state",
            )
        return transition
