"""Pages of the web shell: the home page (what the user is and may do, their to-dos), the Manage hub,
and the audit log (changes with before and after, and audit events)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from lianfang.core.extensions import todos_for
from lianfang.core.forms import content_type_label
from lianfang.core.models import AuditEvent, ObjectChange
from lianfang.core.scoping import Action
from lianfang.core.views import paginate, wants_partial
from lianfang.org.models import RoleAssignment, Unit, UnitKind
from lianfang.org.scoping import has_any
from lianfang.org.selectors import unit_list
from lianfang.people import counts
from lianfang.people.choices import Category
from lianfang.people.models import Tag
from lianfang.people.selectors import person_list
from lianfang.reporting.selectors.dashboard import can_see_dashboard
from lianfang.web.forms import AuditEventFilterForm, ObjectChangeFilterForm
from lianfang.web.navigation import manage_pages


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    can_units = has_any(user, "org.unit", Action.VIEW)
    can_people = has_any(user, "people.person", Action.VIEW)
    context: dict[str, Any] = {
        "today": timezone.localdate(),
        "can_units": can_units,
        "can_people": can_people,
        "can_import": has_any(user, "people.person", Action.IMPORT),
        "can_audit": has_any(user, "core.objectchange", Action.VIEW),
        "can_outings": has_any(user, "outings.outing", Action.VIEW),
        "can_dashboard": can_see_dashboard(user),
        # A person may always know which roles they hold (like seeing their own record); the
        # unit names are those of units the role was granted on.
        "my_roles": list(RoleAssignment.objects.filter(user=user).select_related("unit")),
        "own_person": person_list(viewer=user).filter(user=user).first(),
        # What every app says this user has to do today (lianfang.core.extensions.todo_providers).
        "todos": todos_for(user, timezone.localdate()),
    }
    if context["own_person"] is not None:
        from lianfang.health.models import CheckIn

        context["todays_checkin"] = CheckIn.objects.filter(person=context["own_person"], date=context["today"]).first()
    if can_units:
        context["unit_count"] = unit_list(viewer=user).filter(is_active=True).count()
    if can_people:
        by_category = dict(
            person_list(viewer=user)
            .filter(counts.expected())
            .order_by()
            .values_list("category")
            .annotate(n=Count("pk"))
            .values_list("category", "n")
        )
        context["by_category"] = [(value, label, by_category.get(value, 0)) for value, label in Category.choices]
        context["people_count"] = sum(by_category.values())
    return render(request, "web/home.html", context)


def _audit_tabs(user) -> dict[str, bool]:
    return {
        "can_changes": has_any(user, "core.objectchange", Action.VIEW),
        "can_events": has_any(user, "core.auditevent", Action.VIEW),
    }


@login_required
def audit_changes(request: HttpRequest) -> HttpResponse:
    user = request.user
    tabs = _audit_tabs(user)
    if not tabs["can_changes"]:
        raise PermissionDenied
    rows = ObjectChange.objects.restrict(user, Action.VIEW)
    form = ObjectChangeFilterForm(request.GET, rows=rows, units=unit_list(viewer=user))
    # Invalid filters show their errors and no rows, rather than silently ignoring what was asked.
    rows = form.filter(rows) if form.is_valid() else rows.none()
    page = paginate(request, rows.select_related("user", "content_type", "unit"))
    context = {"form": form, "page": page, **tabs}
    template = "web/_audit_changes_table.html" if wants_partial(request) else "web/audit_changes.html"
    return render(request, template, context)


@login_required
def audit_events(request: HttpRequest) -> HttpResponse:
    user = request.user
    tabs = _audit_tabs(user)
    if not tabs["can_events"]:
        raise PermissionDenied
    rows = AuditEvent.objects.restrict(user, Action.VIEW)
    form = AuditEventFilterForm(request.GET)
    rows = form.filter(rows) if form.is_valid() else rows.none()
    page = paginate(request, rows.select_related("unit"))
    context = {"form": form, "page": page, **tabs}
    template = "web/_audit_events_table.html" if wants_partial(request) else "web/audit_events.html"
    return render(request, template, context)


# Keys a snapshot may hold that are not model fields.
_EXTRA_KEYS = {"parent": gettext_lazy("Parent unit")}


def _field_label(model, key: str) -> str:
    if model is not None:
        try:
            return str(model._meta.get_field(key).verbose_name).capitalize()
        except FieldDoesNotExist:
            pass
    if key in _EXTRA_KEYS:
        return str(_EXTRA_KEYS[key])
    return key


def _object_url(change: ObjectChange) -> str | None:
    """A link to the changed object's page when it has one; that page checks scope again."""
    names = {("org", "unit"): "org:detail", ("people", "person"): "people:detail"}
    name = names.get((change.content_type.app_label, change.content_type.model))
    if name is None or change.action == "delete":
        return None
    try:
        return reverse(name, args=[change.object_id])
    except NoReverseMatch:
        return None


