"""Import pages (administrators), export pages and the export log (administrators and
executives: the bulk export permission). Thin: forms, jobs/selectors/services, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.jobs import worker_missing_for
from kam.core.pages import bad_request
from kam.core.permissions import require
from kam.core.tabular import CSV_TYPE, XLSX_TYPE

from . import encodings
from .export_jobs import export_is_big, export_job_create, export_jobs_reap
from .exporters import BULK_EXPORT, export_permission
from .formats import ImportFileError
from .forms import ExportForm, MappingForm, UploadForm, entity_label
from .importers import ENTITIES
from .jobs import (
    import_job_can_rerun,
    import_job_create,
    import_job_fail,
    import_job_rerun,
    import_job_start,
    import_jobs_reap,
)
from .models import ExportChannel, ExportJob, ImportJob, JobStatus
from .selectors import (
    PREVIEW_ROWS,
    export_logs_recent,
    import_jobs_recent,
    preview_rows,
    suggest_mapping,
)
from .services import export_csv_logged, export_xlsx_logged

PAGE_SIZE = 50
PERM = "kam.administer"


def admin_only(view: Callable) -> Callable:
    """Log in first; then administrators only (403 for everyone else)."""

    @login_required
    @wraps(view)
    def wrapped(request: AuthedHttpRequest, *args, **kwargs) -> HttpResponseBase:
        require(request.user, PERM)
        return view(request, *args, **kwargs)

    return wrapped


def bulk_exporters_only(view: Callable) -> Callable:
    """Log in first; then those with the bulk export permission (403 for everyone else)."""

    @login_required
    @wraps(view)
    def wrapped(request: AuthedHttpRequest, *args, **kwargs) -> HttpResponseBase:
        require(request.user, BULK_EXPORT)
        return view(request, *args, **kwargs)

    return wrapped


def _job(pk: int) -> ImportJob:
    try:
        return ImportJob.objects.select_related("created_by").get(pk=pk)
    except ImportJob.DoesNotExist as exc:
        raise Http404 from exc


def _form_problems(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


# --- jobs ----------------------------------------------------------------------------------


@admin_only
@require_GET
def jobs(request: AuthedHttpRequest) -> HttpResponseBase:
    raw = request.GET.get("page") or "1"
    if not raw.isdigit() or int(raw) < 1:
        return bad_request(request, _("“%(value)s” is not a page number.") % {"value": raw})
    import_jobs_reap(quick=True)  # a job whose worker died shows as failed, re-runnable
    paginator = Paginator(import_jobs_recent(), PAGE_SIZE)
    if int(raw) > paginator.num_pages:
        return bad_request(
            request,
            _("Page %(page)s does not exist; the list has %(pages)s pages.")
            % {"page": raw, "pages": paginator.num_pages},
        )
    page = paginator.page(int(raw))
    for job in page.object_list:
        job.entity_label = entity_label(job.entity)
    return render(
        request, "dataio/jobs.html", {"page": page, "worker_missing": worker_missing_for()}
    )


@admin_only
@require_http_methods(["GET", "POST"])
def upload(request: AuthedHttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = import_job_create(
                    user=request.user,
                    entity=form.cleaned_data["entity"],
                    upload=form.cleaned_data["file"],
                )
            except ImportFileError as exc:
                form.add_error("file" if exc.code != "entity" else "entity", exc.message)
            else:
                if job.status == JobStatus.FAILED:
                    return redirect("dataio:job", pk=job.pk)
                return redirect("dataio:mapping", pk=job.pk)
        return render(request, "dataio/upload.html", {"form": form}, status=400)
    initial = {"entity": request.GET.get("entity")} if request.GET.get("entity") else None
    return render(request, "dataio/upload.html", {"form": UploadForm(initial=initial)})


@admin_only
@require_http_methods(["GET", "POST"])
def mapping(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    job = _job(pk)
    if job.status != JobStatus.UPLOADED:
        return redirect("dataio:job", pk=job.pk)
    # the encoding the person chose to see the preview in (the form's select), else detected
    chosen = request.POST.get("encoding", "")
    encoding_error = None
    if chosen not in dict(encodings.CHOICES):
        chosen = ""
    try:
        preview = preview_rows(job.file.path, encoding=chosen)
    except ImportFileError as exc:
        if not chosen:
            import_job_fail(job=job, message=exc.message)
            return redirect("dataio:job", pk=job.pk)
        encoding_error = exc.message  # the chosen encoding does not fit: show the detected one
        preview = preview_rows(job.file.path)
    suggested = suggest_mapping(entity=job.entity, header=preview.header)
    status = 200
    if request.method == "POST":
        form = MappingForm(
            request.POST, entity=job.entity, header=preview.header, suggested=suggested
        )
        if encoding_error:
            form.add_error("encoding", encoding_error)
            status = 400
        elif "show_preview" in request.POST:
            # the preview again, in the chosen encoding; nothing starts
            form = MappingForm(
                initial={**request.POST.dict(), "encoding": chosen},
                entity=job.entity,
                header=preview.header,
                suggested=suggested,
            )
        elif form.is_valid():
            try:
                import_job_start(
                    job=job,
                    mapping=form.mapping(),
                    dry_run=form.cleaned_data["dry_run"],
                    skip_bad_rows=form.cleaned_data["skip_bad_rows"],
                )
            except DomainError as exc:
                if exc.code == "state":
                    return redirect("dataio:job", pk=job.pk)
                form.add_error(None, exc.message)
            else:
                return redirect("dataio:job", pk=job.pk)
            status = 400
        else:
            status = 400
    else:
        form = MappingForm(
            initial={"encoding": ""}, entity=job.entity, header=preview.header, suggested=suggested
        )
    spec = ENTITIES[job.entity]
    columns = form.column_fields()
    context = {
        "job": job,
        "entity_label": entity_label(job.entity),
        "preview": preview,
        "form": form,
        "columns": columns,
        "rows": [[row[index] for index, _name, _select in columns] for row in preview.rows],
        "preview_limit": PREVIEW_ROWS,
        "separator": _("tab") if preview.delimiter == "\t" else preview.delimiter,
        "required_fields": [f.name for f in spec.fields if f.required],
    }
    return render(request, "dataio/mapping.html", context, status=status)


def _job_context(job: ImportJob) -> dict:
    return {
        "job": job,
        "entity_label": entity_label(job.entity),
        "can_rerun": import_job_can_rerun(job),
    }


@admin_only
@require_GET
def job(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    import_jobs_reap(quick=True)
    job = _job(pk)
    if job.status == JobStatus.UPLOADED:
        return redirect("dataio:mapping", pk=job.pk)
    context = _job_context(job)
    if not job.finished:
        context["worker_missing"] = worker_missing_for()
    return render(request, "dataio/job.html", context)


@admin_only
@require_POST
def job_rerun(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """Run a failed import again: the same file, the same mapping and options."""
    try:
        import_job_rerun(job=_job(pk), user=request.user)
    except DomainError as exc:
        return bad_request(request, exc.message)
    messages.info(request, _("The import has been queued again."))
    return redirect("dataio:job", pk=pk)


@admin_only
@require_GET
def job_progress(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """The status block of the job page, polled by htmx every second until the job ends."""
    return render(request, "dataio/_job_status.html", _job_context(_job(pk)))


@admin_only
@require_GET
def job_errors(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    job = _job(pk)
    if not job.error_report:
        raise Http404
    try:
        handle = job.error_report.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"import-{job.pk}-errors.csv",
        content_type="text/csv; charset=utf-8",
    )


# --- export --------------------------------------------------------------------------------


@bulk_exporters_only
@require_GET
def export(request: AuthedHttpRequest) -> HttpResponseBase:
    return render(request, "dataio/export.html", {"form": ExportForm()})


@bulk_exporters_only
@require_GET
def export_download(request: AuthedHttpRequest) -> HttpResponseBase:
    form = ExportForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "dataio/export.html",
            {"form": form, "problem": _form_problems(form)},
            status=400,
        )
    entity, fmt = form.cleaned_data["entity"], form.cleaned_data["format"]
    require(request.user, export_permission(entity))
    if export_is_big(entity=entity, user=request.user):
        # too many rows to wait for: a background job writes the file (decision 60)
        job = export_job_create(user=request.user, entity=entity, fmt=fmt)
        return redirect("dataio:export_job", pk=job.pk)
    filename = f"{entity}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            export_csv_logged(entity=entity, user=request.user, channel=ExportChannel.WEB),
            content_type=CSV_TYPE,
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return FileResponse(
        export_xlsx_logged(entity=entity, user=request.user, channel=ExportChannel.WEB),
        as_attachment=True,
        filename=filename,
        content_type=XLSX_TYPE,
    )


def _export_job(request: AuthedHttpRequest, pk: int) -> ExportJob:
    """The export job ``pk``, else a 404. Only bulk exporters reach these pages (they see every
    row of the entities they may export), as on the export log."""
    job = ExportJob.objects.filter(pk=pk).first()
    if job is None:
        raise Http404(_("No such export."))
    return job


@bulk_exporters_only
@require_GET
def export_job(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    """A big export's progress, then its download link."""
    export_jobs_reap(quick=True)
    job = _export_job(request, pk)
    context = {"job": job, "entity_label": entity_label(job.entity)}
    if not job.finished:
        context["worker_missing"] = worker_missing_for()
    return render(request, "dataio/export_job.html", context)


@bulk_exporters_only
@require_GET
def export_job_file(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    job = _export_job(request, pk)
    if job.status != JobStatus.DONE or not job.file:
        raise Http404(_("The file of this export is not ready or no longer kept."))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file of this export is no longer kept.")) from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=job.file_name,
        content_type=XLSX_TYPE if job.format == "xlsx" else CSV_TYPE,
    )


@bulk_exporters_only
@require_GET
def export_log(request: AuthedHttpRequest) -> HttpResponseBase:
    """Every bulk export (web, API, command line): who, what, when, how many rows."""
    paginator = Paginator(export_logs_recent(), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.entity_label = entity_label(entry.entity)
    return render(request, "dataio/export_log.html", {"page": page})
