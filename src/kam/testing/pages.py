"""The pages and API lists that the page benchmark (bench/pages.py) times and that
test_query_bounds checks for a query count that does not grow with the data.

A new page is one line in ``PAGES``: a name, a URL builder (a function of ``Ids``, the ids of
believable objects found once per run), the persona (a demo login of kam.demo.build), and the
target p95 in milliseconds (150 for lists and profiles, 300 for the named analytic pages).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

LIST, ANALYTIC = 150, 300  # target p95, ms


@dataclass(frozen=True)
class Ids:
    """Ids of believable objects of the build, found once per run (``find_ids``)."""

    account: int  # the key account with the most units (the heaviest profile)
    kam_account: int  # an account of the demo KAM
    unit: int  # a unit deep in the large account's tree
    job: int | None
    nomination: int | None
    plan: int | None = None  # the current plan of the demo KAM's account
    kam_user: int | None = None  # the demo KAM (their links across accounts)
    rep_user: int | None = None  # the demo field rep (their week)
    # the field rep with units below one of theirs whose units have the fewest interactions
    # (a database that looks for a rep's latest among all interactions by date reads them all
    # for this one, decision 142)
    quiet_rep: str | None = None


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[Ids], str | None]  # None: nothing to show in this build (reported as skipped)
    user: str | Callable[[Ids], str | None]  # a demo login (kam.demo.build.DEMO_LOGINS)
    target_ms: int

    def login(self, ids: Ids) -> str | None:
        """The username the page is visited as (None: no such person in this build)."""
        return self.user(ids) if callable(self.user) else self.user


# One line per page / API list. The other parts add theirs here.
PAGES: list[Page] = [
    Page("portfolio", lambda i: "/accounts/", "kam", LIST),
    Page("portfolio-all", lambda i: "/accounts/?sort=name", "executive", LIST),
    Page("portfolio-search", lambda i: "/accounts/?q=e", "executive", LIST),
    Page("account", lambda i: f"/accounts/{i.account}/", "executive", LIST),
    Page("account-kam", lambda i: f"/accounts/{i.kam_account}/", "kam", LIST),
    Page("account-history", lambda i: f"/accounts/{i.account}/history/", "executive", LIST),
    Page(
        "account-transactions", lambda i: f"/accounts/{i.account}/transactions/", "executive", LIST
    ),
    # the parts the account page loads after it (htmx): its relationships panel, opportunities
    Page(
        "account-relationships-panel",
        lambda i: f"/relationships/accounts/{i.account}/panel/",
        "executive",
        LIST,
    ),
    Page(
        "account-opportunities",
        lambda i: f"/accounts/{i.account}/opportunities/",
        "executive",
        LIST,
    ),
    Page("scores", lambda i: "/identification/", "executive", ANALYTIC),
    Page("account-score", lambda i: f"/identification/accounts/{i.account}/", "executive", LIST),
    Page("matrix", lambda i: "/identification/matrix/", "executive", ANALYTIC),
    Page("nominations", lambda i: "/identification/nominations/", "executive", LIST),
    Page("jobs", lambda i: "/data/", "admin", LIST),
    Page("export-log", lambda i: "/data/export/log/", "admin", LIST),
    Page("api-units", lambda i: "/api/v1/units?limit=100", "executive", LIST),
    Page("api-units-children", lambda i: f"/api/v1/units?parent={i.account}", "executive", LIST),
    Page("api-contacts", lambda i: "/api/v1/contacts?limit=100", "executive", LIST),
    Page("api-employments", lambda i: "/api/v1/employments?limit=100", "executive", LIST),
    Page("api-interactions", lambda i: "/api/v1/interactions?limit=100", "executive", LIST),
    Page("api-opportunities", lambda i: "/api/v1/opportunities?limit=100", "executive", LIST),
    Page("api-scores", lambda i: "/api/v1/identification/scores?limit=100", "executive", LIST),
    Page("api-nominations", lambda i: "/api/v1/identification/nominations", "executive", LIST),
    # account plans, My accounts, the buying centre and teams (issues 12–14)
    Page("my-accounts", lambda i: "/my-accounts/", "kam", LIST),
    Page("notifications", lambda i: "/notifications/", "kam", LIST),
    Page("account-goals", lambda i: f"/accounts/{i.kam_account}/goals/", "kam", LIST),
    Page("plans", lambda i: "/plans/", "executive", LIST),
    Page("plan-actions", lambda i: "/plans/actions/", "kam", LIST),
    Page("plan", lambda i: f"/plans/{i.plan}/" if i.plan else None, "kam", ANALYTIC),
    Page("plan-diff", lambda i: f"/plans/{i.plan}/diff/" if i.plan else None, "kam", ANALYTIC),
    Page(
        "white-space",
        lambda i: f"/planning/accounts/{i.account}/white-space/",
        "executive",
        ANALYTIC,
    ),
    Page("buying-centre", lambda i: f"/relationships/accounts/{i.account}/", "executive", LIST),
    Page(
        "relationship-map-data",
        lambda i: f"/relationships/accounts/{i.account}/map/data/",
        "executive",
        ANALYTIC,
    ),
    Page(
        "coverage",
        lambda i: f"/relationships/accounts/{i.account}/coverage/",
        "executive",
        ANALYTIC,
    ),
    Page("team", lambda i: f"/teams/accounts/{i.account}/team/", "executive", LIST),
    Page("workload", lambda i: "/teams/workload/", "executive", ANALYTIC),
    Page("requests", lambda i: "/teams/requests/", "executive", LIST),
    Page("account-feed", lambda i: f"/teams/accounts/{i.kam_account}/feed/", "kam", LIST),
    Page("my-feed", lambda i: "/teams/feed/", "kam", LIST),
    Page("territories", lambda i: "/territories/", "admin", LIST),
    Page("currency-rates", lambda i: "/currency-rates/", "admin", LIST),
    Page("api-plans", lambda i: "/api/v1/plans", "executive", LIST),
    Page("api-plan", lambda i: f"/api/v1/plans/{i.plan}" if i.plan else None, "kam", LIST),
    Page(
        "api-roles",
        lambda i: f"/api/v1/relationships/accounts/{i.account}/roles",
        "executive",
        LIST,
    ),
    Page(
        "api-gaps",
        lambda i: f"/api/v1/relationships/accounts/{i.account}/gaps",
        "executive",
        LIST,
    ),
    Page(
        "api-relationship-metrics",
        lambda i: f"/api/v1/relationships/accounts/{i.account}/metrics",
        "executive",
        ANALYTIC,
    ),
    Page("api-team", lambda i: f"/api/v1/accounts/{i.account}/team", "executive", LIST),
    Page("api-feed", lambda i: f"/api/v1/accounts/{i.kam_account}/feed", "kam", LIST),
    Page("api-workload", lambda i: "/api/v1/workload", "executive", ANALYTIC),
    # alerts, the inbox and the two modes (issue 16)
    Page("alerts", lambda i: "/alerts/", "kam", LIST),
    Page("account-alerts", lambda i: f"/alerts/accounts/{i.kam_account}/", "kam", LIST),
    Page("inbox", lambda i: "/my-accounts/inbox/", "kam", ANALYTIC),
    Page("sales-view", lambda i: f"/accounts/{i.account}/sales-view/", "executive", LIST),
    Page("modes", lambda i: "/modes/", "executive", ANALYTIC),
    Page("api-alerts", lambda i: "/api/v1/alerts", "kam", LIST),
    Page("api-modes", lambda i: "/api/v1/modes", "executive", ANALYTIC),
    Page("api-sales-view", lambda i: f"/api/v1/modes/accounts/{i.account}", "executive", LIST),
    Page("visit-new", lambda i: f"/field/accounts/{i.kam_account}/visits/new/", "kam", LIST),
    Page("backtest-form", lambda i: "/identification/backtest/", "executive", LIST),
    # the KAM programme: conditions, campaigns, risks (issue 17)
    Page("programme", lambda i: "/programme/", "executive", ANALYTIC),
    Page(
        "programme-indicator",
        lambda i: "/programme/indicators/sponsor_share/",
        "executive",
        ANALYTIC,
    ),
    Page("programme-risk", lambda i: "/programme/risks/dependence/", "executive", ANALYTIC),
    Page("campaigns", lambda i: "/programme/campaigns/", "executive", LIST),
    Page(
        "api-programme-conditions", lambda i: "/api/v1/programme/conditions", "executive", ANALYTIC
    ),
    Page("api-programme-risks", lambda i: "/api/v1/programme/risks", "executive", ANALYTIC),
    Page("api-campaigns", lambda i: "/api/v1/programme/campaigns", "executive", LIST),
    # the executive dashboard (issue 17): the kept snapshot, its lists and its API
    Page("dashboard", lambda i: "/dashboard/", "executive", ANALYTIC),
    Page("dashboard-accounts", lambda i: "/dashboard/accounts/stage-none/", "executive", LIST),
    Page("api-dashboard", lambda i: "/api/v1/programme/dashboard", "executive", ANALYTIC),
    # relationship health (issue 16)
    Page("health", lambda i: "/health/", "executive", ANALYTIC),
    Page("account-health", lambda i: f"/health/accounts/{i.account}/", "executive", ANALYTIC),
    Page("health-profiles", lambda i: "/health/profiles/", "executive", LIST),
    Page("api-health", lambda i: "/api/v1/health", "executive", LIST),
    Page(
        "api-account-health-history",
        lambda i: f"/api/v1/health/accounts/{i.account}/history",
        "executive",
        LIST,
    ),
    # field work (issue 15): the rep's phone pages, the KAM's field view, indicators
    Page("field-mine", lambda i: "/field/mine/", "rep", LIST),
    Page(
        "field-mine-quiet",
        lambda i: "/field/mine/" if i.quiet_rep else None,
        lambda i: i.quiet_rep,
        LIST,
    ),
    Page("field-log", lambda i: "/field/log/", "rep", LIST),
    Page(
        "field-week",
        lambda i: f"/field/reps/{i.rep_user}/week/" if i.rep_user else None,
        "rep",
        LIST,
    ),
    Page("field-assignments", lambda i: "/field/assignments/", "manager", LIST),
    Page("field-account", lambda i: f"/field/accounts/{i.kam_account}/", "kam", LIST),
    Page("field-indicators", lambda i: "/field/indicators/", "executive", ANALYTIC),
    Page("api-field-units", lambda i: "/api/v1/field/units", "manager", LIST),
    Page("api-field-visits", lambda i: "/api/v1/field/visits", "rep", LIST),
    Page("api-field-indicators", lambda i: "/api/v1/field/indicators", "executive", ANALYTIC),
    # capturing interactions from files (issue 15)
    Page("capture", lambda i: "/interactions/capture/", "kam", LIST),
    Page("statements", lambda i: "/programme/statements/", "executive", LIST),
    Page(
        "user-links",
        lambda i: f"/relationships/people/{i.kam_user}/links/" if i.kam_user else None,
        "executive",
        LIST,
    ),
    Page("api-my-feed", lambda i: "/api/v1/feed", "kam", LIST),
    Page("api-without-sponsor", lambda i: "/api/v1/accounts-without-sponsor", "executive", LIST),
    Page(
        "api-user-links",
        lambda i: f"/api/v1/relationships/people/{i.kam_user}/links" if i.kam_user else None,
        "executive",
        LIST,
    ),
    Page("api-currency-rates", lambda i: "/api/v1/currency-rates", "admin", LIST),
    # costs to serve and list prices (issue 17: service creep and buyer power judged from data)
    Page("account-costs", lambda i: f"/accounts/{i.account}/costs-to-serve/", "executive", LIST),
    Page("account-costs-kam", lambda i: f"/accounts/{i.kam_account}/costs-to-serve/", "kam", LIST),
    Page("price-list", lambda i: "/price-list/", "admin", LIST),
    Page(
        "api-costs-to-serve",
        lambda i: f"/api/v1/costs-to-serve?account={i.account}",
        "executive",
        LIST,
    ),
    Page("api-list-prices", lambda i: "/api/v1/list-prices", "executive", LIST),
]


def find_ids() -> Ids:
    from django.db.models import Count

    from kam.customers.models import Unit, subtree_q
    from kam.dataio.models import ImportJob
    from kam.field.models import FieldAssignment
    from kam.identification.models import Nomination
    from kam.people.models import User
    from kam.planning.models import AccountPlan

    accounts = Unit.objects.accounts()
    largest = (
        accounts.filter(tier="key").order_by("-numchild", "pk").first()
        or accounts.order_by("-numchild", "pk").first()
    )
    if largest is None:
        raise SystemExit("the database holds no accounts: build the demo first")
    kam_account = accounts.filter(account_manager__username="kam").order_by("pk").first() or largest
    deep = Unit.objects.filter(subtree_q(largest)).order_by("-depth", "pk").first()
    job = ImportJob.objects.order_by("-pk").first()
    nomination = Nomination.objects.order_by("-pk").first()
    plan = AccountPlan.objects.filter(account=kam_account).order_by("-pk").first()
    kam_user = User.objects.filter(username="kam").values_list("pk", flat=True).first()
    rep_user = User.objects.filter(username="rep").values_list("pk", flat=True).first()
    current = FieldAssignment.objects.filter(end__isnull=True, rep__is_active=True)
    quiet_rep = (
        current.filter(rep__in=current.filter(unit__numchild__gt=0).values("rep"))
        .values("rep__username")
        .annotate(n=Count("unit__interactions"))
        .filter(n__gt=0)
        .order_by("n", "rep__username")
        .values_list("rep__username", flat=True)
        .first()
    )
    return Ids(
        account=largest.pk,
        kam_account=kam_account.pk,
        unit=(deep or largest).pk,
        job=job.pk if job else None,
        nomination=nomination.pk if nomination else None,
        plan=plan.pk if plan else None,
        kam_user=kam_user,
        rep_user=rep_user,
        quiet_rep=quiet_rep,
    )
