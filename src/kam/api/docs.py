"""Interactive API docs served from the Swagger UI files that ship inside django-ninja.

ninja's own Swagger page loads its assets from a CDN unless ``ninja`` is an installed app; the
app must work without internet, so the page and its assets are served here, from the package.
"""

from pathlib import Path

import ninja
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

ASSET_DIR = Path(ninja.__file__).resolve().parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}


class LocalSwagger(DocsBase):
    settings = {"layout": "BaseLayout", "deepLinking": True, "persistAuthorization": False}

    def render_page(self, request: HttpRequest, api, **kwargs):
        config = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(
            request,
            "api/docs.html",
            {"api": api, "swagger_settings": config, "add_csrf": True},
        )


def asset(request: HttpRequest, name: str):
    if name not in ASSETS:
        raise Http404
    response = FileResponse((ASSET_DIR / name).open("rb"), content_type=ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response
