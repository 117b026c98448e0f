from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AccountPlan, PlanTemplate, PlanTemplateObjective


class PlanTemplateObjectiveInline(admin.TabularInline):
    model = PlanTemplateObjective
    extra = 0
    fields = ("position", "title", "metric_key", "rule", "amount", "level", "months")


@admin.register(PlanTemplate)
class PlanTemplateAdmin(SimpleHistoryAdmin):
    """The plan templates per portfolio quadrant: stored configuration, edited by admins."""

    list_display = ("quadrant", "target_stage", "review_cadence_months")
    inlines = [PlanTemplateObjectiveInline]


@admin.register(AccountPlan)
class AccountPlanAdmin(SimpleHistoryAdmin):
    list_display = ("account", "period_start", "period_end", "status", "next_review_due")
    list_filter = ("status",)
    raw_id_fields = ("account", "created_by", "submitted_by", "approved_by")
    readonly_fields = ("status", "revision", "approved_at")
