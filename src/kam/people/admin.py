from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Notification, Territory, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "function", "territory")
    list_filter = ("role", "function", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            _("OpenKAM"),
            {"fields": ("role", "function", "territory", "manager", "capacity", "language")},
        ),
    )


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "region")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "text", "read", "created_at")
    list_filter = ("read",)
    raw_id_fields = ("user",)
