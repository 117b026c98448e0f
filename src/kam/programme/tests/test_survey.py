"""Survey scoring, the anonymity threshold, group gaps, condition-score arithmetic and the
recommended actions (DOMAIN §10)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kam.core.errors import DomainError
from kam.programme import selectors, services
from kam.programme.models import Campaign, ProgrammeSettings, Response, Statement
from kam.programme.selectors import combine, condition_scores, scale, survey

from .helpers import AS_OF, answer_all, campaign, key, people

pytestmark = pytest.mark.django_db


def test_default_statements_cover_every_condition_in_english_and_russian() -> None:
    rows = list(Statement.objects.filter(active=True))
    assert {s.condition for s in rows} == {1, 2, 3, 4, 5, 6}
    assert all(s.text_en and s.text_ru for s in rows)
    assert rows[0].text("ru") == rows[0].text_ru and rows[0].text("en") == rows[0].text_en


def test_scale_maps_one_to_five_onto_zero_to_hundred() -> None:
    assert scale(1) == 0 and scale(5) == 100 and scale(3) == 50 and scale(None) is None


def test_survey_score_is_the_mean_answer_scaled() -> None:
    c = campaign()
    kams = people("kam", 3)
    for user, value in zip(kams, (5, 4, 3), strict=True):
        answer_all(c, user, value)
    result = survey(campaign=c)
    assert result.respondents == 3 and result.shown
    assert result.scores[1] == 75.0  # mean 4 on 1–5


def test_a_group_below_the_minimum_size_stays_hidden() -> None:
    c = campaign()
    for user in people("kam", 3):
        answer_all(c, user, 4)
    for user in people("field_rep", 2):
        answer_all(c, user, 1)
    result = survey(campaign=c)
    groups = {g.group: g for g in result.groups}
    assert groups["kam"].shown and groups["kam"].scores[3] == 75.0
    assert not groups["field_rep"].shown and groups["field_rep"].scores == {}
    assert groups["field_rep"].respondents == 2
    # the overall score counts every answer once the campaign has enough respondents
    assert result.scores[3] == pytest.approx(scale((4 * 3 + 1 * 2) / 5))


def test_too_few_respondents_hide_the_overall_results() -> None:
    c = campaign()
    for user in people("kam", 2):
        answer_all(c, user, 4)
    result = survey(campaign=c)
    assert not result.shown and all(v is None for v in result.scores.values())


def test_the_minimum_group_size_is_stored_configuration() -> None:
    ProgrammeSettings.objects.create(min_group_size=1)
    c = campaign()
    answer_all(c, people("field_rep", 1)[0], 2)
    result = survey(campaign=c)
    assert result.shown and {g.group: g.shown for g in result.groups}["field_rep"]


def test_gaps_between_groups_are_flagged_from_20_points() -> None:
    c = campaign()
    for user in people("executive", 3):
        answer_all(c, user, 5)
    for user in people("field_rep", 3):
        answer_all(c, user, 2, condition=3)
        answer_all(c, user, 5, condition=1)
    answer_all(c, people("executive", 1, prefix="late")[0], 5)
    result = survey(campaign=c)
    gaps = {g.condition: g for g in result.gaps}
    assert gaps[3].flagged and gaps[3].gap == 75.0
    assert gaps[3].high == "executive" and gaps[3].low == "field_rep"
    assert gaps[1].gap == 0 and not gaps[1].flagged


def test_condition_score_is_the_mean_or_the_one_there_is() -> None:
    assert combine(80.0, 40.0) == (60.0, "both")
    assert combine(None, 40.0) == (40.0, "indicators")
    assert combine(80.0, None) == (80.0, "survey")
    assert combine(None, None) == (None, "none")


def test_condition_scores_combine_survey_and_indicators() -> None:
    key("A corp")
    key("C corp")
    c = campaign()
    for user in people("kam", 3):
        answer_all(c, user, 5)
    scores = {s.condition: s for s in condition_scores(as_of=AS_OF, campaign=c)}
    two = scores[2]
    # condition 2: sponsor share 0 and sponsor interactions 0 -> indicators 0; survey 100
    assert two.indicator == 0.0 and two.survey == 100.0 and two.score == 50.0
    assert two.basis == "both" and two.weak


def test_recommended_actions_follow_from_the_weakest_indicator() -> None:
    key("A corp")
    key("C corp")
    scores = condition_scores(as_of=AS_OF)
    two = next(s for s in scores if s.condition == 2)
    texts = [r.text for r in two.recommendations]
    assert texts[0] == "2 key accounts have no executive sponsor: assign one."
    recs = selectors.recommendations(scores)
    assert [r.score for r in recs] == sorted(r.score for r in recs)
    assert recs[0].score == min(
        i.score for s in scores if s.weak for i in s.indicators if i.score is not None
    )


def test_an_executive_opens_a_campaign_and_respondents_are_notified(users: dict[str, Any]) -> None:
    c = services.campaign_open(
        actor=users["executive"],
        name="Q4",
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        groups=["field_rep", "kam"],
    )
    assert c.statements.count() == 12
    assert set(users["field_rep"].notifications.values_list("link", flat=True)) == {
        f"/programme/campaigns/{c.pk}/answer/"
    }
    assert not users["specialist"].notifications.exists()


@pytest.mark.parametrize("who", ["kam", "admin", "field_rep"])
def test_only_executives_open_campaigns(users: dict[str, Any], who: str) -> None:
    with pytest.raises(DomainError):
        services.campaign_open(
            actor=users[who],
            name="Q4",
            period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 11, 30),
            groups=["kam"],
        )
    assert not Campaign.objects.exists()


def test_bad_campaign_input_is_refused(users: dict[str, Any]) -> None:
    common = {"actor": users["executive"], "name": "Q4", "groups": ["kam"]}
    with pytest.raises(DomainError, match="ends before"):
        services.campaign_open(
            period_start=dt.date(2026, 11, 30), period_end=dt.date(2026, 11, 1), **common
        )
    with pytest.raises(DomainError, match="Unknown respondent group"):
        services.campaign_open(
            **{**common, "groups": ["specialist"]},
            period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 11, 30),
        )


def test_answers_are_checked_before_anything_is_written(users: dict[str, Any]) -> None:
    c = campaign()
    first = c.statements.first()
    assert first is not None
    with pytest.raises(DomainError):
        services.responses_submit(
            campaign=c, respondent=users["kam"], answers={first.pk: (4, ""), 999999: (3, "")}
        )
    with pytest.raises(DomainError):
        services.responses_submit(campaign=c, respondent=users["kam"], answers={first.pk: (6, "")})
    assert not Response.objects.exists()
    assert (
        services.responses_submit(
            campaign=c, respondent=users["kam"], answers={first.pk: (4, "fine")}
        )
        == 1
    )
    services.responses_submit(campaign=c, respondent=users["kam"], answers={first.pk: (2, "")})
    assert Response.objects.get().answer == 2
    services.responses_submit(campaign=c, respondent=users["kam"], answers={first.pk: (None, "")})
    assert not Response.objects.exists()


def test_a_group_not_asked_and_a_closed_campaign_refuse_answers(users: dict[str, Any]) -> None:
    c = campaign(groups=["kam"])
    first = c.statements.first()
    assert first is not None
    with pytest.raises(DomainError):
        services.responses_submit(
            campaign=c, respondent=users["field_rep"], answers={first.pk: (4, "")}
        )
    services.campaign_close(campaign=c, actor=users["executive"])
    with pytest.raises(DomainError):
        services.responses_submit(campaign=c, respondent=users["kam"], answers={first.pk: (4, "")})


def test_reminders_go_to_who_has_not_answered_everything(users: dict[str, Any]) -> None:
    c = campaign(groups=["kam", "field_rep"])
    answer_all(c, users["kam"], 4)
    assert services.campaigns_remind_due(today=dt.date(2026, 11, 15)) == 1
    assert users["field_rep"].notifications.filter(text__startswith="Reminder").count() == 1
    assert not users["kam"].notifications.exists()
    # at most once a day
    c.refresh_from_db()
    assert services.campaigns_remind_due(today=dt.date(2026, 11, 15)) == 0


def test_trend_across_campaigns(users: dict[str, Any]) -> None:
    ProgrammeSettings.objects.create(min_group_size=1)
    spring = campaign(
        name="Spring", period_start=dt.date(2026, 4, 1), period_end=dt.date(2026, 4, 30)
    )
    autumn = campaign(name="Autumn")
    answer_all(spring, users["kam"], 2)
    answer_all(autumn, users["kam"], 4)
    rows = selectors.trend()
    assert [r["campaign"].name for r in rows] == ["Spring", "Autumn"]
    assert rows[0]["scores"][1] == 25.0 and rows[1]["scores"][1] == 75.0
