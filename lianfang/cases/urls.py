from django.urls import path

from lianfang.cases import views, views_isolation

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("export/", views.case_export, name="export"),
    path("new/", views.case_create, name="create"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/edit/", views.case_edit, name="edit"),
    path("<int:pk>/status/", views.case_transition, name="transition"),
    path("<int:pk>/phone/", views.case_reveal_phone, name="reveal-phone"),
    path("<int:pk>/contacts/new/", views.contact_add, name="contact-add"),
    path("<int:pk>/contacts/suggested/", views.contacts_add_suggested, name="add-suggested"),
    path("<int:pk>/graph/", views.contact_graph, name="graph"),
    path("contacts/<int:pk>/become-case/", views.contact_become_case, name="contact-become-case"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact-delete"),
    path("isolations/", views_isolation.isolation_list, name="isolations"),
    path("isolations/new/", views_isolation.isolation_create, name="isolation-create"),
    path("isolations/<int:pk>/", views_isolation.isolation_detail, name="isolation-detail"),
    path("isolations/<int:pk>/end/", views_isolation.isolation_change_end, name="isolation-end"),
    path("isolations/<int:pk>/release/", views_isolation.isolation_release, name="isolation-release"),
    path("isolations/<int:pk>/followup/", views_isolation.followup_record, name="followup-record"),
    path("followups/", views_isolation.followups_today, name="followups"),
    path("care/", views_isolation.care_list, name="care"),
    path("care/new/", views_isolation.care_assign, name="care-assign"),
    path("care/<int:pk>/", views_isolation.care_detail, name="care-detail"),
    path("care/<int:pk>/end/", views_isolation.care_end, name="care-end"),
    path("care/needs/<int:pk>/settle/", views_isolation.care_settle, name="care-settle"),
    path("alerts/", views_isolation.alert_list, name="alerts"),
    path("alerts/<int:pk>/", views_isolation.alert_detail, name="alert-detail"),
]
