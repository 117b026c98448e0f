"""The function heads are configuration: an administrator names who manages each function."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import FunctionHead


@admin.register(FunctionHead)
class FunctionHeadAdmin(SimpleHistoryAdmin):
    list_display = ("function", "user")
    raw_id_fields = ("user",)
