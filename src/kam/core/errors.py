"""Domain errors raised by services; views and API turn them into 4xx answers."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken; the message is shown to the user."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class CycleError(DomainError):
    def __init__(self, message: str, *, field: str | None = "parent"):
        super().__init__(message, field=field, code="cycle")
