"""The site's addresses. A namespace is what users and links see, so it keeps its name when the code
behind it is cut into apps: the "health" namespace holds the health app's pages and the status
app's (/health/status/…), the "materials" namespace the materials app's and the donations app's
(/materials/donations/…, /materials/funds/…)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from lianfang.donations import urls as donations_urls
from lianfang.health import urls as health_urls
from lianfang.materials import urls as materials_urls
from lianfang.sites import urls as sites_urls
from lianfang.status import urls as status_urls


def _namespace(name: str, *modules) -> tuple[list, str]:
    """One URL namespace made of several apps' patterns."""
    return [pattern for module in modules for pattern in module.urlpatterns], name


# The API answers an unknown address in JSON, like its other refusals; pages get the page.
handler404 = "lianfang.core.views.page_not_found"

urlpatterns = [
    path("", include("lianfang.core.urls")),
    path("", include("lianfang.web.urls")),
    path("units/", include("lianfang.org.urls")),
    path("people/", include("lianfang.people.urls")),
    path("account/", include("lianfang.accounts.urls")),
    path("health/", include(_namespace("health", health_urls, status_urls))),
    path("reports/", include("lianfang.reporting.urls")),
    path("notify/", include("lianfang.notify.urls")),
    path("privacy/", include("lianfang.privacy.urls")),
    path("cases/", include("lianfang.cases.urls")),
    path("duty/", include("lianfang.duty.urls")),
    path("urgent/", include("lianfang.command.urls")),
    path("sites/", include("lianfang.sites.urls")),
    path("v/", include((sites_urls.public_urlpatterns, "visit"))),
    path("outings/", include("lianfang.outings.urls")),
    path("teams/", include("lianfang.teams.urls")),
    path("materials/", include(_namespace("materials", materials_urls, donations_urls))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("lianfang.api_urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
