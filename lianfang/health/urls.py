"""Pages of the health app, mounted at /health/."""

from django.urls import path

from lianfang.health import views

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
]
