"""HTML pages of the unit tree: browse, read, create, edit, move, (de)activate, grant and revoke roles.

Each view parses, checks, calls an org service and renders. Objects are looked up through
``restrict(user, "view")`` so a unit outside the user's scope answers 404; a visible unit the user
may not change answers 403.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lianfang.core.extensions import headcounts
from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.core.views import change_history, wants_partial
from lianfang.org import services
from lianfang.org.forms import GroupSettingsForm, RoleAssignForm, UnitCreateForm, UnitForm, UnitMoveForm
from lianfang.org.models import GroupSettings, RoleAssignment, Unit
from lianfang.org.scoping import can, forget_grants, has_any
from lianfang.org.selectors import TreeRow, contact_phones_visible, unit_list, unit_tree_rows


def _visible_unit_or_404(user, pk: int) -> Unit:
    return get_object_or_404(unit_list(viewer=user), pk=pk)


# --- the tree ----------------------------------------------------------------------------------


@dataclass
class TreeNode:
    """One line of the rendered tree, with what the template needs to open and close nested lists."""

    unit: Unit
    level: int
    people: int
    people_in_subtree: int
    url: str = ""
    has_children: bool = False
    closes: range = field(default_factory=lambda: range(0))
    is_match: bool = False


def _tree_nodes(rows: list[TreeRow], query: str) -> list[TreeNode]:
    """Nest the visible units (given in path order) and total the headcounts of each subtree.

    Levels count visible ancestors only, so a user with roles on two separate units sees two
    top-level branches. With a query, the matching units are kept with their visible ancestors
    so a match is always shown in its place in the tree. Linear in the number of units.
    """
    nodes: list[TreeNode] = []
    stack: list[TreeNode] = []
    # One reverse() for all: a {% url %} per line is a third of the page's time for 3,000 units.
    detail = reverse("org:detail", args=[0]).removesuffix("0/")
    for row in rows:
        while stack and not row.unit.path.startswith(stack[-1].unit.path):
            stack.pop()
        node = TreeNode(
            unit=row.unit,
            level=len(stack),
            people=row.people,
            people_in_subtree=row.people,
            url=f"{detail}{row.unit.pk}/",
        )
        for ancestor in stack:
            ancestor.people_in_subtree += row.people
        nodes.append(node)
        stack.append(node)

    if query:
        needle = query.casefold()
        keep: set[str] = set()
        for node in nodes:
            unit = node.unit
            if needle in unit.name.casefold() or needle in unit.short_name.casefold() or needle in unit.code.casefold():
                node.is_match = True
                keep.update(unit.path[:end] for end in range(Unit.steplen, len(unit.path) + 1, Unit.steplen))
        nodes = [node for node in nodes if node.unit.path in keep]

    for i, node in enumerate(nodes):
        next_level = nodes[i + 1].level if i + 1 < len(nodes) else 0
        node.has_children = next_level > node.level
        if not node.has_children:
            node.closes = range(node.level - next_level)
    return nodes


@login_required
def unit_tree(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any(user, "org.unit", Action.VIEW):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:100]
    show_inactive = request.GET.get("inactive") == "1"
    nodes = _tree_nodes(unit_tree_rows(viewer=user, include_inactive=show_inactive), query)
    context = {
        "nodes": nodes,
        "query": query,
        "show_inactive": show_inactive,
        # Searching opens every branch so each match is in view; otherwise only the top two levels.
        "open_levels": 99 if query else 1,
        "can_people": has_any(user, "people.person", Action.VIEW),
        "can_add": has_any(user, "org.unit", Action.ADD),
        "people_url": reverse("people:list"),
    }
    template = "org/_tree.html" if wants_partial(request) else "org/unit_tree.html"
    return render(request, template, context)


# --- one unit ----------------------------------------------------------------------------------


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    unit = _visible_unit_or_404(user, pk)
    visible = unit_list(viewer=user)
    ancestor_paths = [unit.path[:end] for end in range(Unit.steplen, len(unit.path), Unit.steplen)]
    children = list(visible.filter(path__startswith=unit.path, depth=unit.depth + 1))

    can_people = has_any(user, "people.person", Action.VIEW)
    headcount = {"direct": 0, "subtree": 0}
    for child in children:
        child.people_in_subtree = 0
    if can_people:
        # Who counts is the roster's decision (lianfang.people); one grouped query for the subtree.
        counts = headcounts(user, unit.path)
        headcount = {"direct": counts.by_path.get(unit.path, 0), "subtree": counts.subtree(unit.path)}
        for child in children:
            child.people_in_subtree = counts.subtree(child.path)

    can_see_roles = can(user, Action.VIEW, RoleAssignment, unit)
    can_change = can(user, Action.CHANGE, Unit, unit)
    context = {
        "unit": unit,
        "ancestors": list(visible.filter(path__in=ancestor_paths)),
        "children": children,
        "headcount": headcount,
        "can_people": can_people,
        # Contact phones follow the roster's rule: in full only for those who may unmask people here.
        "show_phones": contact_phones_visible(viewer=user, unit=unit),
        "roles": (
            list(RoleAssignment.objects.restrict(user, Action.VIEW).filter(unit=unit).select_related("user"))
            if can_see_roles
            else None
        ),
        "can_assign": can(user, Action.ADD, RoleAssignment, unit),
        "can_revoke": can(user, Action.DELETE, RoleAssignment, unit),
        "can_change": can_change,
        "can_move": can_change and not unit.is_root(),
        "can_add_child": can(user, Action.ADD, Unit, unit) and unit.is_active,
        "can_add_person": can(user, Action.ADD, "people.person", unit) and unit.is_active,
        "history": change_history(user, unit),
    }
    return render(request, "org/unit_detail.html", context)


@login_required
def unit_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any(user, "org.unit", Action.ADD):
        raise PermissionDenied
    form = UnitCreateForm(request.POST or None, user=user, initial={"parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(actor=user, parent=form.cleaned_data["parent"], **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Unit “%(name)s” was added.") % {"name": unit.name})
            return redirect("org:detail", pk=unit.pk)
    return render(request, "org/unit_form.html", {"form": form, "unit": None})


@login_required
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    unit = _visible_unit_or_404(user, pk)
    if not can(user, Action.CHANGE, Unit, unit):
        raise PermissionDenied
    # The form validates on a copy, so a rejected edit does not show unsaved values as the page title.
    form = UnitForm(request.POST or None, instance=copy.copy(unit))
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_update(actor=user, unit=unit, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes to “%(name)s” were saved.") % {"name": unit.name})
            return redirect("org:detail", pk=unit.pk)
    return render(request, "org/unit_form.html", {"form": form, "unit": unit})


@login_required
def unit_move(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    unit = _visible_unit_or_404(user, pk)
    if not can(user, Action.CHANGE, Unit, unit):
        raise PermissionDenied
    form = UnitMoveForm(request.POST or None, user=user, unit=unit) if not unit.is_root() else None
    if form is not None and request.method == "POST" and form.is_valid():
        new_parent = form.cleaned_data["new_parent"]
        try:
            unit = services.unit_move(actor=user, unit=unit, new_parent=new_parent)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("“%(name)s” now sits under “%(parent)s”.") % {"name": unit.name, "parent": new_parent.name},
            )
            return redirect("org:detail", pk=unit.pk)
    parent = unit_list(viewer=user).filter(path=unit.path[: -Unit.steplen]).first()
    subtree_size = unit_list(viewer=user).filter(path__startswith=unit.path).count()
    return render(
        request, "org/unit_move.html", {"form": form, "unit": unit, "parent": parent, "subtree_size": subtree_size}
    )


@login_required
def unit_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST with ``active`` 0 or 1 deactivates or reactivates."""
    user = request.user
    unit = _visible_unit_or_404(user, pk)
    if not can(user, Action.CHANGE, Unit, unit):
        raise PermissionDenied
    if request.method == "POST":
        active = request.POST.get("active") == "1"
        try:
            changed = services.unit_set_active(actor=user, unit=unit, active=active)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            count = changed.subtree_changed
            if active and count:
                text = ngettext(
                    "“%(name)s” and %(count)d sub-unit are active again.",
                    "“%(name)s” and %(count)d sub-units are active again.",
                    count,
                )
            elif active:
                text = _("“%(name)s” is active again.")
            elif count:
                text = ngettext(
                    "“%(name)s” and %(count)d sub-unit were deactivated.",
                    "“%(name)s” and %(count)d sub-units were deactivated.",
                    count,
                )
            else:
                text = _("“%(name)s” was deactivated.")
            messages.success(request, text % {"name": unit.name, "count": count})
        return redirect("org:detail", pk=unit.pk)
    below = unit_list(viewer=user).filter(path__startswith=unit.path).exclude(pk=unit.pk)
    context = {
        "unit": unit,
        "active_below": below.filter(is_active=True).count(),
        "inactive_below": below.filter(is_active=False).count(),
    }
    return render(request, "org/unit_set_active.html", context)


