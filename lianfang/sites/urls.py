"""Pages of the sites app, under /sites/."""

from django.urls import path

from lianfang.sites import views

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
]
