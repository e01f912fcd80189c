from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("lianfang.core.urls")),
    path("units/", include("lianfang.org.urls")),
    path("people/", include("lianfang.people.urls")),
    path("health/", include("lianfang.health.urls")),
    path("reports/", include("lianfang.reporting.urls")),
    path("notify/", include("lianfang.notify.urls")),
    path("cases/", include("lianfang.cases.urls")),
    path("materials/", include("lianfang.materials.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("lianfang.api_urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
