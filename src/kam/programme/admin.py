from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ProgrammeSettings, Statement


@admin.register(Statement)
class StatementAdmin(SimpleHistoryAdmin):
    list_display = ("condition", "position", "text_en", "text_ru", "active")
    list_filter = ("condition", "active")
    list_editable = ("position", "active")


@admin.register(ProgrammeSettings)
class ProgrammeSettingsAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "min_group_size", "weak_below", "gap_flag")
