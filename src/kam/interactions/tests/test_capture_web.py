"""The capture page, the API and the command: the user, a user without a role, another KAM."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from kam.customers.models import Contact
from kam.interactions.models import CaptureUpload, Interaction
from kam.testing.factories import ContactFactory, EmploymentFactory, UserFactory, make_unit
from kam.testing.personas import db_snapshot

FIXTURES = Path(__file__).parent / "fixtures"
RANGE = {"since": "2026-11-01", "until": "2026-11-19"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(db, kam_a):
    """kam_a's account has a plant where Ivan and Olga work; Anna (ours) organises."""
    plant = make_unit("Nordwerk Plant", parent=kam_a.account)
    for first, last in (("Ivan", "Petrov"), ("Olga", "Smirnova")):
        contact = ContactFactory(
            first_name=first, last_name=last, email=f"{first}.{last}@nordwerk.example".lower()
        )
        EmploymentFactory(contact=contact, unit=plant)
    UserFactory(username="anna", email="anna@ours.example", role="field_rep")
    UserFactory(username="boris", email="boris@ours.example", role="field_rep")
    return plant


def upload(client, name="anna.ics", **extra):
    data = {"file": SimpleUploadedFile(name, (FIXTURES / name).read_bytes()), **RANGE, **extra}
    return client.post(reverse("interactions:capture"), data)


def test_upload_preview_confirm(world, kam_a, client):
    client.force_login(kam_a.user)
    assert client.get(reverse("interactions:capture")).status_code == 200
    response = upload(client)
    kept = CaptureUpload.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/capture/{kept.pk}/")
    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert 'data-count="matched">4<' in html
    assert 'data-count="unmatched">1<' in html and "guest@nordwerk.example" in html
    assert "team-lunch@ours.example" in html  # skipped: no customer contact
    assert Interaction.objects.count() == 0  # the preview writes nothing
    response = client.post(reverse("interactions:capture_confirm", args=[kept.pk]))
    assert response.status_code == 302
    assert Interaction.objects.filter(created_by=kam_a.user, unit=world).count() == 4
    again = client.post(reverse("interactions:capture_confirm", args=[kept.pk]))
    assert again.status_code == 302 and Interaction.objects.count() == 4


def test_add_unmatched_as_contact_then_matched(world, kam_a, client):
    client.force_login(kam_a.user)
    upload(client)
    kept = CaptureUpload.objects.get()
    response = client.post(
        reverse("interactions:capture_contact", args=[kept.pk]),
        {"email": "guest@nordwerk.example", "name": "Unknown Guest", "unit": world.pk},
    )
    assert response.status_code == 302
    guest = Contact.objects.get(email="guest@nordwerk.example")
    assert (guest.first_name, guest.last_name) == ("Unknown", "Guest")
    html = client.get(response["Location"]).content.decode()
    assert 'data-count="unmatched">0<' in html


def test_malformed_file_is_refused_with_the_item_named(world, kam_a, client):
    client.force_login(kam_a.user)
    before = db_snapshot()
    response = upload(client, "broken.ics")
    assert response.status_code == 400
    assert "broken-start@ours.example" in response.content.decode()
    assert db_snapshot() == before


def test_user_without_a_role_is_refused(world, users, client):
    client.force_login(users["outsider"])
    before = db_snapshot()
    assert client.get(reverse("interactions:capture")).status_code == 403
    assert upload(client).status_code == 403
    assert db_snapshot() == before


def test_another_kam_does_not_find_my_upload(world, kam_a, kam_b, client):
    client.force_login(kam_a.user)
    upload(client)
    kept = CaptureUpload.objects.get()
    client.force_login(kam_b.user)
    before = db_snapshot()
    assert client.get(reverse("interactions:capture_preview", args=[kept.pk])).status_code == 404
    assert client.post(reverse("interactions:capture_confirm", args=[kept.pk])).status_code == 404
    assert db_snapshot() == before


def test_another_kam_may_not_add_a_contact_at_my_account(world, kam_a, kam_b, client):
    client.force_login(kam_b.user)
    upload(client)
    kept = CaptureUpload.objects.get()
    before = db_snapshot()
    response = client.post(
        reverse("interactions:capture_contact", args=[kept.pk]),
        {"email": "guest@nordwerk.example", "name": "Guest", "unit": world.pk},
    )
    assert response.status_code == 403
    assert db_snapshot() == before


