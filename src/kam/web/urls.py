from django.urls import path

from . import (
    cost_views,
    modes,
    my_accounts,
    notification_views,
    price_views,
    profile_views,
    rate_views,
    sales_views,
    territory_views,
    transaction_views,
    views,
)

app_name = "web"
urlpatterns = [
    path("", my_accounts.home, name="home"),
    path("my-accounts/", my_accounts.my_accounts, name="my_accounts"),
    path("my-accounts/inbox/", my_accounts.inbox_panel, name="inbox"),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/menu/", notification_views.notifications_menu, name="notifications_menu"),
    path("notifications/read/", notification_views.notifications_read, name="notifications_read"),
    path("accounts/", views.portfolio, name="portfolio"),
    path("accounts/<int:pk>/", views.account, name="account"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/sales-view/", modes.account_lean, name="account_lean"),
    path("modes/", modes.modes, name="modes"),
    path("accounts/<int:pk>/history/", views.account_history, name="account_history"),
    path("settings/language/", views.set_language, name="set_language"),
    path("accounts/<int:pk>/goals/", profile_views.account_goals, name="account_goals"),
    path(
        "accounts/<int:pk>/goals/sources/",
        profile_views.account_goal_sources,
        name="account_goal_sources",
    ),
    path("goals/<int:pk>/", profile_views.account_goal_edit, name="account_goal_edit"),
    path(
        "accounts/<int:pk>/buying-process/",
        profile_views.account_buying_process,
        name="account_buying_process",
    ),
    path("contacts/<int:pk>/", profile_views.contact, name="contact"),
    path(
        "accounts/<int:pk>/key-account/<str:step>/",
        profile_views.key_account_step,
        name="key_account_step",
    ),
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
        "accounts/<int:pk>/opportunities/new/",
        sales_views.opportunity_edit,
        name="opportunity_create",
    ),
    path(
        "accounts/<int:pk>/opportunities/<int:opportunity_pk>/",
        sales_views.opportunity_edit,
        name="opportunity_edit",
    ),
    path(
        "accounts/<int:pk>/supplier-position/",
        sales_views.account_position,
        name="account_position",
    ),
    path("accounts/<int:pk>/costs-to-serve/", cost_views.account_costs, name="account_costs"),
    path(
        "accounts/<int:pk>/costs-to-serve/<int:cost_pk>/",
        cost_views.cost_edit,
        name="cost_edit",
    ),
    path(
        "accounts/<int:pk>/costs-to-serve/<int:cost_pk>/delete/",
        cost_views.cost_delete,
        name="cost_delete",
    ),
    path("price-list/", price_views.prices, name="prices"),
    path("price-list/new/", price_views.price_edit, name="price_create"),
    path("price-list/<int:pk>/", price_views.price_edit, name="price_edit"),
    path("price-list/<int:pk>/delete/", price_views.price_delete, name="price_delete"),
    path("currency-rates/", rate_views.rates, name="rates"),
    path("currency-rates/new/", rate_views.rate_edit, name="rate_create"),
    path("currency-rates/<int:pk>/", rate_views.rate_edit, name="rate_edit"),
    path("currency-rates/<int:pk>/delete/", rate_views.rate_delete, name="rate_delete"),
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
