"""The portfolio table."""

from __future__ import annotations

import django_tables2 as tables
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext_lazy as _

from kam.customers.models import Unit


class PortfolioTable(tables.Table):
    name = tables.Column(
        verbose_name=_("Customer"), linkify=("web:account", {"pk": tables.A("pk")})
    )
    country = tables.Column(verbose_name=_("Country"))
    industry = tables.Column(verbose_name=_("Industry"))
    tier = tables.Column(verbose_name=_("Tier"))
    employees = tables.Column(verbose_name=_("Employees"), attrs={"td": {"class": "text-end"}})
    revenue_12m = tables.Column(
        verbose_name=_("Revenue, last 12 full months"), attrs={"td": {"class": "text-end"}}
    )
    account_manager = tables.Column(
        verbose_name=_("Account manager"),
        order_by=(
            "account_manager__last_name",
            "account_manager__first_name",
            "account_manager__username",
        ),
    )

    class Meta:
        model = Unit
        fields = ("name", "country", "industry", "tier", "employees", "revenue_12m")
        sequence = ("name", "country", "industry", "tier", "employees", "revenue_12m")
        attrs = {"class": "table table-sm table-hover align-middle", "id": "portfolio-table"}
        order_by = ("name",)
        # the rows written out in the template (the cells as the render methods below give them)
        template_name = "web/_portfolio_table.html"

    def render_revenue_12m(self, value):
        return intcomma(int(round(value or 0)))

    def render_employees(self, value):
        return intcomma(value)


SORTABLE = {"name", "country", "industry", "tier", "employees", "revenue_12m", "account_manager"}