def _readable_values(user, model, keys: list[str], snapshots: list[dict]) -> dict[tuple[str, Any], Any]:
    """Display values for snapshot values that are codes or ids: choice labels, unit and kind names.

    Units are named only if the reader may see them; other ids stay ids. One query per related model.
    """
    readable: dict[tuple[str, Any], Any] = {}
    wanted: dict[str, set] = {}
    fields: dict[str, Any] = {}
    for key in keys:
        try:
            field = model._meta.get_field(key) if model is not None else None
        except FieldDoesNotExist:
            field = None
        if key == "parent":
            related = Unit
        elif field is not None and field.choices:
            for snap in snapshots:
                if snap.get(key) is not None:
                    readable[(key, snap[key])] = dict(field.flatchoices).get(snap[key], snap[key])
            continue
        elif field is not None and field.is_relation and field.related_model in (Unit, UnitKind, Tag):
            related = field.related_model
        else:
            continue
        fields[key] = related
        for snap in snapshots:
            value = snap.get(key)
            ids = value if isinstance(value, list) else [value]
            wanted.setdefault(related._meta.label, set()).update(i for i in ids if isinstance(i, int))
    names: dict[str, dict[int, str]] = {}
    for related in set(fields.values()):
        ids = wanted.get(related._meta.label, set())
        rows = unit_list(viewer=user) if related is Unit else related.objects.all()
        names[related._meta.label] = {obj.pk: str(obj) for obj in rows.filter(pk__in=ids)}
    for key, related in fields.items():
        lookup = names[related._meta.label]
        for snap in snapshots:
            value = snap.get(key)
            if isinstance(value, list):
                readable[(key, tuple(value))] = [lookup.get(i, i) for i in value]
            elif value is not None:
                readable[(key, value)] = lookup.get(value, value)
    return readable


@login_required
def audit_change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(
        ObjectChange.objects.restrict(request.user, Action.VIEW).select_related("user", "content_type", "unit"), pk=pk
    )
    model = change.content_type.model_class()
    before, after = change.prechange_data or {}, change.postchange_data or {}
    keys = list(dict.fromkeys([*before, *after]))
    readable = _readable_values(request.user, model, keys, [before, after])

    def shown(key: str, value: Any) -> Any:
        return readable.get((key, tuple(value) if isinstance(value, list) else value), value)

    rows = [
        {
            "label": _field_label(model, key),
            "before": shown(key, before.get(key)),
            "after": shown(key, after.get(key)),
            "changed": before.get(key) != after.get(key),
        }
        for key in keys
    ]
    context = {
        "change": change,
        # Changed fields first and in full: they are what the reader came for.
        "changed_rows": [row for row in rows if row["changed"]],
        "same_rows": [row for row in rows if not row["changed"]],
        "object_url": _object_url(change),
        "model_name": content_type_label(change.content_type),
    }
    return render(request, "web/audit_change_detail.html", context)


@dataclass(frozen=True)
class ManageLink:
    url: str
    title: str
    text: str


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """The group office's and liaisons' configuration pages, each shown only to who may use it."""
    links = [ManageLink(reverse(name), title, text) for name, title, text in manage_pages(request.user)]
    if not links:
        raise PermissionDenied
    return render(request, "web/manage.html", {"links": links})
