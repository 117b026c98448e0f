"""Pages of account plans, under ``/plans/``."""

from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.plans, name="plans"),
    path("actions/", views.actions, name="actions"),
    path("account/<int:pk>/", views.account_plan, name="account_plan"),
    path("account/<int:pk>/new/", views.plan_create, name="plan_create"),
    path("<int:pk>/", views.plan, name="plan"),
    path("<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("<int:pk>/diff/", views.plan_diff, name="plan_diff"),
    path("<int:pk>/review/", views.plan_review, name="plan_review"),
    path("<int:pk>/steps/<slug:step>/", views.plan_step, name="plan_step"),
    path("<int:pk>/sections/<slug:section>/", views.section_add, name="section_add"),
    path(
        "<int:pk>/sections/<slug:section>/<int:item>/delete/",
        views.section_delete,
        name="section_delete",
    ),
    path("<int:pk>/objectives/new/", views.objective_add, name="objective_add"),
    path("<int:pk>/actions/new/", views.action_add, name="action_add"),
    path("objectives/<int:pk>/", views.objective_edit, name="objective_edit"),
    path("objectives/<int:pk>/value/", views.objective_value, name="objective_value"),
    path("actions/<int:pk>/", views.action_edit, name="action_edit"),
    path("actions/<int:pk>/interaction/", views.action_interaction, name="action_interaction"),
]
