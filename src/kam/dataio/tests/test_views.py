"""Import/export pages: upload → columns → run → result; errors; export; who may do it."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse
from python_calamine import CalamineWorkbook

from kam.customers.models import Unit
from kam.dataio import jobs as jobs_module
from kam.dataio.jobs import _ProgressSaver
from kam.dataio.models import ImportJob, JobStatus
from kam.dataio.selectors import preview_rows, suggest_mapping
from kam.testing.factories import make_unit

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

BAD_UNITS = (
    "external_id,name,kind,country,employees\n"
    "B1,Good One,group,DE,10\n"
    "B2,Bad Country,group,Atlantis,10\n"
    "B3,=HYPERLINK(1),group,DE,lots\n"
    "B4,Good Two,group,FR,\n"
)


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE


@pytest.fixture
def admin(client_for):
    return client_for("admin")


def _file(name: str, content: bytes | str) -> SimpleUploadedFile:
    if isinstance(content, str):
        content = content.encode("utf-8")
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _upload(client, entity: str, name: str, content: bytes | str):
    return client.post(reverse("dataio:upload"), {"entity": entity, "file": _file(name, content)})


def _job_from(response) -> ImportJob:
    assert response.status_code == 302, response.content[:500]
    pk = int(re.search(r"/import/(\d+)/", response["Location"])[1])
    return ImportJob.objects.get(pk=pk)


def _suggested_post(job: ImportJob, **options) -> dict:
    """What the columns page submits when the person accepts the suggested mapping."""
    header = preview_rows(job.file.path, n=0).header
    suggested = suggest_mapping(entity=job.entity, header=header)
    data = {f"col_{i}": suggested.get(i, "-") for i, name in enumerate(header) if name}
    data.update({k: "on" for k, v in options.items() if v})
    return data


def _parent_ext(external_id: str) -> str | None:
    unit = Unit.objects.get(external_id=external_id)
    parent = Unit.objects.filter(path=unit.path[: -Unit.steplen]).first()
    return parent.external_id if parent else None


def _run(client, job: ImportJob, **options):
    return client.post(reverse("dataio:mapping", args=[job.pk]), _suggested_post(job, **options))


# --- the whole import ----------------------------------------------------------------------


def test_it_uploads_previews_runs_and_shows_the_counts(admin):
    assert admin.get(reverse("dataio:upload")).status_code == 200
    response = _upload(admin, "units", "units.csv", (FIXTURES / "units.csv").read_bytes())
    job = _job_from(response)
    assert response["Location"] == reverse("dataio:mapping", args=[job.pk])
    assert job.status == JobStatus.UPLOADED
    assert job.original_name == "units.csv"
    assert job.file.name.startswith("imports/")
    assert job.file.path.endswith(".csv")

    page = admin.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Acme Deutschland GmbH" in html
    assert "ООО «Ромашка»" in html  # the preview
    assert '<option value="external_id" selected>' in html  # matched by its name
    assert '<option value="country" selected>' in html

    response = _run(admin, job)
    assert response.status_code == 302
    assert response["Location"] == reverse("dataio:job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    assert (job.rows, job.created, job.updated, job.written) == (6, 6, 0, True)
    assert job.task_id
    assert job.started_at
    assert job.finished_at
    assert job.mapping["columns"]["external_id"] == "external_id"

    page = admin.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-status="done"' in html
    assert '<dd class="col-6 col-sm-10" id="count-created">6</dd>' in html
    assert 'hx-trigger="every' not in html  # a finished job is not polled
    assert _parent_ext("U-ACME-DE") == "U-ACME"

    # the same file again: nothing new
    job2 = _job_from(_upload(admin, "units", "units.csv", (FIXTURES / "units.csv").read_bytes()))
    _run(admin, job2)
    job2.refresh_from_db()
    assert (job2.created, job2.unchanged) == (0, 6)


def test_columns_with_other_names_are_mapped_by_hand(admin):
    job = _job_from(
        _upload(admin, "units", "de.csv", (FIXTURES / "units_de_mapped.csv").read_bytes())
    )
    html = admin.get(reverse("dataio:mapping", args=[job.pk])).content.decode()
    assert "Beispiel Werk Süd" in html
    assert "Kundennummer" in html
    data = {"col_0": "external_id", "col_1": "name", "col_2": "country", "col_3": "parent"}
    data["col_4"] = "-"
    response = admin.post(reverse("dataio:mapping", args=[job.pk]), data)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.created == 2
    assert job.mapping["columns"] == {
        "Kundennummer": "external_id",
        "Firma": "name",
        "Land": "country",
        "Mutter": "parent",
        "Bemerkung": "-",
    }
    assert _parent_ext("K-2") == "K-1"


def test_an_xlsx_file_is_previewed_and_imported(admin, tmp_path):
    make_unit("Alpha", external_id="X1")
    make_unit("Beta", external_id="X2")
    xlsx = admin.get(reverse("dataio:export_download"), {"entity": "units", "format": "xlsx"})
    content = b"".join(xlsx.streaming_content)
    Unit.objects.all().delete()
    job = _job_from(_upload(admin, "units", "units.xlsx", content))
    assert job.file.path.endswith(".xlsx")
    html = admin.get(reverse("dataio:mapping", args=[job.pk])).content.decode()
    assert "Spreadsheet (XLSX)" in html
    assert "Alpha" in html
    _run(admin, job)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.created == 2


def test_a_file_with_errors_lists_them_writes_nothing_and_offers_the_report(admin):
    job = _job_from(_upload(admin, "units", "bad.csv", BAD_UNITS))
    _run(admin, job)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "nothing was written" in job.message
    assert job.error_count == 3
    assert not job.written
    assert not Unit.objects.exists()

    html = admin.get(reverse("dataio:job", args=[job.pk])).content.decode()
    assert 'data-status="failed"' in html
    assert "Download the error report (CSV)" in html
    errors = html.split('id="job-errors"')[1]
    assert "<td>4</td><td>name</td>" in errors
    assert "looks like a spreadsheet formula" in errors
    assert '<td>4</td><td>employees</td><td class="text-break">lots</td>' in errors
    assert "Atlantis" in errors

    response = admin.get(reverse("dataio:job_errors", args=[job.pk]))
    assert response.status_code == 200
    assert 'filename="import-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["line", "column", "value", "reason"]
    assert [(r[0], r[1]) for r in rows[1:]] == [("3", "country"), ("4", "name"), ("4", "employees")]


def test_skip_bad_rows_writes_the_good_ones(admin):
    job = _job_from(_upload(admin, "units", "bad.csv", BAD_UNITS))
    _run(admin, job, skip_bad_rows=True)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert (job.created, job.skipped, job.error_count) == (2, 2, 3)
    assert set(Unit.objects.values_list("external_id", flat=True)) == {"B1", "B4"}
    html = admin.get(reverse("dataio:job", args=[job.pk])).content.decode()
    assert '<dd class="col-6 col-sm-10" id="count-skipped">2</dd>' in html
    assert "error-report-link" in html


def test_a_dry_run_counts_but_writes_nothing(admin):
    job = _job_from(_upload(admin, "units", "u.csv", (FIXTURES / "units.csv").read_bytes()))
    _run(admin, job, dry_run=True)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.dry_run
    assert job.created == 6
    assert not job.written
    assert not Unit.objects.exists()
    html = admin.get(reverse("dataio:job", args=[job.pk])).content.decode()
    assert "Dry run: nothing was written." in html


def test_the_first_50_errors_are_shown_and_the_report_has_all(admin):
    lines = ["external_id,name,country"] + [f"E{i},Name {i},Nowhere" for i in range(70)]
    job = _job_from(_upload(admin, "units", "many.csv", "\n".join(lines)))
    _run(admin, job)
    job.refresh_from_db()
    assert job.error_count == 70
    assert len(job.first_errors) == 50
    html = admin.get(reverse("dataio:job", args=[job.pk])).content.decode()
    assert html.split('id="job-errors"')[1].count("<tr>") == 51  # header + 50
    assert "The first 50 of 70 problems are shown" in html
    response = admin.get(reverse("dataio:job_errors", args=[job.pk]))
    assert b"".join(response.streaming_content).decode().count("\n") == 71


# --- progress ------------------------------------------------------------------------------


def test_a_queued_job_polls_its_progress_every_second(admin, settings):
    settings.TASKS = DUMMY
    job = _job_from(_upload(admin, "units", "u.csv", (FIXTURES / "units.csv").read_bytes()))
    _run(admin, job)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert job.task_id
    html = admin.get(reverse("dataio:job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert reverse("dataio:job_progress", args=[job.pk]) in html
    assert "Waiting for a worker" in html

    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, progress_done=3, progress_total=6
    )
    fragment = admin.get(reverse("dataio:job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in html
    assert 'aria-valuenow="50"' in html
    assert "Writing: 3 of 6 rows" in html
    assert 'hx-trigger="every 1s"' in html

    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    from kam.dataio.tasks import run_import_job

    assert run_import_job.call(job.pk) == "done"
    html = admin.get(reverse("dataio:job_progress", args=[job.pk])).content.decode()
    assert 'data-status="done"' in html
    assert 'hx-trigger="every' not in html
    assert 'id="count-created">6<' in html


def test_progress_is_saved_at_most_once_a_second(monkeypatch):
    job = ImportJob.objects.create(entity="units", original_name="x.csv", file="imports/x.csv")
    clock = iter([100.0, 100.2, 100.5, 101.1, 101.3])
    monkeypatch.setattr(jobs_module.time, "monotonic", lambda: next(clock))
    saver = _ProgressSaver(job)
    seen = []
    for done in (1000, 2000, 3000, 4000, 5000):
        saver(done, None)
        job.refresh_from_db()
        seen.append(job.progress_done)
    assert seen == [1000, 1000, 1000, 4000, 4000]


@pytest.mark.django_db(transaction=True)
def test_progress_inside_the_import_transaction_is_seen_on_postgresql():
    """The write phase runs in one transaction; PostgreSQL gets its progress on a side line."""
    job = ImportJob.objects.create(entity="units", original_name="x.csv", file="imports/x.csv")
    saver = _ProgressSaver(job, interval=0)
    with transaction.atomic():
        saver(500, 2000)  # SQLite has one writer: skipped there, never a deadlock
    saver.close()
    job.refresh_from_db()
    expected = 500 if connection.vendor == "postgresql" else 0
    assert (job.progress_done, job.progress_total or 0) == (expected, expected * 4)


def test_a_job_is_not_run_twice(admin):
    job = _job_from(_upload(admin, "units", "u.csv", (FIXTURES / "units.csv").read_bytes()))
    _run(admin, job)
    response = _run(admin, job)  # a second submit of the columns page
    assert response.status_code == 302
    assert response["Location"] == reverse("dataio:job", args=[job.pk])
    assert ImportJob.objects.get(pk=job.pk).created == 6
    page = admin.get(reverse("dataio:mapping", args=[job.pk]))
    assert page.status_code == 302  # the columns page of a started job leads to the job


# --- bad input -----------------------------------------------------------------------------


def test_upload_without_a_file_is_refused(admin):
    response = admin.post(reverse("dataio:upload"), {"entity": "units"})
    assert response.status_code == 400
    assert "Choose a file to import." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_empty_file_is_refused(admin):
    response = _upload(admin, "units", "empty.csv", b"")
    assert response.status_code == 400
    assert "The file is empty." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_unknown_entity_is_refused(admin):
    response = _upload(admin, "spaceships", "u.csv", "external_id,name\nA,B\n")
    assert response.status_code == 400
    assert "spaceships is not one of the available choices" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused_with_the_limit(admin, settings):
    settings.KAM_IMPORT_MAX_BYTES = 20
    response = _upload(admin, "units", "big.csv", "external_id,name\n" + "A,B\n" * 10)
    assert response.status_code == 400
    html = response.content.decode()
    assert "over the import limit of 20 bytes" in html
    assert "KAM_IMPORT_MAX_BYTES" in html
    assert not ImportJob.objects.exists()
    assert not (settings.MEDIA_ROOT / "imports").exists()


def test_a_file_in_a_wrong_encoding_ends_as_a_failed_job_with_the_reason(admin):
    response = _upload(admin, "units", "units.xls", b"\xd0\xcf\x11\xe0\x00\x00\x01binary")
    job = _job_from(response)
    assert response["Location"] == reverse("dataio:job", args=[job.pk])
    assert job.status == JobStatus.FAILED
    html = admin.get(response["Location"]).content.decode()
    assert 'data-status="failed"' in html
    assert "unsupported encoding" in html
    assert "Save it as CSV in UTF-8" in html
    assert job.file.name.endswith(".dat")  # an unknown suffix is not kept


def test_a_header_without_rows_fails_with_the_engines_message(admin):
    job = _job_from(_upload(admin, "units", "head.csv", "external_id,name\n"))
    page = admin.get(reverse("dataio:mapping", args=[job.pk]))
    assert "The file has no data rows." in page.content.decode()
    _run(admin, job)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.message == "The file has a header but no data rows."
    html = admin.get(reverse("dataio:job", args=[job.pk])).content.decode()
    assert "The file has a header but no data rows." in html


def test_a_required_column_left_out_is_named_before_the_run(admin):
    job = _job_from(_upload(admin, "units", "u.csv", (FIXTURES / "units.csv").read_bytes()))
    data = _suggested_post(job)
    data["col_1"] = "-"  # name
    response = admin.post(reverse("dataio:mapping", args=[job.pk]), data)
    assert response.status_code == 400
    assert "Missing required column: name" in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.UPLOADED


def test_two_columns_for_one_field_are_refused(admin):
    job = _job_from(_upload(admin, "units", "u.csv", (FIXTURES / "units.csv").read_bytes()))
    data = _suggested_post(job)
    data["col_6"] = "city"  # region → city, next to the city column
    response = admin.post(reverse("dataio:mapping", args=[job.pk]), data)
    assert response.status_code == 400
    assert "are both mapped to city" in response.content.decode()


def test_a_field_that_does_not_exist_is_refused(admin):
    job = _job_from(_upload(admin, "units", "u.csv", (FIXTURES / "units.csv").read_bytes()))
    data = _suggested_post(job)
    data["col_1"] = "password"
    response = admin.post(reverse("dataio:mapping", args=[job.pk]), data)
    assert response.status_code == 400
    assert "is not one of the available choices" in response.content.decode()


def test_a_file_gone_before_the_run_ends_as_a_failed_job(admin):
    job = _job_from(_upload(admin, "units", "u.csv", (FIXTURES / "units.csv").read_bytes()))
    data = _suggested_post(job)
    job.file.storage.delete(job.file.name)
    response = admin.post(reverse("dataio:mapping", args=[job.pk]), data)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "File not found" in job.message


def test_an_unexpected_error_ends_as_a_failed_job_not_a_500(admin, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("kam.dataio.jobs.import_file", boom)
    job = _job_from(_upload(admin, "units", "u.csv", (FIXTURES / "units.csv").read_bytes()))
    response = _run(admin, job)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "unexpected error" in job.message
    assert "disk on fire" not in job.message
    assert admin.get(reverse("dataio:job", args=[job.pk])).status_code == 200


def test_unknown_jobs_are_404(admin):
    for name in ("dataio:job", "dataio:mapping", "dataio:job_progress", "dataio:job_errors"):
        response = admin.get(reverse(name, args=[999]))
        assert response.status_code == 404, name


def test_a_job_without_problems_has_no_error_report(admin):
    job = _job_from(_upload(admin, "units", "u.csv", (FIXTURES / "units.csv").read_bytes()))
    _run(admin, job)
    assert admin.get(reverse("dataio:job_errors", args=[job.pk])).status_code == 404


def test_a_bad_page_number_is_400(admin):
    for page in ("x", "0", "99"):
        response = admin.get(reverse("dataio:jobs"), {"page": page})
        assert response.status_code == 400, page


# --- export --------------------------------------------------------------------------------


def test_csv_export_streams_the_rows_with_formulas_neutralised(admin):
    group = make_unit("=SUM(A1)", external_id="G1", city="Москва")
    make_unit("Child", parent=group, external_id="G1-C")
    assert admin.get(reverse("dataio:export")).status_code == 200
    response = admin.get(reverse("dataio:export_download"), {"entity": "units", "format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert re.search(
        r'attachment; filename="units-\d{4}-\d\d-\d\d\.csv"', response["Content-Disposition"]
    )
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["external_id"], r["name"], r["parent"]) for r in rows] == [
        ("G1", "'=SUM(A1)", ""),
        ("G1-C", "Child", "G1"),
    ]
    assert rows[0]["city"] == "Москва"


def test_xlsx_export_downloads_and_reads_back(admin):
    make_unit("Alpha", external_id="X1", employees=12)
    response = admin.get(reverse("dataio:export_download"), {"entity": "units", "format": "xlsx"})
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    assert "units-" in response["Content-Disposition"]
    assert ".xlsx" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    header = sheet[0]
    assert header[:2] == ["external_id", "name"]
    assert sheet[1][header.index("name")] == "Alpha"
    assert sheet[1][header.index("employees")] == 12


@pytest.mark.parametrize(
    "params",
    [
        {"entity": "spaceships", "format": "csv"},
        {"entity": "units", "format": "pdf"},
        {"entity": "units"},
        {},
    ],
)
def test_a_bad_export_request_is_400_with_a_message(admin, params):
    response = admin.get(reverse("dataio:export_download"), params)
    assert response.status_code == 400
    assert 'id="form-errors"' in response.content.decode()


# --- who may ---------------------------------------------------------------------------------


def _all_urls(job_pk: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("dataio:jobs")),
        ("get", reverse("dataio:upload")),
        ("post", reverse("dataio:upload")),
        ("get", reverse("dataio:mapping", args=[job_pk])),
        ("post", reverse("dataio:mapping", args=[job_pk])),
        ("get", reverse("dataio:job", args=[job_pk])),
        ("get", reverse("dataio:job_progress", args=[job_pk])),
        ("get", reverse("dataio:job_errors", args=[job_pk])),
    ]


EXPORT_URLS = [
    reverse("dataio:export"),
    reverse("dataio:export_download") + "?entity=units&format=csv",
    reverse("dataio:export_log"),
]


@pytest.mark.parametrize(
    "role", ["outsider", "executive", "kam", "sales_manager", "field_rep", "specialist"]
)
def test_everyone_but_administrators_gets_403_on_imports(client_for, role):
    job = ImportJob.objects.create(entity="units", original_name="x.csv", file="imports/x.csv")
    client = client_for(role)
    for method, url in _all_urls(job.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (role, method, url)
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.UPLOADED


@pytest.mark.parametrize("role", ["outsider", "kam", "sales_manager", "field_rep", "specialist"])
def test_exports_need_the_bulk_export_permission(client_for, role):
    client = client_for(role)
    for url in EXPORT_URLS:
        assert client.get(url).status_code == 403, (role, url)


def test_executives_may_export(client_for):
    client = client_for("executive")
    for url in EXPORT_URLS:
        assert client.get(url).status_code == 200, url


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    for method, url in [*_all_urls(1), *(("get", url) for url in EXPORT_URLS)]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_only_administrators_see_the_data_menu(client_for):
    html = client_for("admin").get(reverse("dataio:jobs")).content.decode()
    assert f'href="{reverse("dataio:jobs")}">Data</a>' in html
    html = client_for("kam").get(reverse("web:portfolio")).content.decode()
    assert reverse("dataio:jobs") not in html


def test_the_jobs_list_shows_recent_jobs_in_bounded_queries(
    admin, users, django_assert_max_num_queries
):
    def make(n: int) -> None:
        ImportJob.objects.bulk_create(
            ImportJob(
                entity="units",
                original_name=f"file-{i}.csv",
                file=f"imports/f{i}.csv",
                created_by=users["admin"],
                status=JobStatus.DONE,
                created=i,
            )
            for i in range(n)
        )

    make(3)
    # +2: the look for jobs whose worker died, and when a worker was last seen
    with django_assert_max_num_queries(8):
        response = admin.get(reverse("dataio:jobs"))
    assert response.status_code == 200
    make(120)
    with django_assert_max_num_queries(8):
        response = admin.get(reverse("dataio:jobs"))
    html = response.content.decode()
    assert html.count('<tr id="job-') == 50
    assert "Page 1 of 3" in html
    assert "Customer units" in html
    assert "Done" in html
    assert (
        admin.get(reverse("dataio:jobs"), {"page": 3}).content.decode().count('<tr id="job-') == 23
    )
