"""Sales territories: a list and a form to create or change one (administrators)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kam.core import pages
from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import require
from kam.people.models import Territory, User
from kam.people.services import territory_save

ADMINISTER = "kam.administer"
PAGE_SIZE = 50


class TerritoryForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    external_id = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("The territory's code in your other systems (import key)."),
    )
    country = forms.CharField(
        label=gettext_lazy("Country"),
        max_length=80,
        help_text=gettext_lazy("ISO code or name, e.g. DE, DEU or Germany"),
    )
    region = forms.CharField(label=gettext_lazy("Region"), max_length=120, required=False)
    manager = forms.ModelChoiceField(
        label=gettext_lazy("Manager"),
        required=False,
        queryset=User.objects.filter(is_active=True)
        .exclude(role="")
        .order_by("last_name", "first_name", "username"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


@login_required
@require_GET
def territories(request: AuthedHttpRequest) -> HttpResponseBase:
    require(request.user, ADMINISTER)
    try:
        page = pages.page_number(request)
        rows, count, page_total = pages.paginate(
            Territory.objects.select_related("manager").order_by("country", "region", "name"),
            page,
            PAGE_SIZE,
        )
    except pages.BadQuery as exc:
        return pages.bad_request(request, str(exc))
    return render(
        request,
        "web/territories.html",
        {"rows": rows, "count": count, "page": page, "pages": page_total},
    )


@login_required
@require_http_methods(["GET", "POST"])
def territory_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponseBase:
    require(request.user, ADMINISTER)
    territory = get_object_or_404(Territory, pk=pk) if pk is not None else None
    if request.method == "POST":
        form = TerritoryForm(request.POST)
        if form.is_valid():
            try:
                territory_save(territory=territory, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The territory has been saved."))
                return redirect("web:territories")
        return render(
            request, "web/territory_form.html", {"form": form, "territory": territory}, status=400
        )
    initial = {}
    if territory is not None:
        initial = {
            "name": territory.name,
            "external_id": territory.external_id or "",
            "country": territory.country,
            "region": territory.region,
            "manager": territory.manager_id,
        }
    return render(
        request,
        "web/territory_form.html",
        {"form": TerritoryForm(initial=initial), "territory": territory},
    )
