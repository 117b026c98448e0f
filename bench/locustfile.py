"""The load test's users (bench/load.py runs this file with locust, headless).

Every simulated user is a real person of the demo build, already signed in: ``bench/load.py``
prepares one session per simulated user (a real session row) and writes the personas to the
JSON file named by ``KAM_LOAD_PERSONAS``. A user waits 2–8 s between two requests (5 s on
average) and picks what to do by role, with the weights below: what key account managers,
executives, sales managers and field reps do in a working day.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from http.cookiejar import Cookie
from typing import Any
from urllib.parse import urlsplit

from locust import FastHttpUser, between, constant, task

with open(os.environ["KAM_LOAD_PERSONAS"], encoding="utf-8") as _fh:
    _PREPARED = json.load(_fh)
PERSONAS: list[dict[str, Any]] = _PREPARED["personas"]
# non-key accounts that nobody has nominated: each is nominated once, across all users and runs
# (bench/load.py numbers its runs: each run of locust takes its own share of the candidates, or
# a later run would nominate again the accounts an earlier one did, and get a 400)
_PART, _PARTS = int(os.environ.get("KAM_LOAD_PART", "0")), 16
CANDIDATES: list[int] = list(_PREPARED["candidates"])[_PART % _PARTS :: _PARTS]
random.Random(1).shuffle(CANDIDATES)
_next = itertools.count()
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# what each role does, and how often (weights within the role)
MIX: dict[str, list[tuple[str, int]]] = {
    "kam": [
        ("my_accounts", 16),
        ("account", 16),
        ("plan", 9),
        ("map", 5),
        ("map_data", 5),
        ("account_feed", 6),
        ("inbox", 6),
        ("portfolio", 8),
        ("api_units", 4),
        ("api_interactions", 4),
        ("api_plans", 3),
        ("log_interaction", 8),
    ],
    "executive": [
        ("portfolio", 18),
        ("dashboard", 18),
        ("account", 16),
        ("plan", 6),
        ("map", 4),
        ("map_data", 4),
        ("api_units", 6),
        ("api_interactions", 4),
        ("api_plans", 4),
        ("nominate", 1),
    ],
    "sales_manager": [
        ("portfolio", 25),
        ("account", 25),
        ("my_feed", 5),
        ("api_units", 10),
    ],
    "field_rep": [
        ("field_mine", 30),
        ("field_log_form", 10),
        ("log_interaction", 25),
        ("my_feed", 15),
        ("account", 10),
    ],
}


def _session_cookie(host: str, value: str) -> Cookie:
    """The user's signed-in session, as the server's cookie for ``host``."""
    domain = urlsplit(host).hostname or ""
    return Cookie(
        0, "sessionid", value, None, False, domain, False, False, "/", True, False, None, False,
        None, None, {},
    )  # fmt: skip


class Person(FastHttpUser):
    # FastHttpUser (geventhttpclient), not HttpUser (requests): the load generator shares the
    # two cores with the server, and requests' client spent about 5 ms of CPU per request

    # KAM_LOAD_WAIT: a fixed wait instead (the one-user baseline of bench/load.py)
    wait_time = (
        constant(float(os.environ["KAM_LOAD_WAIT"]))
        if os.environ.get("KAM_LOAD_WAIT")
        else between(2, 8)
    )

    def on_start(self) -> None:
        self.me = PERSONAS[next(_next) % len(PERSONAS)]
        self.client.cookiejar.set_cookie(_session_cookie(self.host, self.me["session"]))
        self.names = [n for n, _w in MIX[self.me["role"]]]
        self.weights = [w for _n, w in MIX[self.me["role"]]]
        self.rng = random.Random(self.me["session"])

    def _account(self) -> int:
        return self.rng.choice(self.me["accounts"])

    def _get(self, url: str, name: str) -> Any:
        return self.client.get(url, name=name)

    @task
    def act(self) -> None:
        getattr(self, "do_" + self.rng.choices(self.names, self.weights)[0])()

    # --- pages ---------------------------------------------------------------------------------

    def do_my_accounts(self) -> None:
        self._get("/my-accounts/", "my accounts")

    def do_portfolio(self) -> None:
        self._get("/accounts/", "portfolio")

    def do_dashboard(self) -> None:
        self._get("/dashboard/", "dashboard")

    def do_account(self) -> None:
        self._get(f"/accounts/{self._account()}/", "account")

    def do_plan(self) -> None:
        plans = self.me["plans"]
        if plans:
            self._get(f"/plans/{self.rng.choice(plans)}/", "plan")
        else:
            self.do_account()

    def do_map(self) -> None:
        self._get(f"/relationships/accounts/{self._account()}/map/", "map")

    def do_map_data(self) -> None:
        self._get(f"/relationships/accounts/{self._account()}/map/data/", "map data")

    def do_account_feed(self) -> None:
        self._get(f"/teams/accounts/{self._account()}/feed/", "account feed")

    def do_my_feed(self) -> None:
        self._get("/teams/feed/", "my feed")

    def do_inbox(self) -> None:
        self._get("/my-accounts/inbox/", "inbox")

    def do_field_mine(self) -> None:
        self._get("/field/mine/", "field: my visits")

    def do_field_log_form(self) -> None:
        self._get("/field/log/", "field: log form")

    def do_api_units(self) -> None:
        self._get("/api/v1/units?limit=100", "API units")

    def do_api_interactions(self) -> None:
        self._get("/api/v1/interactions?limit=100", "API interactions")

    def do_api_plans(self) -> None:
        self._get("/api/v1/plans", "API plans")

    # --- writes --------------------------------------------------------------------------------

    def _token(self, url: str, name: str) -> str | None:
        page = self._get(url, name)
        found = CSRF.search(page.text or "")
        return found.group(1) if found else None

    def do_log_interaction(self) -> None:
        """Log a visit or call from the phone form (a field rep) or on an account unit (a KAM)."""
        units = self.me["units"]
        if not units:
            self.do_account()
            return
        unit = self.rng.choice(units)
        token = self._token(f"/field/log/?unit={unit}", "field: log form")
        if token is None:
            return
        self.client.post(
            "/field/log/",
            name="field: log an interaction (POST)",
            data={
                "csrfmiddlewaretoken": token,
                "unit": unit,
                "type": self.rng.choice(["visit", "call", "meeting"]),
                "summary": "Load test: checked stock and talked about next quarter's order",
                "outcome": "Agreed to send the revised offer",
            },
            headers={"Referer": self.host + "/field/log/"},
        )

    def do_nominate(self) -> None:
        """Nominate a non-key account (each is nominated once across all users)."""
        if not CANDIDATES:
            self.do_portfolio()
            return
        account = CANDIDATES.pop()
        page = f"/identification/accounts/{account}/"
        token = self._token(page, "account score")
        if token is None:
            return
        self.client.post(
            page + "nominate/",
            name="nominate (POST)",
            data={
                "csrfmiddlewaretoken": token,
                "rationale": "Load test: strong growth and a wide buying centre",
            },
            headers={"Referer": self.host + page},
        )
