"""Personal API tokens in the web UI: list, create (the secret is shown once), revoke."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kam.core.errors import DomainError
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import is_internal

from .models import TokenScope
from .selectors import tokens_for_user
from .services import token_create, token_revoke

MAX_EXPIRY_DAYS = 3650


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text=gettext_lazy("What the token is for, for example “Monthly report script”."),
    )
    scope = forms.ChoiceField(
        label=pgettext_lazy("api token", "Access"),
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=gettext_lazy("Read only is enough for reports and exports."),
    )
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        help_text=gettext_lazy("Leave empty for a token that does not expire."),
    )


def _require_internal(request: AuthedHttpRequest) -> None:
    if not is_internal(request.user):
        raise PermissionDenied


def _page(
    request: AuthedHttpRequest, form: TokenForm, *, status: int = 200, **extra: object
) -> HttpResponse:
    context = {
        "tokens": tokens_for_user(user=request.user),
        "form": form,
        "now": timezone.now(),
        "api_url": request.build_absolute_uri(reverse("api:api-root")),
        **extra,
    }
    return render(request, "api/tokens.html", context, status=status)


@login_required
@require_GET
def token_list(request: AuthedHttpRequest) -> HttpResponse:
    _require_internal(request)
    return _page(request, TokenForm())


@login_required
@require_POST
def token_new(request: AuthedHttpRequest) -> HttpResponse:
    _require_internal(request)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    days = form.cleaned_data["expires_in_days"]
    try:
        token, secret = token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires=timezone.now() + dt.timedelta(days=days) if days else None,
        )
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _page(request, form, status=400)
    # The secret is in this response only: it is never stored, so it must not be cached either.
    response = _page(request, TokenForm(), created=token, secret=secret)
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def token_revoke_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require_internal(request)
    token = get_object_or_404(tokens_for_user(user=request.user), pk=pk)
    token_revoke(token=token)
    messages.success(
        request, _("Token “%(name)s” revoked; it no longer opens the API.") % {"name": token.name}
    )
    return redirect("tokens:list")
