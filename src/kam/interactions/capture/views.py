"""The capture pages: a rep uploads their own calendar or mail file, previews, confirms.

Thin: the services read, match and write; the upload is the user's own (another user's upload
is not found), and every write needs ``kam.log_interaction`` (adding a contact also the right
to change the unit's account).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import require, visible
from kam.customers.models import Unit

from ..models import CaptureUpload
from .forms import CaptureContactForm, CaptureUploadForm
from .services import (
    Summary,
    capture_contact_add,
    capture_import,
    capture_upload_create,
    capture_upload_import,
    capture_upload_read,
)

LOG = "kam.log_interaction"
UNIT_CHOICES = 50


def _own_upload(request: AuthedHttpRequest, pk: int) -> CaptureUpload:
    require(request.user, LOG)
    upload = CaptureUpload.objects.filter(pk=pk, created_by=request.user).first()
    if upload is None:
        raise Http404
    return upload


@login_required
@require_http_methods(["GET", "POST"])
def capture(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, LOG)
    form = CaptureUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                kept = capture_upload_create(
                    user=request.user,
                    filename=upload.name,
                    data=upload.read(),
                    since=form.cleaned_data["since_at"],
                    until=form.cleaned_data["until_at"],
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect("interactions:capture_preview", pk=kept.pk)
        return render(request, "interactions/capture.html", {"form": form}, status=400)
    recent = CaptureUpload.objects.filter(created_by=request.user)[:10]
    return render(request, "interactions/capture.html", {"form": form, "recent": recent})


def _unit_choices(request: AuthedHttpRequest, summary: Summary) -> list[Unit]:
    """Units to add an unknown address at: those its items matched, then the user's accounts."""
    suggested = {u for entry in summary.unmatched.values() for u in entry.unit_ids}
    units = visible(request.user, Unit.objects.filter(pk__in=sorted(suggested)[:UNIT_CHOICES]))
    mine = visible(request.user, Unit.objects.filter(account_manager=request.user))
    return list((units | mine).distinct().order_by("name")[:UNIT_CHOICES])


@login_required
@require_http_methods(["GET"])
def capture_preview(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    upload = _own_upload(request, pk)
    try:
        summary = capture_import(
            files=[(upload.filename, capture_upload_read(upload))],
            user=request.user,
            since=upload.since,
            until=upload.until,
            dry_run=True,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("interactions:capture")
    unmatched = sorted(summary.unmatched.values(), key=lambda u: (-u.items, u.email))
    return render(
        request,
        "interactions/capture_preview.html",
        {
            "upload": upload,
            "summary": summary,
            "unmatched": unmatched,
            "units": _unit_choices(request, summary),
        },
    )


@login_required
@require_POST
def capture_confirm(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    upload = _own_upload(request, pk)
    try:
        summary = capture_upload_import(upload=upload, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("interactions:capture_preview", pk=upload.pk)
    messages.success(
        request,
        _("%(new)s interactions logged, %(updated)s gained participants.")
        % {"new": summary.matched, "updated": summary.updated},
    )
    return redirect("interactions:capture_preview", pk=upload.pk)


@login_required
@require_POST
def capture_contact(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    upload = _own_upload(request, pk)
    form = CaptureContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("interactions:capture_preview", pk=upload.pk)
    unit = visible(request.user, Unit.objects.filter(pk=form.cleaned_data["unit"])).first()
    if unit is None:
        raise Http404
    require(request.user, "kam.change_account", unit)
    try:
        contact = capture_contact_add(
            email=form.cleaned_data["email"], name=form.cleaned_data["name"], unit=unit
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(contact)s added at %(unit)s; the file is matched again.")
            % {"contact": contact, "unit": unit},
        )
    return redirect("interactions:capture_preview", pk=upload.pk)
