"""`kam serve` collects the static files when they are missing or older than their sources."""

from __future__ import annotations

import os

from django.core.management import call_command

from kam.web.management.commands.serve import static_is_stale


def test_missing_then_fresh_then_stale(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    assert static_is_stale()
    call_command("collectstatic", interactive=False, verbosity=0)
    assert not static_is_stale()
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    os.utime(manifest, (1_000_000, 1_000_000))  # collected long before the sources changed
    assert static_is_stale()
