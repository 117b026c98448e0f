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
            request.LANGUAGE_CODE = user.language
            # restored afterwards: the thread serves the next request in the language it asks
            with translation.override(user.language):
                response = self.get_response(request)
                response.headers.setdefault("Content-Language", user.language)
            return response
        return self.get_response(request)
