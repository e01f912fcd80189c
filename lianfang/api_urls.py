"""The REST API under /api/v1/ (docs/api.md). Reverse names are ``api:<basename>-list`` / ``-detail``."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from lianfang.accounts.api import TokenView  # the token endpoint asks for the second factor too
from lianfang.cases import api as cases_api
from lianfang.command import api as command_api
from lianfang.core.api import AuditEventViewSet, JobViewSet, ObjectChangeViewSet
from lianfang.donations import api as donations_api
from lianfang.duty import api as duty_api
from lianfang.health import api as health_api
from lianfang.materials import api as materials_api
from lianfang.notify import api as notify_api
from lianfang.org.api import RoleAssignmentViewSet, UnitKindViewSet, UnitViewSet
from lianfang.outings import api as outings_api
from lianfang.people.api import PersonViewSet, TagViewSet
from lianfang.privacy import api as privacy_api
from lianfang.reporting import api as reporting_api
from lianfang.sites import api as sites_api
from lianfang.status import api as status_api

app_name = "api"

router = DefaultRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("unit-kinds", UnitKindViewSet, basename="unitkind")
router.register("role-assignments", RoleAssignmentViewSet, basename="roleassignment")
router.register("people", PersonViewSet, basename="person")
router.register("tags", TagViewSet, basename="tag")
router.register("audit/changes", ObjectChangeViewSet, basename="objectchange")
router.register("audit/events", AuditEventViewSet, basename="auditevent")
router.register("jobs", JobViewSet, basename="job")
for app_api in (
    health_api,
    status_api,
    reporting_api,
    notify_api,
    privacy_api,
    cases_api,
    duty_api,
    command_api,
    outings_api,
    sites_api,
    materials_api,
    donations_api,
):
    app_api.register(router)

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    *router.urls,
]
