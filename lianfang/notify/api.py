"""REST API of the notify app (thin: parse, check, call, serialize), registered on /api/v1/ by
lianfang/api_urls.py:

* ``messages/`` — the caller's own inbox; ``POST messages/<id>/read/``, ``POST messages/read-all/``;
* ``robots/`` — chat-group robots in scope (CRUD); ``POST robots/<id>/test/`` sends a test message now;
* ``deliveries/`` — robot and e-mail deliveries in scope (read); ``POST deliveries/<id>/retry/``.

Robot secrets are write-only (``has_secret`` says whether one is set) and webhook tokens are
masked when read.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.core.api import (
    Pagination,
    ReadOnlyRestrictedViewSet,
    RestrictedViewSet,
    ScopedUnitField,
    StrictFieldsMixin,
    command,
)
from lianfang.core.scoping import Action
from lianfang.notify import selectors, services
from lianfang.notify.choices import DeliveryStatus
from lianfang.notify.models import Delivery, Message, RobotChannel
from lianfang.notify.robots import mask_webhook

# --- messages -------------------------------------------------------------------------------------


class MessageSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "kind", "title", "body", "url", "created", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, obj: Message) -> bool:
        return obj.read_at is not None


@extend_schema_view(
    list=extend_schema(summary="My inbox, newest first (?unread=1 for unread only)"),
    retrieve=extend_schema(summary="One of my messages (reading it does not mark it read; POST …/read/)"),
)
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own messages. Not unit-scoped: a message belongs to its recipient alone."""

    serializer_class = MessageSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Message]:
        qs = selectors.message_list(viewer=self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(summary="Mark one of my messages read", request=None, responses={200: MessageSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        message = services.message_mark_read(actor=request.user, message=self.get_object())
        return Response(MessageSerializer(message).data)

    @extend_schema(
        summary="Mark all my messages read",
        request=None,
        responses={200: inline_serializer("ReadAll", {"marked": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.message_mark_all_read(actor=request.user)})


# --- robots ---------------------------------------------------------------------------------------


class RobotSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    unit = ScopedUnitField(scope_model=RobotChannel, help_text="The unit whose reminders the robot posts.")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Write only. Omit to keep the stored secret; an empty string removes it.",
    )
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = RobotChannel
        fields = [
            "id",
            "unit",
            "unit_name",
            "kind",
            "kind_label",
            "name",
            "webhook_url",
            "secret",
            "has_secret",
            "is_active",
            "created",
            "updated",
        ]
        read_only_fields = ["id", "created", "updated"]

    def get_has_secret(self, obj: RobotChannel) -> bool:
        return bool(obj.secret)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["webhook_url"] = mask_webhook(instance.webhook_url)
        return data


class RobotUpdateSerializer(RobotSerializer):
    unit = ScopedUnitField(scope_model=RobotChannel, scope_action=Action.CHANGE, required=False)  # type: ignore[assignment]


@extend_schema_view(
    list=extend_schema(summary="List chat-group robots"),
    retrieve=extend_schema(summary="One robot"),
    create=extend_schema(summary="Add a robot (the address and secret are checked)"),
    update=extend_schema(summary="Replace a robot's settings"),
    partial_update=extend_schema(summary="Change some of a robot's settings"),
    destroy=extend_schema(summary="Remove a robot (its deliveries are kept)"),
)
class RobotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = RobotChannel.objects.select_related("unit")
    serializer_class = RobotSerializer
    filterset_fields = ["unit", "kind", "is_active"]
    ordering_fields = ["unit__path", "name", "id"]
    ordering = ["unit__path", "name"]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return RobotUpdateSerializer
        return RobotSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        robot = services.robot_create(actor=request.user, **serializer.validated_data)
        return self.respond(robot, status_code=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        robot = self.get_object()
        serializer = self.get_serializer(robot, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        secret = data.pop("secret", None)
        robot = services.robot_update(actor=request.user, robot=robot, secret=secret, **data)
        return self.respond(robot)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.robot_delete(actor=request.user, robot=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @command(
        "Send a test message now and return the service's answer",
        scope_action=Action.CHANGE,
        responses={
            200: inline_serializer(
                "RobotTest",
                {
                    "ok": serializers.BooleanField(),
                    "answer": serializers.CharField(),
                    "delivery": serializers.IntegerField(),
                },
            )
        },
    )
    def test(self, request, robot, data):
        delivery, answer = services.robot_test(actor=request.user, robot=robot)
        return Response({"ok": delivery.status == DeliveryStatus.SENT, "answer": answer, "delivery": delivery.pk})


# --- deliveries -----------------------------------------------------------------------------------


class DeliverySerializer(serializers.ModelSerializer):
    robot_name = serializers.CharField(source="robot.name", read_only=True, default=None)
    unit_name = serializers.CharField(source="unit.name", read_only=True, default=None)
    phone = serializers.CharField(source="masked_phone", read_only=True, help_text="SMS: the number, masked.")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "robot",
            "robot_name",
            "email",
            "phone",
            "unit",
            "unit_name",
            "kind",
            "subject",
            "body",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created",
            "sent_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="List deliveries (robot messages, e-mails and SMS) with their status"),
    retrieve=extend_schema(summary="One delivery"),
)
class DeliveryViewSet(ReadOnlyRestrictedViewSet):
    queryset = Delivery.objects.select_related("robot", "unit")
    serializer_class = DeliverySerializer
    filterset_fields = ["status", "channel", "unit", "robot"]
    ordering_fields = ["created", "id"]
    ordering = ["-created", "-id"]

    # Deliveries are read-only records; who may retry is decided by the service (``can_retry``).
    @command("Retry a failed or waiting delivery now", gives=DeliverySerializer, reread=True, scope_action=Action.VIEW)
    def retry(self, request, delivery, data):
        if not services.can_retry(request.user, delivery) and delivery.status != DeliveryStatus.SENT:
            raise exceptions.PermissionDenied()
        return services.delivery_retry(actor=request.user, delivery=delivery)


def register(router) -> None:
    """Add this app's viewsets to the API router."""
    router.register("messages", MessageViewSet, basename="message")
    router.register("robots", RobotViewSet, basename="robot")
    router.register("deliveries", DeliveryViewSet, basename="delivery")
