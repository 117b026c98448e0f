"""The identification pages: scores, explanation, matrix, scoring model, nominations queue.

Each page is opened as an allowed user and as an outsider (403); bad input gets a 4xx; the query
count of every list stays flat when the number of accounts grows.
"""

import csv
import io
import re

import pytest
from django.test import override_settings
from django.urls import reverse
from python_calamine import CalamineWorkbook

from kam.customers.models import Unit
from kam.identification.models import (
    AccountScore,
    Criterion,
    ModelStatus,
    Nomination,
    ScoringModel,
    ScoringRun,
)
from kam.identification.selectors import scoring_model_active
from kam.identification.services import (
    assessment_update,
    model_activate,
    model_draft_from,
    nomination_approve,
    nomination_create,
    review_start,
    scoring_run_execute,
)
from kam.people.models import Notification
from kam.testing.factories import make_unit
from kam.testing.forms import BAD_LIST_QUERIES
from kam.testing.html import parse

pytestmark = pytest.mark.django_db

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def portfolio(sell, month, users):
    """``portfolio(n)``: n more accounts with sales, some assessed; then a scoring run."""
    made: list[Unit] = []

    def build(n: int = 4, *, run: bool = True):
        start = len(made)
        for i in range(start, start + n):
            account = make_unit(
                f"Account {i:02d}",
                industry="Steel" if i % 2 else "Food",
                country="FR" if i % 3 == 0 else "DE",
                account_manager=users["kam"],
            )
            make_unit(f"Account {i:02d} Plant", parent=account, kind="site", country="AT")
            sell(account, 1000 * (i + 1), month(2))
            if i % 2 == 0:
                assessment_update(account=account, willingness=min(10, 4 + i))
            made.append(account)
        if run:
            scoring_run_execute(model=scoring_model_active())
        return made

    return build


def _html(response) -> str:
    return response.content.decode()


# --- access --------------------------------------------------------------------------------


def _pages(account: Unit) -> list[str]:
    run = ScoringRun.objects.first()
    return [
        reverse("identification:scores"),
        reverse("identification:scores_export", args=["csv"]),
        reverse("identification:scores_export", args=["xlsx"]),
        reverse("identification:account_score", args=[account.pk]),
        reverse("identification:matrix"),
        reverse("identification:model"),
        reverse("identification:model_version", args=[1]),
        reverse("identification:nominations"),
        reverse("identification:run_status", args=[run.pk]),
    ]


def test_every_page_opens_for_an_internal_user_and_refuses_an_outsider(client_for, portfolio):
    account = portfolio(2)[0]
    for url in _pages(account):
        for role in ("field_rep", "executive"):
            response = client_for(role).get(url)
            assert response.status_code == 200, (role, url)
        response = client_for("outsider").get(url)
        assert response.status_code == 403, url
        assert account.name.encode() not in response.content


def test_anonymous_visitors_are_sent_to_log_in(client, portfolio):
    account = portfolio(1)[0]
    for url in _pages(account):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_outsiders_cannot_post_anything(client_for, portfolio, users):
    account = portfolio(1)[0]
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    c = client_for("outsider")
    for url, data in (
        (reverse("identification:run_start"), {}),
        (reverse("identification:nominate", args=[account.pk]), {"rationale": "x"}),
        (reverse("identification:nomination_step", args=[nomination.pk, "approve"]), {}),
        (reverse("identification:notifications_read"), {}),
        (reverse("identification:model_draft", args=[1]), {}),
        (reverse("identification:model_activate", args=[1]), {}),
    ):
        assert c.post(url, data).status_code == 403, url
    assert c.get(reverse("identification:model_what_if", args=[1])).status_code == 403
    assert Nomination.objects.get().status == "nominated"


def test_the_section_is_in_the_main_navigation(client_for, portfolio):
    portfolio(1)
    html = _html(client_for("specialist").get(reverse("web:portfolio")))
    assert f'href="{reverse("identification:scores")}"' in html


# --- scores --------------------------------------------------------------------------------


def test_scores_list_the_latest_run_with_a_why_link_per_row(client_for, portfolio):
    accounts = portfolio(3)
    html = _html(client_for("kam").get(reverse("identification:scores")))
    assert 'id="scores-table"' in html
    for account in accounts:
        assert account.name in html
        assert reverse("identification:account_score", args=[account.pk]) in html
    assert "Account 00 Plant" not in html  # only accounts are scored
    assert 'id="run-scoring"' not in html  # a KAM may not run scoring


