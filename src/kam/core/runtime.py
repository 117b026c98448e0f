"""What a serving process does once the application is loaded: load what its first request
would (decision 139) and keep the garbage collector off the objects that live as long as the
process (decision 116)."""

from __future__ import annotations

import gc
import itertools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Requests after which a process settles again: the first pages of each kind load templates,
# URL patterns, catalogs and modules that then live as long as the process too
SETTLE_AFTER = frozenset({50, 500})


def warm() -> None:
    """Load what every process would otherwise load on its first request: the URL patterns
    (importing them builds the REST API's schemas, about 1.2 s of CPU) and their reverse
    index, and each language's translation catalog (decision 139). ``kam.wsgi`` calls it
    before ``settle``, so gunicorn's workers inherit all of it from the process that forks
    them, and a worker started by ``--max-requests`` does not make a user wait for it."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils.translation import trans_real

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URL configuration and the API
    resolver.reverse_dict  # noqa: B018 - the index ``reverse`` reads
    for code, _name in settings.LANGUAGES:
        trans_real.translation(code)


def settle() -> None:
    """Collect, then hand every object still alive (Django, the apps, their modules, compiled
    templates: about 300,000 at the large scale) to the garbage collector's permanent
    generation (``gc.freeze``). They live as long as the process, yet each full collection
    walked all of them: a 200 ms pause every few requests. ``kam.wsgi`` calls it once the
    application is built, before gunicorn forks its workers (the frozen pages stay shared)."""
    gc.collect()
    gc.freeze()


class SettleMiddleware:
    """Settles the process again after its 50th and 500th request (``SETTLE_AFTER``), once
    the pages served have loaded what they keep; each costs one full collection, once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.served = itertools.count(1)  # next() is atomic under the GIL: safe across threads

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if next(self.served) in SETTLE_AFTER:
            settle()
        return response
