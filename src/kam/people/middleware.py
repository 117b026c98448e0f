"""Activate the interface language the signed-in user chose."""

from django.conf import settings
from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.allowed = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language in self.allowed:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