def test_preview_queries_do_not_grow_with_the_file(
    world, kam_a, client, django_assert_max_num_queries
):
    client.force_login(kam_a.user)

    def calendar(n: int) -> bytes:
        events = "".join(
            "BEGIN:VEVENT\r\n"
            f"UID:ev-{i}@ours.example\r\n"
            f"DTSTART:202611{1 + i % 18:02d}T{8 + i % 9:02d}{i % 60:02d}00Z\r\n"
            f"SUMMARY:Meeting {i}\r\n"
            "ORGANIZER:mailto:anna@ours.example\r\n"
            "ATTENDEE:mailto:ivan.petrov@nordwerk.example\r\n"
            f"ATTENDEE:mailto:someone{i % 7}@nordwerk.example\r\n"
            "END:VEVENT\r\n"
            for i in range(n)
        )
        return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\n{events}END:VCALENDAR\r\n".encode()

    pks = []
    for n in (20, 200):
        file = SimpleUploadedFile(f"c{n}.ics", calendar(n))
        client.post(reverse("interactions:capture"), {"file": file, **RANGE})
        pks.append(CaptureUpload.objects.latest("pk").pk)
    for pk in pks:
        with django_assert_max_num_queries(25):
            assert client.get(reverse("interactions:capture_preview", args=[pk])).status_code == 200
    for pk in pks:
        with django_assert_max_num_queries(40):
            client.post(reverse("interactions:capture_confirm", args=[pk]))
    assert Interaction.objects.count() == 200  # the small file's events are in the big one


# --- API -------------------------------------------------------------------------------------


def api_post(client, persona_headers, *names, **form):
    files = [SimpleUploadedFile(n, (FIXTURES / n).read_bytes()) for n in names]
    return client.post(
        "/api/v1/interaction-imports", {"files": files, **RANGE, **form}, headers=persona_headers
    )


def test_api_dry_run_then_import(world, kam_a, client):
    dry = api_post(client, kam_a.headers, "anna.ics", "boris.ics", dry_run="true")
    assert dry.status_code == 200, dry.content
    body = dry.json()
    assert (body["matched"], body["duplicates"], body["dry_run"]) == (4, 1, True)
    assert body["unmatched"][0]["email"] == "guest@nordwerk.example"
    assert Interaction.objects.count() == 0
    done = api_post(client, kam_a.headers, "anna.ics")
    assert done.status_code == 201 and done.json()["matched"] == 4
    assert api_post(client, kam_a.headers, "anna.ics").json()["matched"] == 0


def test_api_malformed_file_is_a_400_naming_the_item(world, kam_a, client):
    before = db_snapshot()
    response = api_post(client, kam_a.headers, "mailbox.mbox", "broken.mbox")
    assert response.status_code == 400
    assert "no-date@ours.example" in response.content.decode()
    assert db_snapshot() == before


def test_api_without_a_file_is_a_400(world, kam_a, client):
    response = client.post("/api/v1/interaction-imports", {}, headers=kam_a.headers)
    assert response.status_code == 400


def test_api_user_without_a_role_is_refused(world, users, client):
    from kam.api.models import TokenScope
    from kam.api.services import token_create

    _token, plain = token_create(user=users["outsider"], name="t", scope=TokenScope.READ_WRITE)
    before = db_snapshot()
    response = api_post(client, {"Authorization": f"Bearer {plain}"}, "anna.ics")
    assert response.status_code == 403
    assert db_snapshot() == before


def test_api_another_kam_logs_only_what_they_may(world, kam_a, kam_b, client):
    """Logging is open to every role (the matrix), so another KAM's import is written with
    them as author; it never changes kam_a's account data."""
    response = api_post(client, kam_b.headers, "anna.ics")
    assert response.status_code == 201
    assert set(Interaction.objects.values_list("created_by", flat=True)) == {kam_b.user.pk}


def test_api_unrelated_field_rep_under_restricted_visibility_gets_items_reported(
    world, users, client, settings
):
    from kam.api.models import TokenScope
    from kam.api.services import token_create

    settings.KAM_RESTRICTED_VISIBILITY = True
    _token, plain = token_create(user=users["field_rep"], name="t", scope=TokenScope.READ_WRITE)
    before = db_snapshot()
    response = api_post(client, {"Authorization": f"Bearer {plain}"}, "anna.ics")
    assert response.status_code == 201
    body = response.json()
    assert body["matched"] == 0
    assert sum("may not log" in s["reason"] for s in body["skipped"]) == 4
    assert db_snapshot() == before


# --- command line ------------------------------------------------------------------------------


def test_command_imports_a_folder(world):
    out = StringIO()
    call_command(
        "capture",
        str(FIXTURES / "anna.ics"),
        "--since=2026-11-01",
        "--until=2026-11-19",
        stdout=out,
    )
    assert "4 new interactions" in out.getvalue()
    assert Interaction.objects.filter(created_by=None).count() == 4


def test_command_dry_run_and_bad_folder(world, tmp_path):
    (tmp_path / "a.ics").write_bytes((FIXTURES / "anna.ics").read_bytes())
    (tmp_path / "b.mbox").write_bytes((FIXTURES / "broken.mbox").read_bytes())
    with pytest.raises(CommandError, match="no-date@ours.example"):
        call_command("capture", str(tmp_path), "--since=2026-11-01", "--until=2026-11-19")
    (tmp_path / "b.mbox").unlink()
    out = StringIO()
    call_command(
        "capture",
        str(tmp_path),
        "--dry-run",
        "--since=2026-11-01",
        "--until=2026-11-19",
        stdout=out,
    )
    assert "dry run" in out.getvalue() and Interaction.objects.count() == 0
