"""The OpenKAM REST API (``/api/v1/``): one NinjaAPI, each domain app contributes a router."""

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from kam.alerts.api import router as alerts_router
from kam.core.api import errors
from kam.customers.api import router as customers_router
from kam.field.api import router as field_router
from kam.health.api import router as health_router
from kam.identification.api import router as identification_router
from kam.interactions.api import router as interactions_router
from kam.interactions.capture.api import router as capture_router
from kam.people.api import router as people_router
from kam.people.territory_api import router as territory_router
from kam.planning.api import router as planning_router
from kam.planning.export_api import router as plan_export_router
from kam.planning.profile.api import router as profile_router
from kam.planning.whitespace_api import router as whitespace_router
from kam.programme.api import router as programme_router
from kam.relationships.api import router as relationships_router
from kam.relationships.map_api import router as relationship_map_router
from kam.sales.api import router as sales_router
from kam.teams.api import router as teams_router

from .auth import API_AUTH
from .docs import LocalSwagger, asset
from .export import router as export_router

api = NinjaAPI(
    title="OpenKAM API",
    version="1",
    description=str(
        _(
            "Key account data in and out. Authenticate with a personal token: "
            "'Authorization: Bearer <token>' (create one with 'kam api-token create'). "
            "Lists are paged with ?limit= and ?after=<the 'next' cursor of the previous page>."
        )
    ),
    urls_namespace="api",
    auth=API_AUTH,
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)

api.add_router("/", customers_router)
api.add_router("/", sales_router)
api.add_router("/", interactions_router)
api.add_router("/", capture_router)
api.add_router("/", identification_router)
api.add_router("/", relationships_router)
api.add_router("/", teams_router)
api.add_router("/", field_router)
api.add_router("/", planning_router)
api.add_router("/", relationship_map_router)
api.add_router("/", export_router)
api.add_router("/", whitespace_router)
api.add_router("/", plan_export_router)
api.add_router("/", people_router)
api.add_router("/", territory_router)
api.add_router("/", profile_router)
api.add_router("/", alerts_router)
api.add_router("/", programme_router)
api.add_router("/", health_router)


@api.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs-asset")
def docs_asset(request, name: str):
    return asset(request, name)
