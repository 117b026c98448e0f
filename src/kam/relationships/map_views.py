"""Pages of the relationship map (issue 13): the map, its graph JSON, the person panel, the
coverage matrix and warm paths. Thin: the permission helper, then a selector, then render."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.pages import bad_request
from kam.core.permissions import get_for_user
from kam.customers.models import Contact, CustomerFunction, Seniority, Unit

from . import map_selectors, paths
from .graph import ATTITUDES, attitude_labels, role_choices
from .services import coverage_matrix_current, map_graph_current, roles_set

VIEW = "kam.view_account"


def _account(request: AuthedHttpRequest, pk: int) -> Unit:
    account: Unit = get_for_user(
        Unit.objects.accounts().select_related("account_manager"), request.user, VIEW, pk=pk
    )
    return account


class MapFilterForm(forms.Form):
    """The filter fields of the map page (the values go to the graph JSON endpoint)."""

    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int)
    function = forms.ChoiceField(label=_("Function"), required=False)
    seniority = forms.ChoiceField(label=_("Seniority"), required=False)
    role = forms.ChoiceField(label=_("Role"), required=False)
    attitude = forms.ChoiceField(label=_("Attitude"), required=False)

    def __init__(self, *args: object, units: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        any_ = [("", _("All"))]
        cast(forms.ChoiceField, self.fields["unit"]).choices = [*any_, *units]
        cast(forms.ChoiceField, self.fields["function"]).choices = [
            *any_,
            *CustomerFunction.choices,
        ]
        cast(forms.ChoiceField, self.fields["seniority"]).choices = [*any_, *Seniority.choices]
        cast(forms.ChoiceField, self.fields["role"]).choices = [*any_, *role_choices()]
        labels = attitude_labels()
        cast(forms.ChoiceField, self.fields["attitude"]).choices = [
            *any_,
            *[(a, labels[a]) for a in ATTITUDES],
            ("unknown", labels[""]),
        ]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


def _filters(request: AuthedHttpRequest) -> dict[str, str]:
    keys = ("unit", "function", "seniority", "role", "attitude")
    return {k: request.GET[k] for k in keys if request.GET.get(k)}


@login_required
@require_GET
def map_page(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = _account(request, pk)
    form = MapFilterForm(request.GET or None, units=map_selectors.account_units(account=account))
    context = {
        "unit": account,
        "form": form,
        "data_url": reverse("relationships_map:map_data", args=[account.pk]),
        "panel_url": reverse("relationships_map:person", args=[account.pk, 0]),
        "coverage_url": reverse("relationships_map:coverage", args=[account.pk]),
    }
    return render(request, "relationships/map.html", context)


@login_required
@require_GET
def map_data(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = _account(request, pk)
    try:
        graph = map_graph_current(
            account=account, filters=_filters(request), cluster=request.GET.get("cluster") or None
        )
    except DomainError as exc:
        return JsonResponse({"detail": str(exc.message)}, status=400)
    return JsonResponse(graph)


@login_required
@require_GET
def person(request: AuthedHttpRequest, pk: int, contact_pk: int) -> HttpResponseBase:
    account = _account(request, pk)
    context = _panel(request, account, contact_pk)
    template = "relationships/map_person.html"
    if not request.htmx:
        template = "relationships/map_person_page.html"
    return render(request, template, context)


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Buying-centre roles"),
        required=False,
        choices=role_choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )


def _panel(
    request: AuthedHttpRequest, account: Unit, contact_pk: int, **extra: object
) -> dict[str, Any]:
    detail = map_selectors.person_detail(account=account, contact_id=contact_pk)
    if detail is None:
        raise Http404
    can_change = request.user.has_perm("kam.change_account", account)
    return {
        "unit": account,
        "detail": detail,
        "can_change": can_change,
        "roles_form": RolesForm(initial={"roles": detail["role_keys"]}) if can_change else None,
        "roles_url": reverse("relationships_map:person_roles", args=[account.pk, contact_pk]),
        "paths_url": reverse("relationships_map:warm_paths", args=[account.pk, contact_pk]),
        **extra,
    }


@login_required
@require_POST
def person_roles(request: AuthedHttpRequest, pk: int, contact_pk: int) -> HttpResponseBase:
    """Set the person's buying-centre roles from the map's panel (``roles_set`` of the
    relationships services); answers with the refreshed panel and tells the map to reload."""
    account = get_for_user(
        Unit.objects.accounts().select_related("account_manager"),
        request.user,
        "kam.change_account",
        pk=pk,
    )
    contact = get_object_or_404(Contact, pk=contact_pk)
    form = RolesForm(request.POST)
    status = 200
    try:
        if not form.is_valid():
            raise DomainError(str(_("Choose roles from the list.")), field="roles")
        roles_set(
            account=account, contact=contact, roles=form.cleaned_data["roles"], actor=request.user
        )
    except DomainError as exc:
        status = 400
        context = _panel(request, account, contact_pk, error=exc.message)
    else:
        context = _panel(request, account, contact_pk, saved=True)
    if not request.htmx:
        if status == 200:
            return redirect(reverse("relationships_map:person", args=[pk, contact_pk]))
        return render(request, "relationships/map_person_page.html", context, status=status)
    response = render(request, "relationships/map_person.html", context, status=status)
    if status == 200:
        response["HX-Trigger"] = "relmap-changed"
    return response


@login_required
@require_GET
def coverage(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    account = _account(request, pk)
    by = request.GET.get("by") or "role"
    try:
        data = coverage_matrix_current(account=account, by=by)
    except DomainError as exc:
        return bad_request(request, str(exc.message))
    if by == "role" and not data["rows"]:
        by = "function"
        data = coverage_matrix_current(account=account, by=by)
    context = {
        "unit": account,
        "data": data,
        "figures": data["figures"],
        "by": by,
        "map_url": reverse("relationships_map:map", args=[account.pk]),
    }
    return render(request, "relationships/map_coverage.html", context)


@login_required
@require_GET
def warm_paths(request: AuthedHttpRequest, pk: int, contact_pk: int) -> HttpResponseBase:
    account = _account(request, pk)
    try:
        data = paths.warm_paths(account=account, contact_id=contact_pk)
    except DomainError as exc:
        if exc.field == "contact":
            raise Http404 from exc
        return bad_request(request, str(exc.message))
    context = {"unit": account, "data": data}
    template = (
        "relationships/map_paths.html" if request.htmx else "relationships/map_paths_page.html"
    )
    return render(request, template, context)
