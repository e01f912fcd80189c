"""REST API of the organisation: units, unit kinds and role assignments (thin: parse, check, call, serialize)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Length, Substr
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response

from lianfang.core.api import (
    Pagination,
    RestrictedViewSet,
    ScopedUnitField,
    StrictFieldsMixin,
    command,
    users_seen_in,
)
from lianfang.core.masking import mask_phone
from lianfang.core.scoping import Action
from lianfang.org import selectors, services
from lianfang.org.filters import RoleAssignmentFilterSet, UnitFilterSet
from lianfang.org.models import RoleAssignment, Unit, UnitKind

# --- Unit kinds ---------------------------------------------------------------------------------


class UnitKindSerializer(serializers.ModelSerializer):
    label = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.label
        read_only=True, help_text="The name in the request's language."
    )

    class Meta:
        model = UnitKind
        fields = ["id", "code", "name", "name_en", "label", "tier", "sort"]
        read_only_fields = fields


@extend_schema_view(list=extend_schema(summary="List unit kinds"), retrieve=extend_schema(summary="One unit kind"))
class UnitKindViewSet(viewsets.ReadOnlyModelViewSet):
    """Kinds of unit (group, subsidiary, department, heat station …): reference data, the same for everyone."""

    queryset = UnitKind.objects.all()
    serializer_class = UnitKindSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    filter_backends: list = []


# --- Units --------------------------------------------------------------------------------------


PHONE_HELP = "In full only where you may unmask people (the unit page's rule), else masked: 138****5678."


class UnitSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A unit as the API shows and updates it. Moving and (de)activating have their own endpoints."""

    parent = serializers.IntegerField(  # type: ignore[assignment]  # a field named like Field.parent
        source="visible_parent_id",
        read_only=True,
        allow_null=True,
        help_text="The parent unit's id, or null for the group itself or when the parent is outside your scope.",
    )
    kind_code = serializers.CharField(source="kind.code", read_only=True)
    kind_label = serializers.CharField(source="kind.label", read_only=True)

    strict_field_hints = {
        "parent": _("To move a unit, POST its new parent to /api/v1/units/<id>/move/."),
        "is_active": _("To deactivate or activate a unit, POST to /api/v1/units/<id>/deactivate/ or …/activate/."),
    }

    def to_representation(self, instance: Unit) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not selectors.contact_phones_visible(viewer=request.user, unit=instance):
            for name in selectors.CONTACT_PHONE_FIELDS:
                if name in data:
                    data[name] = mask_phone(data[name])
        return data

    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name",
            "short_name",
            "parent",
            "depth",
            "kind",
            "kind_code",
            "kind_label",
            "address",
            "person_in_charge",
            "person_in_charge_phone",
            "liaison",
            "liaison_phone",
            "is_active",
            "created",
            "updated",
        ]
        read_only_fields = ["id", "depth", "is_active", "created", "updated"]
        # Uniqueness of ``code`` is checked by the service (full_clean), once, with the model's message.
        extra_kwargs: dict[str, dict] = {
            "code": {"validators": []},
            "person_in_charge_phone": {"help_text": PHONE_HELP},
            "liaison_phone": {"help_text": PHONE_HELP},
        }


class UnitCreateSerializer(UnitSerializer):
    parent = ScopedUnitField(  # type: ignore[assignment]
        scope_model=Unit,
        allow_null=True,
        help_text="The unit to add under; only units where you may add units are accepted.",
    )

    class Meta(UnitSerializer.Meta):
        pass


class UnitMoveSerializer(StrictFieldsMixin, serializers.Serializer):
    parent = ScopedUnitField(scope_model=Unit, help_text="The new parent unit's id.")  # type: ignore[assignment]


def _visible_parent(user) -> Subquery:
    """The parent's id when the viewer may see the parent, else null (a parent id is not leaked)."""
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Value(Unit.steplen))
    return Subquery(Unit.objects.restrict(user, Action.VIEW).filter(path=parent_path).values("pk")[:1])


