from django.urls import path

from . import sales_views, territory_views, transaction_views, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", views.portfolio, name="portfolio"),
    path("accounts/<int:pk>/", views.account, name="account"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/history/", views.account_history, name="account_history"),
    path("settings/language/", views.set_language, name="set_language"),
    path(
        "accounts/<int:pk>/transactions/",
        transaction_views.account_transactions,
        name="account_transactions",
    ),
    path(
        "accounts/<int:pk>/opportunities/",
        sales_views.account_opportunities_view,
        name="account_opportunities",
    ),
    path(
        "accounts/<int:pk>/supplier-position/",
        sales_views.account_position,
        name="account_position",
    ),
    path("territories/", territory_views.territories, name="territories"),
    path("territories/new/", territory_views.territory_edit, name="territory_create"),
    path("territories/<int:pk>/", territory_views.territory_edit, name="territory_edit"),
    path(
        "transactions/<int:pk>/edit/", transaction_views.transaction_edit, name="transaction_edit"
    ),
    path(
        "transactions/<int:pk>/delete/",
        transaction_views.transaction_delete,
        name="transaction_delete",
    ),
]
