"""Pages of the sites app, under /sites/."""

from django.urls import path

from lianfang.sites import views
from lianfang.sites.views import gate, visitors

app_name = "sites"
urlpatterns = [
    path("disinfection/", views.overview, name="disinfection"),
    path("disinfection/sites/<int:pk>/", views.site_day, name="site-day"),
    path("disinfection/sites/<int:pk>/print/", views.site_print, name="site-print"),
    path("disinfection/sites/<int:pk>/terminal/", views.terminal_open, name="terminal-open"),
    path("disinfection/rounds/<int:pk>/start/", views.round_start, name="round-start"),
    path("disinfection/rounds/<int:pk>/finish/", views.round_finish, name="round-finish"),
    path("disinfection/rounds/<int:pk>/record/", views.round_record, name="round-record"),
    path("disinfection/rounds/<int:pk>/cancel/", views.round_cancel, name="round-cancel"),
    path("disinfection/records/<int:pk>/photo/", views.log_photo, name="log-photo"),
    path("disinfection/plans/", views.plans, name="plans"),
    path("disinfection/plans/<int:pk>/", views.plan_edit, name="plan-edit"),
    path("disinfection/disinfectants/", views.agents, name="agents"),
    path("disinfection/disinfectants/<int:pk>/", views.agent_edit, name="agent-edit"),
    path("checkpoints/", gate.checkpoints, name="checkpoints"),
    path("checkpoints/<int:pk>/edit/", gate.checkpoint_edit, name="checkpoint-edit"),
    path("checkpoints/<int:pk>/gate/", gate.gate, name="gate"),
    path("checkpoints/<int:pk>/gate/check/", gate.gate_check, name="gate-check"),
    path("checkpoints/<int:pk>/gate/upload/", gate.gate_upload, name="gate-upload"),
    path("checkpoints/<int:pk>/gate/keys/", gate.gate_keys, name="gate-keys"),
    path("entries/", gate.entries, name="entries"),
    path("pass/", gate.my_pass, name="my-pass"),
    path("pass/token/", gate.my_pass_token, name="my-pass-token"),
    path("units/<int:pk>/cards/", gate.cards_print, name="cards-print"),
    path("pass-keys/", gate.pass_keys, name="pass-keys"),
    path("visitors/", visitors.my_visitors, name="visitors"),
    path("visitors/<int:pk>/cancel/", visitors.visit_cancel, name="visit-cancel"),
    path("visitors/<int:pk>/phone/", visitors.visit_phone, name="visit-phone"),
    path("visitors/sites/<int:pk>/", visitors.site_visitors, name="site-visitors"),
    path("checkpoints/<int:pk>/walk-in/", visitors.walk_in, name="walk-in"),
]

# The visitor's own page, without an account: /v/<slug>/ (a short link to send by text message).
public_urlpatterns = [
    path("<slug:slug>/", visitors.declare, name="declare"),
]