def test_scores_filters_search_and_sort(client_for, portfolio):
    portfolio(6)
    c = client_for("kam")
    url = reverse("identification:scores")

    def names(params):
        html = _html(c.get(url, params))
        return [n for n in (f"Account {i:02d}" for i in range(6)) if n in html]

    assert names({"q": "account 04"}) == ["Account 04"]
    assert names({"country": "FR"}) == ["Account 00", "Account 03"]
    assert names({"industry": "Steel"}) == ["Account 01", "Account 03", "Account 05"]
    assert names({"tier": "key"}) == []
    assert names({"scope": "local"}) == [f"Account {i:02d}" for i in range(6)]
    candidates = set(
        AccountScore.objects.filter(recommendation="key_candidate").values_list(
            "account__name", flat=True
        )
    )
    assert set(names({"recommendation": "key_candidate"})) == candidates
    top = AccountScore.objects.order_by("-total").first()
    assert names({"min_score": top.total}) == [top.account.name]
    html = _html(c.get(url, {"sort": "-revenue"}))
    assert html.index("Account 05") < html.index("Account 00")
    html = _html(c.get(url, {"sort": "name"}))
    assert html.index("Account 00") < html.index("Account 05")
    assert 'aria-sort="ascending"' in html


def test_scores_paginate(client_for, portfolio):
    portfolio(27)
    c = client_for("kam")
    first = _html(c.get(reverse("identification:scores"), {"sort": "name"}))
    second = _html(c.get(reverse("identification:scores"), {"sort": "name", "page": 2}))
    assert "Account 00" in first
    assert "Account 26" not in first
    assert "Account 26" in second
    assert "Account 00" not in second


@pytest.mark.parametrize(
    "params",
    [
        *BAD_LIST_QUERIES,
        {"recommendation": "maybe"},
        {"min_score": "abc"},
        {"min_score": "200"},
        {"min_score": "nan"},
    ],
)
def test_malformed_score_parameters_get_a_400_page(client_for, portfolio, params):
    portfolio(1)
    c = client_for("kam")
    response = c.get(reverse("identification:scores"), params)
    assert response.status_code == 400
    assert b"error-message" in response.content
    if "page" not in params:
        assert (
            c.get(reverse("identification:scores_export", args=["csv"]), params).status_code == 400
        )


def test_scores_before_any_run_and_an_unknown_export_format(client_for, portfolio):
    portfolio(1, run=False)
    c = client_for("executive")
    html = _html(c.get(reverse("identification:scores")))
    assert 'id="scores-none"' in html
    assert 'id="run-scoring"' in html
    assert c.get(reverse("identification:scores_export", args=["csv"])).status_code == 400
    portfolio(1)
    assert c.get(reverse("identification:scores_export", args=["pdf"])).status_code == 404


def test_capacity_warnings_are_shown_at_the_top(client_for, portfolio, users):
    portfolio(2)
    kam = users["kam"]
    kam.capacity = 1
    kam.save()
    for i in range(2):
        make_unit(f"Key {i}", account_manager=kam, tier="key")
    html = _html(client_for("kam").get(reverse("identification:scores")))
    assert 'id="capacity-warnings"' in html
    assert "manages 2 key accounts; their capacity is 1" in html


