"""Core pages: today at a glance, signing in and out, the audit log and the health check.

Also the few helpers every app's HTML views share (pagination, HTMX partials), so each page
parses, checks, calls and renders the same way.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Page, Paginator
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_GET, require_POST

from lianfang.core.models import ObjectChange
from lianfang.core.scoping import Action

PAGE_SIZE = 50


def paginate(request: HttpRequest, qs: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    """The requested page; a page number out of range gives the last page rather than an error."""
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def wants_partial(request: HttpRequest) -> bool:
    """An HTMX request for a fragment of the page (not a history restore, which needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and not htmx.boosted


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, to carry them to an export or another page.

    Empty fields are dropped: a form submits every field, but only the filled ones filter.
    """
    query = request.GET.copy()
    query.pop("page", None)
    for key in list(query):
        values = [v for v in query.getlist(key) if v.strip()]
        if values:
            query.setlist(key, values)
        else:
            del query[key]
    return query.urlencode()


def change_history(user, obj, limit: int = 10) -> list[ObjectChange]:
    """The latest change-log rows of one object that the user may read (none without the audit right)."""
    return list(
        ObjectChange.objects.restrict(user, Action.VIEW)
        .filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
        .select_related("user")[:limit]
    )


# --- signing in and out ------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's login with our page. Logins and failed logins are audited by signal receivers."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    # POST only: a link or an image on another site must not be able to sign anyone out.
    was_authenticated = request.user.is_authenticated
    auth.logout(request)
    if was_authenticated:
        messages.info(request, _("You have logged out."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


# --- health ------------------------------------------------------------------------------------


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and uptime checks: no login, no template, one trivial query.

    The answers are machine-readable words, not translated text.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Not found: the API answers in JSON, as every other API refusal (``handler404``)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
