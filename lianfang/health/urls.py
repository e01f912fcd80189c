"""Pages of the health app, mounted at /health/ in the "health" namespace (which also holds the
status app's pages: lianfang/urls.py)."""

from django.urls import path

from lianfang.health.views import activation, checkins, questions, risk_areas, trips

app_name = "health"
urlpatterns = [
    # The link (and QR code) units share in their chat group; signing in comes back here.
    path("checkin/", checkins.checkin, name="checkin"),
    path("checkin/same/", checkins.checkin_same, name="checkin-same"),
    path("checkins/<int:pk>/", checkins.checkin_detail, name="checkin-detail"),
    path("divisions/", checkins.division_options, name="divisions"),
    path("proxy/", checkins.proxy, name="proxy"),
    path("completion/", checkins.completion, name="completion"),
    path("non-reporters/", checkins.non_reporters, name="non-reporters"),
    path("flagged/", checkins.flagged, name="flagged"),
    path("questions/", questions.question_list, name="questions"),
    path("questions/new/", questions.question_form, name="question-create"),
    path("questions/<int:pk>/edit/", questions.question_form, name="question-edit"),
    path("questions/<int:pk>/active/", questions.question_active, name="question-active"),
    # Employee accounts (lianfang/people/activation.py)
    path("activation/", activation.activation_list, name="activation"),
    path("activation/print/", activation.activation_print, name="activation-print"),
    path("activate/<int:person_id>/<str:token>/", activation.activate, name="activate"),
    # Risk areas and trips (the status pages and a person's history come from the status app: lianfang/urls.py)
    path("risk-areas/", risk_areas.risk_list, name="risk-areas"),
    path("risk-areas/new/", risk_areas.risk_form, name="risk-area-create"),
    path("risk-areas/<int:pk>/edit/", risk_areas.risk_form, name="risk-area-edit"),
    path("risk-areas/<int:pk>/lift/", risk_areas.risk_lift, name="risk-area-lift"),
    path("risk-areas/<int:pk>/delete/", risk_areas.risk_delete, name="risk-area-delete"),
    path("risk-areas/import/", risk_areas.risk_import, name="risk-import"),
    path("risk-areas/import/template/", risk_areas.risk_import_template, name="risk-import-template"),
    path("risk-areas/export/", risk_areas.risk_export, name="risk-export"),
    path("people/<int:person_pk>/trips/new/", trips.trip_form, name="trip-create"),
    path("trips/<int:pk>/edit/", trips.trip_form, name="trip-edit"),
    path("trips/<int:pk>/delete/", trips.trip_delete, name="trip-delete"),
]
