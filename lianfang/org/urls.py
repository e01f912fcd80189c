from django.urls import path

from lianfang.org import views

app_name = "org"
urlpatterns = [
    path("", views.unit_tree, name="tree"),
    path("settings/", views.group_settings, name="settings"),
    path("new/", views.unit_create, name="create"),
    path("<int:pk>/", views.unit_detail, name="detail"),
    path("<int:pk>/edit/", views.unit_edit, name="edit"),
    path("<int:pk>/move/", views.unit_move, name="move"),
    path("<int:pk>/active/", views.unit_set_active, name="set-active"),
    path("<int:pk>/roles/", views.role_assign, name="role-assign"),
    path("roles/<int:pk>/revoke/", views.role_revoke, name="role-revoke"),
]
