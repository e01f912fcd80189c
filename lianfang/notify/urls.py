"""Pages of the notify app: the inbox, chat-group robots and deliveries."""

from django.urls import path

from lianfang.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("messages/<int:pk>/", views.message_open, name="message"),
    path("messages/read-all/", views.message_read_all, name="read-all"),
    path("robots/", views.robot_list, name="robots"),
    path("robots/add/", views.robot_add, name="robot-add"),
    path("robots/<int:pk>/", views.robot_detail, name="robot"),
    path("robots/<int:pk>/edit/", views.robot_edit, name="robot-edit"),
    path("robots/<int:pk>/delete/", views.robot_delete, name="robot-delete"),
    path("robots/<int:pk>/test/", views.robot_test, name="robot-test"),
    path("deliveries/", views.delivery_list, name="deliveries"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery-retry"),
]
