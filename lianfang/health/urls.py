"""Pages of the health app, mounted at /health/."""

from django.urls import path

from lianfang.health import risk_views, views

app_name = "health"
urlpatterns = [
    # The link (and QR code) units share in their chat group; signing in comes back here.
    path("checkin/", views.checkin, name="checkin"),
    path("checkin/same/", views.checkin_same, name="checkin-same"),
    path("checkins/<int:pk>/", views.checkin_detail, name="checkin-detail"),
    path("divisions/", views.division_options, name="divisions"),
    path("proxy/", views.proxy, name="proxy"),
    path("completion/", views.completion, name="completion"),
    path("non-reporters/", views.non_reporters, name="non-reporters"),
    path("flagged/", views.flagged, name="flagged"),
    path("questions/", views.question_list, name="questions"),
    path("questions/new/", views.question_form, name="question-create"),
    path("questions/<int:pk>/edit/", views.question_form, name="question-edit"),
    path("questions/<int:pk>/active/", views.question_active, name="question-active"),
    # Employee accounts (lianfang/people/activation.py)
    path("activation/", views.activation_list, name="activation"),
    path("activation/print/", views.activation_print, name="activation-print"),
    path("activate/<int:person_id>/<str:token>/", views.activate, name="activate"),
    # Risk areas, epidemiological history and the personal health status (issue 4; risk_views.py)
    path("risk-areas/", risk_views.risk_list, name="risk-areas"),
    path("risk-areas/new/", risk_views.risk_form, name="risk-area-create"),
    path("risk-areas/<int:pk>/edit/", risk_views.risk_form, name="risk-area-edit"),
    path("risk-areas/<int:pk>/lift/", risk_views.risk_lift, name="risk-area-lift"),
    path("risk-areas/<int:pk>/delete/", risk_views.risk_delete, name="risk-area-delete"),
    path("risk-areas/import/", risk_views.risk_import, name="risk-import"),
    path("risk-areas/import/template/", risk_views.risk_import_template, name="risk-import-template"),
    path("risk-areas/export/", risk_views.risk_export, name="risk-export"),
    path("status/", risk_views.status_board, name="status-board"),
    path("status/people/", risk_views.status_people, name="status-people"),
    path("status/return-to-work/", risk_views.status_return, name="status-return"),
    path("status/rules/", risk_views.status_rules, name="status-rules"),
    path("status/rules/new/", risk_views.status_rule_form, name="status-rule-create"),
    path("status/rules/<int:pk>/edit/", risk_views.status_rule_form, name="status-rule-edit"),
    path("status/rules/<int:pk>/move/", risk_views.status_rule_move, name="status-rule-move"),
    path("status/rules/<int:pk>/active/", risk_views.status_rule_active, name="status-rule-active"),
    path("status/recompute/", risk_views.status_recompute, name="status-recompute"),
    path("history/", risk_views.my_history, name="my-history"),
    path("people/<int:pk>/history/", risk_views.person_history, name="person-history"),
    path("people/<int:person_pk>/trips/new/", risk_views.trip_form, name="trip-create"),
    path("trips/<int:pk>/edit/", risk_views.trip_form, name="trip-edit"),
    path("trips/<int:pk>/delete/", risk_views.trip_delete, name="trip-delete"),
]
