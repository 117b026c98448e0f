"""A serving process freezes what it loaded, so full collections do not walk it (decision 116)."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_wsgi_application_freezes_the_loaded_objects():
    code = "import gc, kam.wsgi; print(gc.get_freeze_count(), len(gc.get_objects(generation=2)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    frozen, tracked = int(out[0]), int(out[1])
    assert frozen > 50_000  # Django and the apps
    assert tracked < frozen / 10  # what a full collection still walks


def test_a_process_settles_again_after_its_first_requests(monkeypatch):
    from django.http import HttpRequest, HttpResponse

    from kam.core import runtime

    calls = []
    monkeypatch.setattr(runtime, "settle", lambda: calls.append(1))
    monkeypatch.setattr(runtime, "SETTLE_AFTER", frozenset({2, 4}))
    response = HttpResponse("ok")
    middleware = runtime.SettleMiddleware(lambda request: response)
    answers = [middleware(HttpRequest()) for _ in range(6)]
    assert all(answer is response for answer in answers)
    assert len(calls) == 2  # after the second and the fourth request, not after the others


def test_loading_the_wsgi_application_loads_what_a_first_request_would():
    """Decision 139: the URL configuration (and with it the REST API's schemas) and the
    translation catalogs are loaded with the application, before gunicorn forks: a worker's
    first request finds them loaded."""
    code = (
        "import sys, kam.wsgi\n"
        "from django.urls import get_resolver\n"
        "from django.utils.translation import trans_real\n"
        "print('kam.urls' in sys.modules, 'kam.api.api' in sys.modules,\n"
        "      bool(get_resolver()._populated), sorted(trans_real._translations))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert out.strip() == "True True True ['en', 'ru']"