# --- roles -------------------------------------------------------------------------------------


@login_required
def role_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """The roles table of one unit: who holds which role here, and a form to grant one."""
    user = request.user
    unit = _visible_unit_or_404(user, pk)
    if not can(user, Action.ADD, RoleAssignment, unit):
        raise PermissionDenied
    form = RoleAssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        grantee, role = form.cleaned_data["username"], form.cleaned_data["role"]
        try:
            assignment = services.role_assign(actor=user, user=grantee, unit=unit, role=role)
        except ValidationError as exc:
            if "__all__" in getattr(exc, "error_dict", {}):
                # The only whole-row error is the unique constraint: say it in the clerk's terms.
                form.add_error(None, _("%(user)s already holds this role on this unit.") % {"user": grantee})
            else:
                apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(user)s is now %(role)s of “%(unit)s”.")
                % {"user": grantee, "role": assignment.get_role_display(), "unit": unit.name},
            )
            return redirect("org:role-assign", pk=unit.pk)
    roles = RoleAssignment.objects.restrict(user, Action.VIEW).filter(unit=unit).select_related("user")
    context = {"unit": unit, "form": form, "roles": roles, "can_revoke": can(user, Action.DELETE, RoleAssignment, unit)}
    return render(request, "org/role_assign.html", context)