@extend_schema_view(
    list=extend_schema(summary="List units", description="Units you may view, in tree order."),
    retrieve=extend_schema(summary="One unit"),
    create=extend_schema(summary="Add a unit", request=UnitCreateSerializer, responses={201: UnitSerializer}),
    update=extend_schema(summary="Replace a unit's details"),
    partial_update=extend_schema(summary="Change some of a unit's details"),
)
class UnitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """Units of the group's tree. Units are deactivated, never deleted."""

    queryset = Unit.objects.all()
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet
    ordering_fields = ["path", "code", "name"]
    ordering = ["path"]

    def get_queryset(self) -> QuerySet[Unit]:
        viewer = self.request.user
        return selectors.unit_list(viewer=viewer).annotate(visible_parent_id=_visible_parent(viewer))

    def get_serializer_class(self):
        if self.action == "create":
            return UnitCreateSerializer
        if self.action == "move":
            return UnitMoveSerializer
        return UnitSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = services.unit_create(actor=request.user, **serializer.validated_data)
        return self.respond(unit, status_code=status.HTTP_201_CREATED, serializer_class=UnitSerializer)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        unit = self.get_object()
        serializer = self.get_serializer(unit, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        unit = services.unit_update(actor=request.user, unit=unit, **serializer.validated_data)
        return self.respond(unit)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(exclude=True)
    def destroy(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed(
            "DELETE",
            detail=_("Units are never deleted: deactivate the unit instead (POST /api/v1/units/<id>/deactivate/)."),
        )

    @command(
        "Move a unit and its subtree under a new parent",
        takes=UnitMoveSerializer,
        gives=UnitSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def move(self, request, unit, data):
        return services.unit_move(actor=request.user, unit=unit, new_parent=data["parent"])

    @command(
        "Deactivate a unit and its subtree",
        gives=UnitSerializer,
        reread=True,
        scope_action=Action.CHANGE,
        responses={200: UnitSerializer, 400: OpenApiResponse(description="The group itself cannot be deactivated.")},
    )
    def deactivate(self, request, unit, data):
        return services.unit_set_active(actor=request.user, unit=unit, active=False)

    @command(
        "Activate a unit and its subtree again",
        gives=UnitSerializer,
        reread=True,
        scope_action=Action.CHANGE,
        responses={200: UnitSerializer, 400: OpenApiResponse(description="The parent unit is deactivated.")},
    )
    def activate(self, request, unit, data):
        return services.unit_set_active(actor=request.user, unit=unit, active=True)


# --- Role assignments ---------------------------------------------------------------------------


class RoleAssignmentSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        help_text="The username of the person who gets the role.",
    )
    unit = ScopedUnitField(
        scope_model=RoleAssignment, help_text="The unit the role is held on; it covers the unit's subtree."
    )
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "unit", "unit_name", "role", "role_label", "created"]
        read_only_fields = ["id", "created"]
        # The unique (user, unit, role) check is the service's (full_clean), with the model's message.
        validators: list = []


@extend_schema_view(
    list=extend_schema(summary="List role assignments"),
    retrieve=extend_schema(summary="One role assignment"),
    create=extend_schema(summary="Give a user a role on a unit"),
    destroy=extend_schema(summary="Take a role away"),
)
class RoleAssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RestrictedViewSet,
):
    """Roles held by users on units. A role is granted or revoked, never edited."""

    queryset = RoleAssignment.objects.select_related("user", "unit")
    serializer_class = RoleAssignmentSerializer
    filterset_class = RoleAssignmentFilterSet
    ordering_fields = ["created", "role", "unit__path"]

    def filter_querysets(self, request) -> dict[str, QuerySet]:
        return {"user": users_seen_in(self.get_queryset())}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = services.role_assign(actor=request.user, **serializer.validated_data)
        return self.respond(assignment, status_code=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.role_revoke(actor=request.user, assignment=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
