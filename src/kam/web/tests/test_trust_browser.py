"""Authentication and the browser (trust): lockout, passwords, sessions, headers, own files."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.utils import ConnectionHandler
from django.urls import reverse
from django.utils import timezone

from kam.dataio.models import ImportJob
from kam.demo.build import DEMO_PASSWORD
from kam.testing.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[3]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _fail_login(client, username: str = "anna"):
    return client.post(reverse("login"), {"username": username, "password": "wrong-password-1"})


# Login lockout -----------------------------------------------------------------------------------


@pytest.fixture
def anna(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return UserFactory(username="anna", role="kam")


def test_a_login_is_locked_after_the_failure_limit_even_with_the_right_password(client, anna):
    for _ in range(2):
        assert _fail_login(client).status_code == 200
    third = _fail_login(client)
    assert third.status_code == 429
    right = client.post(reverse("login"), {"username": "anna", "password": PASSWORD})
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_locked_login_page_says_why_and_for_how_long(client, anna, settings):
    settings.KAM_LOCKOUT_MINUTES = 15
    for _ in range(3):
        response = _fail_login(client)
    html = response.content.decode()
    assert 'id="login-locked"' in html
    assert "locked for 15 minutes" in html
    assert 'id="id_username"' in html  # the login page itself, not a bare error page


def test_other_users_can_still_log_in_from_the_same_address(client, anna):
    UserFactory(username="boris", role="kam")
    for _ in range(3):
        _fail_login(client)
    response = client.post(reverse("login"), {"username": "boris", "password": PASSWORD})
    assert response.status_code == 302


def test_the_lock_ends_after_the_lockout_window(client, anna, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    for _ in range(3):
        _fail_login(client)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    response = client.post(reverse("login"), {"username": "anna", "password": PASSWORD})
    assert response.status_code == 302


def test_an_admin_unlocks_with_kam_axes_reset(client, anna):
    for _ in range(3):
        _fail_login(client)
    call_command("axes_reset", verbosity=0)
    response = client.post(reverse("login"), {"username": "anna", "password": PASSWORD})
    assert response.status_code == 302


def test_a_successful_login_forgets_earlier_failures(client, anna):
    for _ in range(2):
        _fail_login(client)
    assert (
        client.post(reverse("login"), {"username": "anna", "password": PASSWORD}).status_code == 302
    )
    client.logout()
    for _ in range(2):
        assert _fail_login(client).status_code == 200


def test_behind_a_proxy_the_lock_applies_to_the_forwarded_address(client, anna, settings):
    settings.KAM_TRUSTED_PROXIES = 1
    for _ in range(3):
        client.post(
            reverse("login"),
            {"username": "anna", "password": "wrong-password-1"},
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )
    locked = client.post(
        reverse("login"),
        {"username": "anna", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.66",
    )
    assert locked.status_code == 429
    elsewhere = client.post(
        reverse("login"),
        {"username": "anna", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert elsewhere.status_code == 302


# Passwords and sessions -------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["short-pw-1", "password1234", "123456789012345"])
def test_weak_passwords_are_refused(weak):
    with pytest.raises(ValidationError):
        validate_password(weak)


def test_a_password_like_the_username_is_refused():
    user = UserFactory.build(username="anastasia.petrova")
    with pytest.raises(ValidationError):
        validate_password("anastasia.petrova", user=user)


def test_the_demo_password_is_strong_enough():
    validate_password(DEMO_PASSWORD)


def test_a_session_ends_after_twelve_hours_by_default(client, anna):
    response = client.post(reverse("login"), {"username": "anna", "password": PASSWORD})
    assert response.cookies["sessionid"]["max-age"] == 12 * 3600


def test_the_session_hours_come_from_the_environment():
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_AGE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE)"
    )
    out = _run_django(
        ["shell", "--no-imports", "-c", code],
        KAM_SESSION_HOURS="2",
        KAM_SESSION_EXPIRE_AT_BROWSER_CLOSE="1",
    )
    assert out.stdout.split() == ["7200", "True"]


# Headers ----------------------------------------------------------------------------------------


def test_pages_carry_a_content_security_policy_without_inline_script(client_for):
    response = client_for("kam").get(reverse("web:portfolio"))
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_pages_of_a_logged_in_user_are_not_stored(client_for):
    response = client_for("kam").get(reverse("web:portfolio"))
    assert "no-store" in response["Cache-Control"]


def test_api_answers_are_not_stored(client_for):
    response = client_for("kam").get("/api/v1/units")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_api_docs_assets_stay_cacheable(client):
    response = client.get("/api/v1/docs/assets/swagger-ui.css")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]


# Files ------------------------------------------------------------------------------------------


def test_an_uploaded_import_file_is_readable_by_its_owner_only(client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = SimpleUploadedFile(
        "units.csv", b"external_id,name\nA1,Acme\n", content_type="text/csv"
    )
    response = client_for("admin").post(
        reverse("dataio:upload"), {"entity": "units", "file": upload}
    )
    assert response.status_code == 302
    path = Path(ImportJob.objects.get().file.path)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700


def test_a_sqlite_database_file_is_narrowed_to_its_owner_when_opened(tmp_path):
    db = tmp_path / "kam.sqlite3"
    db.touch()
    db.chmod(0o644)
    wrapper = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(db)}}
    )["default"]
    try:
        wrapper.ensure_connection()
    finally:
        wrapper.close()
    assert _mode(db) == 0o600


@pytest.mark.sqlite_only  # a SQLite file, whatever database the suite uses
def test_a_new_database_file_is_created_readable_by_its_owner_only(tmp_path):
    db = tmp_path / "new.sqlite3"
    out = _run_django(["migrate", "--verbosity", "0"], KAM_DATABASE_URL=f"sqlite:///{db}")
    assert out.returncode == 0, out.stderr
    assert _mode(db) == 0o600


# check --deploy ----------------------------------------------------------------------------------

PRODUCTION_ENV = {
    "KAM_SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuv",
    "KAM_DEBUG": "0",
    "KAM_ALLOWED_HOSTS": "kam.example.com",
    "KAM_HTTPS": "1",
}


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    out = _run_django(
        ["check", "--deploy", "--fail-level", "WARNING"],
        KAM_DATABASE_URL=f"sqlite:///{tmp_path / 'kam.sqlite3'}",
        **PRODUCTION_ENV,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "WARNINGS" not in out.stdout + out.stderr


def test_check_deploy_warns_without_https(tmp_path):
    env = {**PRODUCTION_ENV, "KAM_HTTPS": "0"}
    out = _run_django(
        ["check", "--deploy", "--fail-level", "WARNING"],
        KAM_DATABASE_URL=f"sqlite:///{tmp_path / 'kam.sqlite3'}",
        **env,
    )
    assert out.returncode != 0
    assert "security.W004" in out.stdout + out.stderr


def _run_django(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "kam.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