@login_required
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assignment = get_object_or_404(
        RoleAssignment.objects.restrict(user, Action.VIEW).select_related("user", "unit"), pk=pk
    )
    if not can(user, Action.DELETE, RoleAssignment, assignment.unit):
        raise PermissionDenied
    if request.method == "POST":
        services.role_revoke(actor=user, assignment=assignment)
        messages.success(
            request,
            _("%(user)s no longer holds the role %(role)s on “%(unit)s”.")
            % {"user": assignment.user, "role": assignment.get_role_display(), "unit": assignment.unit.name},
        )
        if assignment.user_id == user.pk:
            # Revoking one's own role may take away the right to see this unit's roles.
            forget_grants(user)
            if not can(user, Action.ADD, RoleAssignment, assignment.unit):
                return redirect("home")
        return redirect("org:role-assign", pk=assignment.unit_id)
    return render(request, "org/role_revoke.html", {"assignment": assignment, "is_self": assignment.user_id == user.pk})


@login_required
def group_settings(request: HttpRequest) -> HttpResponse:
    """The group office sets the day's times and thresholds here, without code."""
    user = request.user
    if not services.can_change_group_settings(user):
        raise PermissionDenied
    current = GroupSettings.load()
    form = GroupSettingsForm(request.POST or None, instance=copy.copy(current))
    if request.method == "POST" and form.is_valid():
        try:
            services.group_settings_update(
                actor=user, **{name: form.cleaned_data[name] for name in GroupSettingsForm.Meta.fields}
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The group settings were saved."))
            return redirect("org:settings")
    return render(request, "org/group_settings.html", {"form": form, "history": change_history(user, current)})