def test_the_score_list_query_count_does_not_grow_with_accounts(
    client_for, portfolio, django_assert_max_num_queries
):
    c = client_for("executive")
    portfolio(3)
    with django_assert_max_num_queries(20) as small:
        c.get(reverse("identification:scores"))
    portfolio(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert c.get(reverse("identification:scores")).status_code == 200


@pytest.mark.parametrize(
    "page",
    ["model", "active_model", "draft_model", "run_status", "export_csv", "export_xlsx"],
)
def test_the_other_pages_query_count_does_not_grow_with_accounts(
    client_for, portfolio, django_assert_max_num_queries, page
):
    draft = model_draft_from(model=scoring_model_active())
    urls = {
        "model": reverse("identification:model"),
        "active_model": reverse("identification:model_version", args=[1]),
        "draft_model": reverse("identification:model_version", args=[draft.version]),
        "export_csv": reverse("identification:scores_export", args=["csv"]),
        "export_xlsx": reverse("identification:scores_export", args=["xlsx"]),
    }
    c = client_for("admin")

    def get():
        url = urls.get(page) or reverse(
            "identification:run_status", args=[ScoringRun.objects.first().pk]
        )
        response = c.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)

    portfolio(3)
    with django_assert_max_num_queries(20) as small:
        get()
    portfolio(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        get()


# --- export --------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_of_the_filtered_list_neutralises_formulas(client_for, portfolio, sell, month):
    portfolio(4)
    evil = make_unit('=HYPERLINK("http://x")', industry="Steel")
    sell(evil, 50, month(2))
    scoring_run_execute(model=scoring_model_active())
    response = client_for("kam").get(
        reverse("identification:scores_export", args=["csv"]), {"industry": "Steel"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:3] == ["Rank", "Account", "External id"]
    names = [r[1] for r in rows[1:]]
    assert sorted(names) == ['\'=HYPERLINK("http://x")', "Account 01", "Account 03"]
    assert all(not r[1].startswith("=") for r in rows[1:])


def test_score_exports_neutralise_tab_and_carriage_return_names(client_for, portfolio, sell, month):
    portfolio(2)
    for name in ("\tTabbed", "\rReturned"):
        sell(make_unit(name), 50, month(2))
    scoring_run_execute(model=scoring_model_active())
    c = client_for("kam")
    rows = _csv(c.get(reverse("identification:scores_export", args=["csv"])))
    book = CalamineWorkbook.from_filelike(
        io.BytesIO(c.get(reverse("identification:scores_export", args=["xlsx"])).content)
    )
    for table in (rows, book.get_sheet_by_index(0).to_python()):
        names = {r[1] for r in table[1:]}
        assert {"'\tTabbed", "'\rReturned"} <= names


def test_xlsx_export_writes_numbers_as_numbers_and_formulas_as_text(
    client_for, portfolio, sell, month
):
    portfolio(2)
    evil = make_unit("+cmd|' /C calc'!A0")
    sell(evil, 50, month(2))
    scoring_run_execute(model=scoring_model_active())
    response = client_for("kam").get(
        reverse("identification:scores_export", args=["xlsx"]), {"sort": "name"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][1] == "Account"
    assert len(rows) == 4
    by_name = {r[1]: r for r in rows[1:]}
    assert "'+cmd|' /C calc'!A0" in by_name
    assert isinstance(by_name["Account 01"][6], float)  # the score
    assert by_name["Account 01"][13] == 2000.0  # revenue


# --- scoring runs --------------------------------------------------------------------------


@override_settings(TASKS=IMMEDIATE_TASKS)
def test_run_scoring_enqueues_a_run_and_the_status_fragment_follows_it(
    client_for, portfolio, django_capture_on_commit_callbacks
):
    portfolio(3, run=False)
    c = client_for("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("identification:run_start"), **HTMX)
    assert response.status_code == 200
    html = _html(response)
    assert 'id="run-status"' in html
    run = ScoringRun.objects.get()
    assert 'hx-trigger="every 2s"' in html  # it was queued when the fragment was drawn
    run.refresh_from_db()
    assert (run.status, run.progress, run.accounts_count) == ("done", 100, 3)
    fragment = c.get(reverse("identification:run_status", args=[run.pk]) + "?reload=1", **HTMX)
    assert fragment.status_code == 200
    assert 'data-status="done"' in _html(fragment)
    assert "every 2s" not in _html(fragment)
    assert fragment["HX-Refresh"] == "true"
    html = _html(c.get(reverse("identification:scores")))
    assert "Account 02" in html
    assert 'id="run-info"' in html


@override_settings(TASKS=IMMEDIATE_TASKS)
def test_run_scoring_without_htmx_redirects_and_shows_progress(
    client_for, portfolio, django_capture_on_commit_callbacks
):
    portfolio(1, run=False)
    c = client_for("executive")
    with django_capture_on_commit_callbacks(execute=False):
        response = c.post(reverse("identification:run_start"))
    assert response.status_code == 302
    html = _html(c.get(reverse("identification:scores")))
    assert 'data-status="queued"' in html
    assert "every 2s" in html
    assert "progress-bar" in html


def test_only_scoring_managers_may_run_scoring(client_for, portfolio):
    portfolio(1, run=False)
    for role in ("kam", "sales_manager", "field_rep"):
        assert client_for(role).post(reverse("identification:run_start")).status_code == 403
    assert not ScoringRun.objects.exists()


def test_running_without_an_active_model_is_a_400(client_for, portfolio):
    portfolio(1, run=False)
    ScoringModel.objects.update(status=ModelStatus.ARCHIVED)
    c = client_for("admin")
    assert c.post(reverse("identification:run_start")).status_code == 400
    response = c.post(reverse("identification:run_start"), **HTMX)
    assert response.status_code == 400
    assert b"No scoring model is active" in response.content


def test_a_failed_run_shows_its_error(client_for, portfolio):
    portfolio(1)
    ScoringRun.objects.create(
        model=scoring_model_active(), as_of="2026-01-01", status="failed", error="Disk full"
    )
    html = _html(client_for("kam").get(reverse("identification:scores")))
    assert 'data-status="failed"' in html
    assert "Disk full" in html


def test_an_unknown_run_is_a_404(client_for, db):
    assert (
        client_for("kam").get(reverse("identification:run_status", args=[999])).status_code == 404
    )


# --- explanation ---------------------------------------------------------------------------


def test_the_explanation_shows_every_part_of_the_score(client_for, portfolio):
    account = portfolio(4)[2]
    assessment_update(
        account=account,
        wallet_estimate=50000,
        wallet_source="Purchasing director, QBR",
        wallet_confidence="high",
    )
    scoring_run_execute(model=scoring_model_active())
    score = AccountScore.objects.filter(account=account).order_by("-run_id").first()
    html = _html(
        client_for("field_rep").get(reverse("identification:account_score", args=[account.pk]))
    )
    assert f'id="score-total">{score.total:.1f}<' in html
    for key in ("potential", "complexity", "relational"):
        assert f'id="subscore-{key}"' in html
    for key in score.breakdown:
        assert f'data-criterion="{key}"' in html
    page = parse(html)
    revenue = page.find("tr", data_criterion="revenue").cells
    assert revenue[0].startswith("Current revenue")
    assert revenue[1] == "3,000"  # raw revenue of Account 02
    gaps = [
        r.cells[0]
        for r in page.find("table", id="criteria-table").find_all("tr")
        if "data gap" in r.text
    ]
    assert len(gaps) == len(score.gaps)
    # criteria with no data for any account are left out of the run, and the explanation says
    # where their weight went (decision 84); what is left is backed by data on this account
    assert "no data for any account" in page.text
    assert page.find(id="data-gaps").text == "Every criterion is backed by data."
    assert (
        page.find(id="wallet-source").text
        == "manual estimate · Purchasing director, QBR · confidence High"
    )
    assert page.find(id="wallet-value").text == "50,000 EUR"
    assert "threshold of 60.0" in html  # the rule in words
    assert "Its scope is local" in html
    assert 'id="nominate-form"' not in html  # a field rep does not nominate


def test_an_unscored_account_and_a_sub_unit(client_for, portfolio):
    account = portfolio(1, run=False)[0]
    c = client_for("kam")
    html = _html(c.get(reverse("identification:account_score", args=[account.pk])))
    assert 'id="score-none"' in html
    assert 'id="nominate-form"' in html
    plant = Unit.objects.get(name="Account 00 Plant")
    assert c.get(reverse("identification:account_score", args=[plant.pk])).status_code == 404
    assert c.get(reverse("identification:account_score", args=[999999])).status_code == 404


def test_the_explanation_query_count_does_not_grow_with_accounts(
    client_for, portfolio, users, django_assert_max_num_queries
):
    c = client_for("executive")
    account = portfolio(3)[0]
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    nomination_approve(nomination=nomination, user=users["executive"])
    url = reverse("identification:account_score", args=[account.pk])
    with django_assert_max_num_queries(25) as small:
        c.get(url)
    portfolio(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert c.get(url).status_code == 200


# --- nominations ---------------------------------------------------------------------------


def test_a_kam_nominates_with_a_rationale(client_for, portfolio, users):
    account = portfolio(2)[0]
    c = client_for("kam")
    url = reverse("identification:nominate", args=[account.pk])
    response = c.post(url, {"rationale": "   "})
    assert response.status_code == 400
    assert b"Say why the account should become a key account." in response.content
    response = c.post(url, {"rationale": "Wants a partnership"})
    assert response.status_code == 302
    nomination = Nomination.objects.get()
    assert (nomination.status, nomination.nominated_by, nomination.rationale) == (
        "nominated",
        users["kam"],
        "Wants a partnership",
    )
    html = _html(c.get(reverse("identification:account_score", args=[account.pk])))
    assert f'id="nomination-{nomination.pk}"' in html
    assert "Wants a partnership" in html
    assert 'id="nominate-form"' not in html  # already nominated
    again = c.post(url, {"rationale": "Again"})
    assert again.status_code == 400
    assert b"already been nominated" in again.content


def test_field_reps_and_specialists_cannot_nominate(client_for, portfolio):
    account = portfolio(1)[0]
    for role in ("field_rep", "specialist"):
        response = client_for(role).post(
            reverse("identification:nominate", args=[account.pk]), {"rationale": "x"}
        )
        assert response.status_code == 403
    assert not Nomination.objects.exists()


def test_an_executive_approves_a_kam_cannot(client_for, portfolio, users):
    account = portfolio(1)[0]
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    url = reverse("identification:nomination_step", args=[nomination.pk, "approve"])
    for role in ("kam", "sales_manager", "admin"):
        assert client_for(role).post(url, {}).status_code == 403
    c = client_for("executive")
    html = _html(c.get(reverse("identification:account_score", args=[account.pk])))
    assert 'data-step="approve"' in html
    assert 'data-step="reject"' in html
    response = c.post(
        url, {"reason": "Agreed", "effective_date": "2026-02-01", "scope": "national"}
    )
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.status == "key"
    assert str(nomination.review_due) == "2027-02-01"
    assert Unit.objects.get(pk=account.pk).tier == "national"
    again = c.post(url, {})
    assert again.status_code == 400
    assert b"not possible while the nomination" in again.content


@pytest.mark.parametrize(
    "data",
    [{"effective_date": "tomorrow"}, {"effective_date": "9999-12-31"}, {"scope": "galactic"}],
)
def test_bad_approval_input_is_a_400(client_for, portfolio, users, data):
    account = portfolio(1)[0]
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    url = reverse("identification:nomination_step", args=[nomination.pk, "approve"])
    response = client_for("executive").post(url, data)
    assert response.status_code == 400
    assert b'id="step-error"' in response.content
    nomination.refresh_from_db()
    assert nomination.status == "nominated"


def test_a_rejection_needs_a_reason(client_for, portfolio, users):
    account = portfolio(1)[0]
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    url = reverse("identification:nomination_step", args=[nomination.pk, "reject"])
    c = client_for("executive")
    response = c.post(url, {"reason": ""})
    assert response.status_code == 400
    assert b"Give a reason for the rejection." in response.content
    assert c.post(url, {"reason": "Too small"}).status_code == 302
    nomination.refresh_from_db()
    assert nomination.status == "rejected"


def test_review_keep_and_demote_through_the_page(client_for, portfolio, users):
    account = portfolio(1)[0]
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    nomination_approve(nomination=nomination, user=users["executive"])

    def step(role, name, **data):
        url = reverse("identification:nomination_step", args=[nomination.pk, name])
        return client_for(role).post(url, data)

    assert step("kam", "review", note="Yearly review").status_code == 302
    assert step("kam", "keep").status_code == 403
    assert step("executive", "keep", note="Still strategic").status_code == 302
    assert step("executive", "review").status_code == 302
    assert step("executive", "demote", reason="").status_code == 400
    assert step("executive", "demote", reason="Volumes collapsed").status_code == 302
    nomination.refresh_from_db()
    assert nomination.status == "demoted"
    assert Unit.objects.get(pk=account.pk).tier == "transactional"
    html = _html(client_for("kam").get(reverse("identification:account_score", args=[account.pk])))
    assert "Volumes collapsed" in html
    assert "Still strategic" in html


@pytest.mark.parametrize(
    ("role", "on_key", "on_review"),
    [
        ("executive", ["review", "demote"], ["keep", "demote"]),
        ("kam", ["review"], []),  # the account's KAM starts reviews, does not decide
        ("specialist", [], []),
    ],
)
def test_the_account_page_offers_exactly_the_steps_the_table_allows(
    client_for, portfolio, users, role, on_key, on_review
):
    account = portfolio(1)[0]
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    nomination_approve(nomination=nomination, user=users["executive"])
    page = reverse("identification:account_score", args=[account.pk])
    c = client_for(role)
    assert re.findall(r'data-step="(\w+)"', _html(c.get(page))) == on_key
    review_start(nomination=nomination, user=users["executive"])
    assert re.findall(r'data-step="(\w+)"', _html(c.get(page))) == on_review


def test_the_queue_offers_only_the_decisions_the_table_allows(client_for, portfolio, users):
    account = portfolio(1)[0]
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    nomination_approve(nomination=nomination, user=users["executive"])
    c = client_for("executive")
    queue = reverse("identification:nominations")
    # a key account was never reviewed: it can be demoted, not kept
    html = _html(c.get(queue, {"status": "key"}))
    assert re.findall(r"nominations/\d+/(\w+)/", html) == ["demote"]
    review_start(nomination=nomination, user=users["kam"])
    html = _html(c.get(queue))
    assert re.findall(r"nominations/\d+/(\w+)/", html) == ["keep", "demote"]


def test_unknown_steps_and_wrong_methods(client_for, portfolio, users):
    account = portfolio(1)[0]
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    c = client_for("executive")
    assert (
        c.post(reverse("identification:nomination_step", args=[nomination.pk, "bless"])).status_code
        == 404
    )
    assert (
        c.get(
            reverse("identification:nomination_step", args=[nomination.pk, "approve"])
        ).status_code
        == 405
    )
    assert c.get(reverse("identification:run_start")).status_code == 405
    assert (
        c.post(reverse("identification:nomination_step", args=[99999, "approve"])).status_code
        == 404
    )


def test_the_queue_shows_days_waiting_and_quick_decisions(client_for, portfolio, users):
    a, b = portfolio(2)
    first = nomination_create(account=a, user=users["kam"], rationale="Big potential")
    second = nomination_create(account=b, user=users["sales_manager"], rationale="Growing")
    Nomination.objects.filter(pk=first.pk).update(
        created_at="2020-01-01T10:00:00Z", updated_at="2020-01-01T10:00:00Z"
    )
    c = client_for("executive")
    html = _html(c.get(reverse("identification:nominations")))
    assert html.index(f'id="queue-{first.pk}"') < html.index(f'id="queue-{second.pk}"')
    assert 'data-age="0"' in html
    assert "text-danger" in html
    assert "Big potential" in html
    response = c.post(
        reverse("identification:nomination_step", args=[second.pk, "reject"]),
        {"reason": "", "origin": "queue"},
    )
    assert response.status_code == 400
    assert b'id="queue-table"' in response.content
    assert b"Give a reason for the rejection." in response.content
    response = c.post(
        reverse("identification:nomination_step", args=[first.pk, "approve"]), {"origin": "queue"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("identification:nominations")
    html = _html(c.get(reverse("identification:nominations")))
    assert f'id="queue-{first.pk}"' not in html
    kam_html = _html(client_for("kam").get(reverse("identification:nominations")))
    assert f'id="queue-{second.pk}"' in kam_html
    assert "Approve" not in kam_html
    assert (
        client_for("kam").get(reverse("identification:nominations"), {"page": "x"}).status_code
        == 400
    )


def test_notifications_are_listed_and_marked_read(client_for, portfolio, users):
    account = portfolio(1)[0]
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    c = client_for("executive")
    html = _html(c.get(reverse("identification:nominations")))
    note = Notification.objects.get(user=users["executive"])
    assert f'data-notification="{note.pk}"' in html
    assert "Account 00" in html
    link = c.get(note.link)
    assert link.status_code == 302
    assert link["Location"].endswith(
        reverse("identification:account_score", args=[account.pk]) + f"#nomination-{nomination.pk}"
    )
    assert c.post(reverse("identification:notifications_read"), {"id": "x"}).status_code == 400
    response = c.post(reverse("identification:notifications_read"), {"id": [note.pk]})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read
    assert 'id="notifications-none"' in _html(c.get(reverse("identification:nominations")))


def test_marking_all_read_touches_only_ones_own(client_for, portfolio, users):
    account = portfolio(1)[0]
    nomination_create(account=account, user=users["kam"], rationale="Potential")
    other = Notification.objects.create(user=users["kam"], text="Mine")
    c = client_for("executive")
    response = c.post(
        reverse("identification:notifications_read"), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("identification:nominations")
    assert Notification.objects.get(user=users["executive"]).read
    other.refresh_from_db()
    assert not other.read


def test_the_queue_query_count_does_not_grow_with_nominations(
    client_for, portfolio, users, django_assert_max_num_queries
):
    c = client_for("executive")
    for account in portfolio(3):
        nomination_create(account=account, user=users["kam"], rationale="Potential")
    with django_assert_max_num_queries(15) as small:
        c.get(reverse("identification:nominations"))
    for account in portfolio(20, run=False)[3:]:
        nomination_create(account=account, user=users["kam"], rationale="Potential")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert c.get(reverse("identification:nominations")).status_code == 200


# --- matrix --------------------------------------------------------------------------------


def test_the_matrix_embeds_bubbles_quadrants_and_policies(client_for, portfolio):
    accounts = portfolio(3)
    html = _html(client_for("kam").get(reverse("identification:matrix")))
    assert 'id="matrix-chart"' in html
    assert 'id="matrix-data"' in html
    assert "identification/matrix.js" in html
    assert "vendor/echarts/echarts.min.js" in html
    for account in accounts:
        assert reverse("identification:account_score", args=[account.pk]) in html
    for label in ("Strategic", "Star", "Status", "Streamline"):
        assert label in html
    assert "Invest: build a partnership or synergistic relationship." in html
    assert "Reduce the cost to serve." in html
    key_only = _html(client_for("kam").get(reverse("identification:matrix"), {"key_only": "1"}))
    assert 'id="matrix-empty"' in key_only


def test_the_matrix_draws_the_best_scored_and_counts_every_account(
    client_for, portfolio, monkeypatch
):
    """At 100k units the page draws the first MATRIX_LIMIT bubbles by rank; the quadrants
    still count every account, as the full matrix does."""
    import json

    from kam.identification import views
    from kam.identification.selectors import portfolio_matrix

    portfolio(5)
    monkeypatch.setattr(views, "MATRIX_LIMIT", 2)
    doc = parse(_html(client_for("kam").get(reverse("identification:matrix"))))
    data = json.loads(doc.find(id="matrix-data").text)
    every = portfolio_matrix()
    assert [p["id"] for p in data["points"]] == [p["account_id"] for p in every[:2]]
    assert "Showing the 2 best-scored of 5 accounts." in doc.find(id="matrix-truncated").text
    for key in ("strategic", "star", "status", "streamline"):
        expected = sum(1 for p in every if p["quadrant"] == key)
        card = doc.find(data_quadrant=key)
        assert card.find("span").text == str(expected)
    assert len(every) == 5


def test_the_matrix_before_any_run(client_for, portfolio):
    portfolio(1, run=False)
    html = _html(client_for("kam").get(reverse("identification:matrix")))
    assert 'id="matrix-none"' in html
    assert 'id="matrix-chart"' not in html


def test_the_matrix_query_count_does_not_grow_with_accounts(
    client_for, portfolio, django_assert_max_num_queries
):
    c = client_for("kam")
    portfolio(3)
    with django_assert_max_num_queries(15) as small:
        c.get(reverse("identification:matrix"))
    portfolio(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert c.get(reverse("identification:matrix")).status_code == 200


def test_russian_quadrant_labels(client_for, portfolio, users):
    portfolio(2)
    users["kam"].language = "ru"
    users["kam"].save()
    html = _html(client_for("kam").get(reverse("identification:matrix")))
    for word in ("Стратегические", "Звёзды", "Статусные", "Оптимизация"):
        assert word in html


# --- scoring model -------------------------------------------------------------------------


def test_the_model_page_shows_the_active_model_and_its_criteria(client_for, db, users):
    c = client_for("kam")
    html = _html(c.get(reverse("identification:model")))
    model = scoring_model_active()
    assert model.name in html
    assert 'id="criteria-table"' in html
    for criterion in model.criteria.all():
        assert f'data-criterion="{criterion.key}"' in html
    assert 'id="create-draft"' not in html
    assert 'id="create-draft"' in _html(client_for("admin").get(reverse("identification:model")))
    assert c.get(reverse("identification:model_version", args=[999])).status_code == 404


def test_a_manager_drafts_edits_previews_and_activates_a_model(client_for, portfolio):
    portfolio(4)
    c = client_for("admin")
    assert c.post(reverse("identification:model_draft", args=[1])).status_code == 302
    draft = ScoringModel.objects.get(status="draft")
    kam = client_for("kam")
    assert kam.post(reverse("identification:model_draft", args=[1])).status_code == 403
    c = client_for("executive")
    page = c.get(reverse("identification:model_version", args=[draft.version]))
    assert page.status_code == 200
    assert b'id="model-form"' in page.content
    form = page.context["formset"]
    data = {
        "criteria-TOTAL_FORMS": str(form.total_form_count()),
        "criteria-INITIAL_FORMS": str(form.initial_form_count()),
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
    }
    for i, f in enumerate(form.forms):
        c_ = f.instance
        data |= {
            f"criteria-{i}-id": str(c_.pk),
            f"criteria-{i}-weight": str(c_.weight),
            f"criteria-{i}-normalisation": c_.normalisation,
            f"criteria-{i}-cap": "" if c_.cap is None else str(c_.cap),
        }
    settings = page.context["settings_form"]
    for name in settings.fields:
        value = settings[name].value()
        data[name] = "" if value is None else str(value)
    data |= {"min_score": "0", "min_potential": "0", "min_willingness": "0", "name": "Looser"}
    revenue = next(i for i, f in enumerate(form.forms) if f.instance.key == "revenue")
    data[f"criteria-{revenue}-weight"] = "30"
    url = reverse("identification:model_version", args=[draft.version])
    assert c.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert (draft.name, draft.min_score) == ("Looser", 0)
    assert Criterion.objects.get(model=draft, key="revenue").weight == 30

    bad = {**data, f"criteria-{revenue}-weight": "-1", "min_score": "10"}
    response = c.post(url, bad)
    assert response.status_code == 400
    assert b"form-error" in response.content
    draft.refresh_from_db()
    assert draft.min_score == 0  # nothing saved
    no_cap = {**data, f"criteria-{revenue}-normalisation": "capped_linear"}
    assert c.post(url, no_cap).status_code == 400
    assert c.post(url, {"name": "x"}).status_code == 400  # no management form

    what_if_url = reverse("identification:model_what_if", args=[draft.version])
    assert client_for("kam").get(what_if_url).status_code == 403
    c = client_for("executive")
    preview = c.get(what_if_url, **HTMX)
    assert preview.status_code == 200
    html = _html(preview)
    assert 'id="what-if-entering"' in html
    assert "Account 00" in html
    assert "<html" not in html  # a fragment
    assert "<html" in _html(c.get(what_if_url))  # a page without htmx

    activate_url = reverse("identification:model_activate", args=[draft.version])
    assert client_for("kam").post(activate_url).status_code == 403
    c = client_for("executive")
    assert c.post(activate_url).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "active"
    assert ScoringModel.objects.get(version=1).status == "archived"
    # the active model is no longer editable
    response = c.post(url, data)
    assert response.status_code == 400
    assert b"Only a draft model can be changed" in response.content
    assert c.post(reverse("identification:model_activate", args=[1])).status_code == 400


def test_a_draft_without_weight_cannot_be_activated(client_for, db, users):
    draft = model_draft_from(model=scoring_model_active())
    Criterion.objects.filter(model=draft).update(weight=0)
    response = client_for("admin").post(
        reverse("identification:model_activate", args=[draft.version])
    )
    assert response.status_code == 400
    assert b"at least one criterion with a positive weight" in response.content


def test_a_notification_link_leads_to_the_nomination_and_outsiders_are_refused(
    client_for, portfolio, users
):
    account = portfolio(1)[0]
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    url = reverse("identification:nomination", args=[nomination.pk])
    response = client_for("field_rep").get(url)
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("identification:account_score", args=[account.pk]) + f"#nomination-{nomination.pk}"
    )
    assert client_for("outsider").get(url).status_code == 403
    assert (
        client_for("executive").get(reverse("identification:nomination", args=[987654])).status_code
        == 404
    )


def _draft_form_data(page) -> dict:
    """Everything the draft edit page posts, as it shows it."""
    formset = page.context["formset"]
    data = {
        "criteria-TOTAL_FORMS": str(formset.total_form_count()),
        "criteria-INITIAL_FORMS": str(formset.initial_form_count()),
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
    }
    for i, f in enumerate(formset.forms):
        data |= {
            f"criteria-{i}-id": str(f.instance.pk),
            f"criteria-{i}-weight": str(f.instance.weight),
            f"criteria-{i}-normalisation": f.instance.normalisation,
            f"criteria-{i}-cap": "" if f.instance.cap is None else str(f.instance.cap),
        }
    settings = page.context["settings_form"]
    for name in settings.fields:
        value = settings[name].value()
        data[name] = "" if value is None else str(value)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"matrix_stage_weight": "0.3"}, "The three matrix weights must add up to 1"),
        ({"matrix_share_weight": "-0.1", "matrix_stage_weight": "0.8"}, "greater than or equal"),
        ({"matrix_axis_min": "3", "matrix_axis_max": "1"}, "from a positive number to a larger"),
        ({"matrix_strength_cutoff": "5"}, "must lie on the axis"),
        ({"review_months": "0"}, "greater than or equal to 1"),
        ({"review_months": "61"}, "less than or equal to 60"),
    ],
)
def test_the_draft_page_refuses_bad_matrix_and_review_settings(client_for, db, change, message):
    draft = model_draft_from(model=scoring_model_active())
    c = client_for("executive")
    url = reverse("identification:model_version", args=[draft.version])
    data = _draft_form_data(c.get(url))
    response = c.post(url, {**data, **change})
    assert response.status_code == 400
    assert message in _html(response)
    draft.refresh_from_db()
    assert (draft.matrix_stage_weight, draft.review_months) == (0.2, 12)  # nothing saved


def test_the_draft_page_stores_matrix_and_review_settings(client_for, db):
    draft = model_draft_from(model=scoring_model_active())
    c = client_for("executive")
    url = reverse("identification:model_version", args=[draft.version])
    data = _draft_form_data(c.get(url))
    assert (data["matrix_share_weight"], data["review_months"]) == ("0.5", "12")  # the defaults
    change = {
        "matrix_share_weight": "0.6",
        "matrix_position_weight": "0.4",
        "matrix_stage_weight": "0",
        "matrix_attractiveness_cutoff": "6",
        "matrix_axis_min": "0.25",
        "matrix_axis_max": "4",
        "review_months": "6",
    }
    assert c.post(url, {**data, **change}).status_code == 302
    draft.refresh_from_db()
    assert (draft.matrix_share_weight, draft.matrix_stage_weight) == (0.6, 0.0)
    assert (draft.matrix_axis_min, draft.matrix_axis_max, draft.review_months) == (0.25, 4.0, 6)
    model_activate(model=draft)
    assert "0.25–4" in _html(c.get(reverse("identification:model")))  # shown with the thresholds


def test_the_queue_names_the_account_manager_when_approving(client_for, users):
    account = make_unit("Solo Werke")
    assert account.account_manager_id is None
    nomination = nomination_create(account=account, user=users["kam"], rationale="Potential")
    c = client_for("executive")
    page = parse(_html(c.get(reverse("identification:nominations"))))
    select = page.find("select", id=f"queue-manager-{nomination.pk}")
    assert "required" in select.attrs  # the account has no manager: one must be chosen
    assert str(users["kam"].pk) in [o.attrs.get("value") for o in select.find_all("option")]
    step = reverse("identification:nomination_step", args=[nomination.pk, "approve"])
    assert c.post(step, {"origin": "queue"}).status_code == 400  # no manager named
    response = c.post(step, {"origin": "queue", "account_manager": users["kam"].pk})
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.tier, account.account_manager_id) == ("key", users["kam"].pk)
