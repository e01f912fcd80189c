"""Unit scoping: the one mechanism that decides which rows a user may see or touch.

A user holds roles on units (``RoleAssignment``). A role on a unit covers that unit's subtree.
For a model and an action, the user's scope is the union of the subtrees of the units where one
of their roles allows that action on that model (``roles.ROLE_PERMISSIONS``). Rows carry their
unit through ``Model.scope_unit_field`` (a field name, ``"self"`` for units, or a tuple of unit
fields when a row belongs to several units, as a transfer does); models may add rows a person sees as themselves through
``Model.scope_self(user, action)``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet

from lianfang.org.roles import role_allows

_CACHE_ATTR = "_lianfang_grants"


def _grants(user) -> list[tuple[str, str]]:
    """(role, unit path) pairs of the user, loaded once per user object (once per request)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        from lianfang.org.models import RoleAssignment

        cached = list(RoleAssignment.objects.filter(user=user).values_list("role", "unit__path"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def roles_of(user) -> set[str]:
    """The roles the user holds anywhere (from the same cached grants as every scope check)."""
    return {role for role, _path in _grants(user)}


def forget_grants(user) -> None:
    """Drop the cached grants after roles change, so the next check sees the new roles."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def allowed_paths(user, model_label: str, action: str) -> list[str]:
    """Paths of the subtree roots where the user may do ``action`` on ``model_label``; minimal set."""
    paths = sorted({path for role, path in _grants(user) if role_allows(role, model_label, action)})
    minimal: list[str] = []
    for path in paths:  # sorted, so an ancestor comes before its descendants
        if not any(path.startswith(p) for p in minimal):
            minimal.append(path)
    return minimal


def _is_anonymous(user) -> bool:
    return user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False)


def restrict_queryset(qs: QuerySet, user, action: str) -> QuerySet:
    if _is_anonymous(user):
        return qs.none()
    if user.is_superuser:
        return qs
    model = qs.model
    paths = allowed_paths(user, model._meta.label_lower, action)
    field = getattr(model, "scope_unit_field", None)
    if field is None:
        raise TypeError(f"{model.__name__} has no scope_unit_field: it cannot be restricted")

    from lianfang.org.models import Unit

    condition = Q(pk__in=[])
    if paths:
        root_steplen = Unit.steplen
        if field != "self" and any(len(p) == root_steplen for p in paths):
            # A grant on a root covers every row, including rows that belong to no unit. (Not ``Q()``:
            # an empty Q vanishes when OR-ed with the self condition below.)
            condition = Q(pk__isnull=False)
        else:
            in_subtrees = Q()
            for p in paths:
                in_subtrees |= Q(path__startswith=p)
            if field == "self":
                condition = in_subtrees
            else:
                # A row may belong to two units (a transfer: sender and receiver); either puts it in scope.
                units = Unit.objects.filter(in_subtrees).values("pk")
                for name in (field,) if isinstance(field, str) else field:
                    condition |= Q(**{f"{name}__in": units})
    scope_self = getattr(model, "scope_self", None)
    if scope_self is not None:
        own = scope_self(user, action)
        if own is not None:
            condition |= own
    return qs.filter(condition)


def units_where(user, model: type[Model] | Model, action: str) -> QuerySet:
    """Units whose objects of ``model`` the user may ``action``: the choices for a unit field.

    ``Unit.objects.restrict`` answers for units themselves; a person's unit is chosen among the
    units where the user may add *people*, which can be a different subtree.
    """
    from lianfang.org.models import Unit

    if _is_anonymous(user):
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    paths = allowed_paths(user, model._meta.label_lower, action)
    if not paths:
        return Unit.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(condition)


def can(user, action: str, model: type[Model] | Model | str, unit) -> bool:
    """May the user do ``action`` on ``model`` objects (or a model label) that belong to ``unit``?"""
    if _is_anonymous(user):
        return False
    if user.is_superuser:
        return True
    if unit is None:
        return False
    paths = allowed_paths(user, model if isinstance(model, str) else model._meta.label_lower, action)
    return any(unit.path.startswith(p) for p in paths)


def ensure_can(user, action: str, model: type[Model] | Model, unit) -> None:
    if not can(user, action, model, unit):
        raise PermissionDenied


def ensure_in_scope(user, obj: Model, action: str) -> None:
    """The re-check after a write: the object must still be inside the actor's scope.

    Called inside the service's transaction, so raising rolls the write back.
    """
    manager = type(obj)._default_manager
    if not manager.restrict(user, action).filter(pk=obj.pk).exists():  # type: ignore[attr-defined]
        raise PermissionDenied


def holds_on_group(user, model: type[Model] | Model | str, action: str) -> bool:
    """Does the user hold the action on the group itself (a root of the unit tree), where the group's
    own settings, notices and bases live? Answered from the cached grants: no query."""
    if _is_anonymous(user):
        return False
    if user.is_superuser:
        return True
    from lianfang.org.models import Unit

    label = model if isinstance(model, str) else model._meta.label_lower
    return any(len(path) == Unit.steplen for path in allowed_paths(user, label, action))


def has_any(user, model_label: str, action: str) -> bool:
    """Does the user hold the action anywhere (for showing menu entries and buttons)?"""
    if _is_anonymous(user):
        return False
    return user.is_superuser or bool(allowed_paths(user, model_label, action))


def all_units() -> QuerySet:
    """Every unit (for core, which does not know the Unit model: the queryset of a unit field)."""
    from lianfang.org.models import Unit

    return Unit.objects.all()


def narrow_to_subtree(user, path: str) -> None:
    """Narrow this user object's scope to the subtree at ``path`` (a service token's unit).

    Each grant is cut to the part of its subtree inside ``path``; grants elsewhere are dropped. It
    changes this in-memory object only (the request's user), never the roles stored.
    """
    if user.is_superuser:
        from lianfang.org.choices import Role

        user.is_superuser = False
        setattr(user, _CACHE_ATTR, [(Role.GROUP_ADMIN.value, path)])
        return
    narrowed = []
    for role, granted in _grants(user):
        if path.startswith(granted):
            narrowed.append((role, path))
        elif granted.startswith(path):
            narrowed.append((role, granted))
    setattr(user, _CACHE_ATTR, narrowed)
