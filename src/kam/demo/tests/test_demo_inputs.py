"""The demo shows what issue 10 made enterable: territories with a manager, opportunities with
a product and the date they were engaged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F

from kam.demo.build import demo_build
from kam.people.models import Territory
from kam.sales.models import Opportunity

TODAY = dt.date(2026, 6, 15)


@pytest.mark.django_db
def test_territories_have_managers_and_opportunities_products_and_dates():
    built = demo_build(scale="tiny", seed=3, today=TODAY)
    assert built.counts["territories_with_manager"] == Territory.objects.count() > 0
    assert not Territory.objects.filter(manager__isnull=True).exists()
    opps = Opportunity.objects.all()
    assert opps.filter(product__isnull=False).count() > opps.count() / 2
    assert not opps.filter(engaged_on__isnull=True).exists()
    assert not opps.filter(engaged_on__gt=TODAY).exists()
    assert not opps.filter(engaged_on__gt=F("expected_close")).exists()
    # a product is always one of the opportunity's line
    assert not opps.filter(product__isnull=False).exclude(product__line=F("product_line")).exists()
