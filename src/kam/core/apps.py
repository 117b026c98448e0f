from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import class_prepared

from . import choices, dbsessions, files

# Connected as this module is imported, before any model class is built (Django imports every
# application's configuration first, then the models): each class gets the quick labels.
class_prepared.connect(choices.quick_display, dispatch_uid="kam-quick-display")


class CoreConfig(AppConfig):
    name = "kam.core"
    label = "core"

    def ready(self) -> None:
        # Imported for its side effect (registering the rules) once at start-up, before the
        # first permission check, whoever imports it first: Django's place for that is ready().
        from . import permissions  # noqa: F401  (registers the rules)

        # The database file is the owner's alone (trust): checked as each connection opens.
        connection_created.connect(files.sqlite_files_owner_only, dispatch_uid="kam-owner-only")
        # Prepared statements kept per PostgreSQL connection (decision 134).
        connection_created.connect(
            dbsessions.postgres_prepared_cache, dispatch_uid="kam-prepared-cache"
        )
