from django.urls import path

from lianfang.cases.views import alerts, care, cases
from lianfang.cases.views import isolation as views_isolation

app_name = "cases"

urlpatterns = [
    path("", cases.case_list, name="list"),
    path("export/", cases.case_export, name="export"),
    path("new/", cases.case_create, name="create"),
    path("<int:pk>/", cases.case_detail, name="detail"),
    path("<int:pk>/edit/", cases.case_edit, name="edit"),
    path("<int:pk>/status/", cases.case_transition, name="transition"),
    path("<int:pk>/phone/", cases.case_reveal_phone, name="reveal-phone"),
    path("<int:pk>/contacts/new/", cases.contact_add, name="contact-add"),
    path("<int:pk>/contacts/suggested/", cases.contacts_add_suggested, name="add-suggested"),
    path("<int:pk>/graph/", cases.contact_graph, name="graph"),
    path("contacts/<int:pk>/become-case/", cases.contact_become_case, name="contact-become-case"),
    path("contacts/<int:pk>/delete/", cases.contact_delete, name="contact-delete"),
    path("isolations/", views_isolation.isolation_list, name="isolations"),
    path("isolations/new/", views_isolation.isolation_create, name="isolation-create"),
    path("isolations/<int:pk>/", views_isolation.isolation_detail, name="isolation-detail"),
    path("isolations/<int:pk>/end/", views_isolation.isolation_change_end, name="isolation-end"),
    path("isolations/<int:pk>/release/", views_isolation.isolation_release, name="isolation-release"),
    path("isolations/<int:pk>/followup/", views_isolation.followup_record, name="followup-record"),
    path("followups/", views_isolation.followups_today, name="followups"),
    path("care/", care.care_list, name="care"),
    path("care/new/", care.care_assign, name="care-assign"),
    path("care/<int:pk>/", care.care_detail, name="care-detail"),
    path("care/<int:pk>/end/", care.care_end, name="care-end"),
    path("care/needs/<int:pk>/settle/", care.care_settle, name="care-settle"),
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/<int:pk>/", alerts.alert_detail, name="alert-detail"),
]
