from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AccountAssessment,
    AccountScore,
    BuyingCriterion,
    Criterion,
    Nomination,
    NominationEvent,
    ScoringModel,
    ScoringRun,
)


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ("order", "group", "key", "name", "source", "normalisation", "cap", "weight")

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_editable

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "status", "min_score", "activated_at")
    list_filter = ("status",)
    readonly_fields = ("status", "activated_at", "created_by")
    inlines = [CriterionInline]


@admin.register(AccountAssessment)
class AccountAssessmentAdmin(SimpleHistoryAdmin):
    list_display = ("account", "willingness", "agreement_horizon_months", "wallet_estimate")
    raw_id_fields = ("account", "updated_by")


@admin.register(BuyingCriterion)
class BuyingCriterionAdmin(admin.ModelAdmin):
    list_display = ("account", "name", "importance")
    raw_id_fields = ("account",)


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "model",
        "as_of",
        "status",
        "progress",
        "accounts_count",
        "candidates_count",
        "finished_at",
    )
    list_filter = ("status",)


@admin.register(AccountScore)
class AccountScoreAdmin(admin.ModelAdmin):
    list_display = ("account", "run", "rank", "total", "recommendation", "scope", "completeness")
    list_filter = ("recommendation", "scope")
    raw_id_fields = ("account", "run")


class NominationEventInline(admin.TabularInline):
    model = NominationEvent
    extra = 0
    readonly_fields = ("at", "actor", "kind", "from_status", "to_status", "note")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Nomination)
class NominationAdmin(admin.ModelAdmin):
    """Read-mostly: status changes go through the services (they keep the history)."""

    list_display = ("account", "status", "scope", "nominated_by", "decided_by", "review_due")
    list_filter = ("status", "scope")
    readonly_fields = ("status", "decided_by", "decided_at", "effective_date", "review_due")
    raw_id_fields = ("account", "score", "nominated_by")
    inlines = [NominationEventInline]
