"""Personal API tokens. Only a SHA-256 hash of the secret is stored, never the secret itself."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.validation import date_in_range


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=16, unique=True, help_text=_("Shown to tell tokens apart.")
    )
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    scope = models.CharField(
        _("scope"), max_length=10, choices=TokenScope.choices, default=TokenScope.READ
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    expires = models.DateTimeField(_("expires"), null=True, blank=True, validators=[date_in_range])
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires is None or self.expires > timezone.now()

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.READ_WRITE


class RateCounter(models.Model):
    """Requests counted in a fixed time window, shared by every app process (API throttling).

    ``key`` names what is counted (``bad:<address>`` for failed tokens, ``token:<id>`` for a
    valid token's requests); ``window`` is the window's number (Unix time // window length).
    """

    key = models.CharField(_("key"), max_length=100)
    window = models.BigIntegerField(_("window"))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="api_ratecounter_key_window")
        ]
        indexes = [models.Index(fields=["window"], name="api_ratecounter_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.count}"
