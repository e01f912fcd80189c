"""Pages of the notify app."""

from django.urls import path  # noqa: F401

app_name = "notify"
urlpatterns: list = []
