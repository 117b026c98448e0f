import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
application = get_wsgi_application()

from kam.core.runtime import settle, warm  # noqa: E402 - after the application is loaded

warm()
settle()
