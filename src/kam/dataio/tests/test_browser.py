"""Drive the import pages in headless Chromium: upload, preview, start, watch it finish."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kam.customers.models import Unit
from kam.dataio.models import ImportJob
from kam.dataio.tasks import run_import_job
from kam.testing.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNITS = (
    "Код;Наименование;Вид;Страна;Город\n"
    "B-1;Baltic Foods;group;LV;Riga\n"
    "B-2;Baltic Foods Plant;site;LV;Jelgava\n"
    "B-3;Uralchem Holding;group;RU;Moscow\n"
)


def test_an_admin_uploads_units_sees_the_preview_and_watches_the_import_finish(
    page, live_server, settings, tmp_path
):
    # The job waits in the queue, so the page shows it waiting and then polls it to the end.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    UserFactory(username="root", role="admin", first_name="Ada", last_name="Admin")
    path = tmp_path / "units.csv"
    path.write_text(UNITS, encoding="utf-8")

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.click("#main-nav a:has-text('Data')")
    expect(page.locator("#jobs-empty")).to_be_visible()
    page.click("#data-tabs a:has-text('New import')")

    page.select_option("#id_entity", "units")
    page.set_input_files("#id_file", str(path))
    page.click("#upload-form button[type=submit]")

    expect(page).to_have_url(re.compile(r"/data/import/\d+/columns/$"))
    preview = page.locator("#preview-table")
    expect(preview).to_contain_text("Baltic Foods Plant")
    expect(preview).to_contain_text("Наименование")
    expect(page.locator("#id_col_0")).to_have_value("external_id")  # "Код" by its synonym
    expect(page.locator("#id_col_1")).to_have_value("name")
    page.click("#start-import")

    expect(page).to_have_url(re.compile(r"/data/import/\d+/$"))
    status = page.locator("#job-status")
    expect(status).to_have_attribute("data-status", "queued")
    expect(page.locator("#job-progress-bar")).to_be_visible()

    job = ImportJob.objects.get()
    assert run_import_job.call(job.pk) == "done"  # what a worker would do

    expect(status).to_have_attribute("data-status", "done", timeout=10000)
    expect(page.locator("#count-created")).to_have_text("3")
    expect(page.locator("#job-written")).to_contain_text("saved")
    assert set(Unit.objects.values_list("name", flat=True)) == {
        "Baltic Foods",
        "Baltic Foods Plant",
        "Uralchem Holding",
    }

    page.click("#main-nav a:has-text('Data')")
    expect(page.locator(f"#job-{job.pk}")).to_contain_text("units.csv")
    expect(page.locator(f"#job-{job.pk}")).to_contain_text("Done")
