"""Pages of the status app. They keep the addresses and names they had inside the health app
(/health/status/…, ``health:status-board``): lianfang/urls.py mounts them in the "health" namespace."""

from django.urls import path

from lianfang.status import views

urlpatterns = [
    path("status/", views.status_board, name="status-board"),
    path("status/people/", views.status_people, name="status-people"),
    path("status/return-to-work/", views.status_return, name="status-return"),
    path("status/rules/", views.status_rules, name="status-rules"),
    path("status/rules/new/", views.status_rule_form, name="status-rule-create"),
    path("status/rules/<int:pk>/edit/", views.status_rule_form, name="status-rule-edit"),
    path("status/rules/<int:pk>/move/", views.status_rule_move, name="status-rule-move"),
    path("status/rules/<int:pk>/active/", views.status_rule_active, name="status-rule-active"),
    path("status/recompute/", views.status_recompute, name="status-recompute"),
    path("history/", views.my_history, name="my-history"),
    path("people/<int:pk>/history/", views.person_history, name="person-history"),
]
