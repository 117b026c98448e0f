"""What list pages share: links written for many rows from one ``reverse``."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.core.pages import link_maker


@pytest.mark.parametrize("name", ["web:account", "teams:account_team"])
def test_a_link_maker_writes_what_reverse_writes(name):
    link = link_maker(name)
    for pk in (1, 42, 987654321, 10**12):
        assert link(pk) == reverse(name, args=[pk])


def test_a_link_maker_refuses_what_is_not_an_id():
    with pytest.raises(ValueError):
        link_maker("web:account")("1/../admin")  # type: ignore[arg-type]
