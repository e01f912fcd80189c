"""REST API of the duty app, registered on /api/v1/ by lianfang/api_urls.py:

* ``duty/posts/`` — units that keep duty; ``GET duty/posts/on-duty/?at=`` who is on duty (phones masked
  unless the caller may unmask the unit's people);
* ``duty/shifts/`` — shifts in scope (``?post=``, ``?from=``, ``?to=``); POST puts one on the roster;
* ``duty/log-entries/`` — the duty log (``?post=``, ``?date=``); POST adds an entry;
* ``duty/handovers/`` — handovers (``?status=pending``); POST hands a shift over, ``POST …/<id>/accept/``;
* ``duty/swaps/`` — swaps; POST asks, ``POST …/<id>/accept|approve|refuse|cancel/``.
"""

from __future__ import annotations

import datetime

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.core.api import RestrictedViewSet, StrictFieldsMixin, command, query_date, query_int
from lianfang.core.scoping import Action
from lianfang.duty import selectors, services
from lianfang.duty.choices import EntryKind, HandoverStatus, PhoneCheck
from lianfang.duty.models import DutyPost, Handover, LogEntry, Shift, ShiftMember, Swap
from lianfang.people.models import Person


class PostSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = DutyPost
        fields = [
            "id",
            "unit",
            "unit_name",
            "name",
            "phone",
            "pattern",
            "day_starts",
            "night_starts",
            "post_duty_list",
            "is_active",
        ]
        read_only_fields = fields


class DutyPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField(help_text="Masked (138****5678) unless the caller may unmask the unit's people.")


class OnDutySerializer(serializers.Serializer):
    post = serializers.IntegerField()
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    duty_phone = serializers.CharField()
    shift = serializers.IntegerField(allow_null=True)
    leader = DutyPersonSerializer(allow_null=True)
    officers = DutyPersonSerializer(many=True)
    ends_at = serializers.DateTimeField(allow_null=True)


def _now_rows(rows) -> list[dict]:
    out = []
    for r in rows:

        def person(p, r=r):
            return {"id": p.pk, "name": p.name, "phone": r.phones.get(p.pk, "")}

        out.append(
            {
                "post": r.post.pk,
                "unit": r.post.unit_id,
                "unit_name": r.post.unit.name,
                "duty_phone": r.post.phone,
                "shift": r.duty.shift_id,
                "leader": person(r.duty.leader) if r.duty.leader else None,
                "officers": [person(p) for p in r.duty.officers],
                "ends_at": r.duty.ends_at,
            }
        )
    return out


@extend_schema_view(
    list=extend_schema(summary="List the units that keep duty"), retrieve=extend_schema(summary="One duty post")
)
class PostViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = DutyPost.objects.select_related("unit").order_by("unit__path")
    serializer_class = PostSerializer
    filterset_fields = {"is_active": ["exact"]}
    ordering_fields = ["id"]

    @extend_schema(
        summary="Who is on duty now (or at ?at=) in every post in scope",
        parameters=[OpenApiParameter("at", OpenApiTypes.DATETIME, description="A moment (default: now).")],
        responses={200: OnDutySerializer(many=True)},
    )
    @action(
        detail=False, methods=["get"], url_path="on-duty", url_name="on-duty", filter_backends=[], pagination_class=None
    )
    def on_duty(self, request):
        at = timezone.now()
        raw = request.query_params.get("at")
        if raw:
            try:
                at = serializers.DateTimeField().run_validation(raw)
            except exceptions.ValidationError as exc:
                raise exceptions.ValidationError({"at": exc.detail}) from None
        rows = selectors.on_duty_now(viewer=request.user, at=at)
        services.on_duty_phones_shown(actor=request.user, rows=rows, source="api")
        return Response(OnDutySerializer(_now_rows(rows), many=True).data)


class MemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = ShiftMember
        fields = ["person", "name", "role"]
        read_only_fields = fields


class ShiftSerializer(serializers.ModelSerializer):
    members = MemberSerializer(many=True, read_only=True)
    conflicts = serializers.SerializerMethodField()

    class Meta:
        model = Shift
        fields = ["id", "post", "starts_at", "ends_at", "note", "members", "conflicts"]
        read_only_fields = fields

    def get_conflicts(self, shift) -> list[str]:
        return [f"{c.person.name}: {c.label}" for c in shift.conflicts.all()]


class ShiftCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    post = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    leader = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1)
    officers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), required=False, max_length=20
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


def _visible_people(request, post: DutyPost, ids: list[int]) -> list[Person]:
    """People by id among those the caller may see in the post's unit; any other id is 404."""
    found = {p.pk: p for p in selectors.eligible_people(viewer=request.user, post=post).filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise Http404
    return [found[pk] for pk in ids]


def _window(request) -> tuple[datetime.date | None, datetime.date | None]:
    return query_date(request.query_params, "from"), query_date(request.query_params, "to")


@extend_schema_view(
    list=extend_schema(
        summary="List shifts (?post=, ?from=, ?to= by the day they start)",
        parameters=[
            OpenApiParameter("post", OpenApiTypes.INT),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
        ],
    ),
    retrieve=extend_schema(summary="One shift with its people"),
    create=extend_schema(
        summary="Put a shift on the roster", request=ShiftCreateSerializer, responses={201: ShiftSerializer}
    ),
)
class ShiftViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = (
        Shift.objects.select_related("post__unit")
        .prefetch_related("members__person", "conflicts__person")
        .order_by("starts_at")
    )
    serializer_class = ShiftSerializer
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return ShiftCreateSerializer if self.action == "create" else ShiftSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            return qs
        post = query_int(self.request.query_params, "post")
        if post is not None:
            qs = qs.filter(post_id=post)
        first, last = _window(self.request)
        tz = timezone.get_current_timezone()
        if first:
            qs = qs.filter(starts_at__gte=datetime.datetime.combine(first, datetime.time.min, tzinfo=tz))
        if last:
            qs = qs.filter(
                starts_at__lt=datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
            )
        return qs

    def create(self, request, *args, **kwargs):
        data = ShiftCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vd = data.validated_data
        post = selectors.post_list(viewer=request.user).filter(pk=vd["post"]).first()
        if post is None:
            raise Http404
        leader = _visible_people(request, post, [vd["leader"]])[0] if vd.get("leader") else None
        officers = _visible_people(request, post, list(vd.get("officers") or []))
        shift = services.shift_create(
            actor=request.user,
            post=post,
            starts_at=vd["starts_at"],
            ends_at=vd["ends_at"],
            leader=leader,
            officers=officers,
            note=vd.get("note", ""),
        )
        return self.respond(shift, status_code=status.HTTP_201_CREATED, serializer_class=ShiftSerializer)


class EntrySerializer(serializers.ModelSerializer):
    recorded_by_name = serializers.SerializerMethodField()

    class Meta:
        model = LogEntry
        fields = [
            "id",
            "post",
            "shift",
            "at",
            "kind",
            "counterpart",
            "content",
            "action",
            "recorded_by_name",
            "created",
        ]
        read_only_fields = fields

    def get_recorded_by_name(self, entry) -> str:
        if entry.recorded_by_person:
            return entry.recorded_by_person.name
        return entry.recorded_by.get_username() if entry.recorded_by else ""


class EntryCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    post = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    at = serializers.DateTimeField(required=False)
    counterpart = serializers.CharField(max_length=120, required=False, allow_blank=True)
    content = serializers.CharField(max_length=4000)
    action = serializers.CharField(max_length=4000, required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(
        summary="The duty log (?post=, ?date=)",
        parameters=[OpenApiParameter("post", OpenApiTypes.INT), OpenApiParameter("date", OpenApiTypes.DATE)],
    ),
    retrieve=extend_schema(summary="One duty log entry"),
    create=extend_schema(
        summary="Add an entry to a post's duty log", request=EntryCreateSerializer, responses={201: EntrySerializer}
    ),
)
class EntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = LogEntry.objects.select_related("recorded_by", "recorded_by_person").order_by("at", "id")
    serializer_class = EntrySerializer
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return EntryCreateSerializer if self.action == "create" else EntrySerializer

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            return qs
        post = query_int(self.request.query_params, "post")
        if post is not None:
            qs = qs.filter(post_id=post)
        day = query_date(self.request.query_params, "date")
        if day:
            start, end = selectors.day_bounds(day)
            qs = qs.filter(at__gte=start, at__lt=end)
        return qs

    def create(self, request, *args, **kwargs):
        data = EntryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vd = dict(data.validated_data)
        post = selectors.post_list(viewer=request.user).filter(pk=vd.pop("post")).first()
        if post is None:
            raise Http404
        entry = services.log_entry_create(actor=request.user, post=post, **vd)
        return self.respond(entry, status_code=status.HTTP_201_CREATED, serializer_class=EntrySerializer)


class HandoverSerializer(serializers.ModelSerializer):
    class Meta:
        model = Handover
        fields = [
            "id",
            "shift",
            "next_shift",
            "open_items",
            "phone_check",
            "phone_note",
            "handed_at",
            "status",
            "received_at",
            "missing",
        ]
        read_only_fields = fields


class HandoverCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    shift = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    phone_check = serializers.ChoiceField(choices=PhoneCheck.choices)
    open_items = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    phone_note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class HandoverAcceptSerializer(StrictFieldsMixin, serializers.Serializer):
    missing = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(
        summary="Handovers (?status=pending: not accepted yet)",
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=HandoverStatus.values)],
    ),
    retrieve=extend_schema(summary="One handover"),
    create=extend_schema(
        summary="Hand a shift over", request=HandoverCreateSerializer, responses={201: HandoverSerializer}
    ),
)
class HandoverViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = Handover.objects.select_related("shift").order_by("-handed_at")
    serializer_class = HandoverSerializer
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return {"create": HandoverCreateSerializer, "accept": HandoverAcceptSerializer}.get(
            self.action or "", HandoverSerializer
        )

    def get_queryset(self):
        qs = super().get_queryset()
        wanted = self.request.query_params.get("status")
        if self.action == "list" and wanted:
            if wanted not in HandoverStatus.values:
                raise exceptions.ValidationError({"status": [f"{', '.join(HandoverStatus.values)}"]})
            qs = qs.filter(status=wanted)
        return qs

    def create(self, request, *args, **kwargs):
        data = HandoverCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vd = dict(data.validated_data)
        shift = selectors.shift_list(viewer=request.user).filter(pk=vd.pop("shift")).first()
        if shift is None:
            raise Http404
        handover = services.handover_create(actor=request.user, shift=shift, **vd)
        return self.respond(handover, status_code=status.HTTP_201_CREATED, serializer_class=HandoverSerializer)

    @command(
        "Accept a handover (the incoming officer), noting what is missing if anything",
        takes=HandoverAcceptSerializer,
        gives=HandoverSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def accept(self, request, handover, data):
        return services.handover_accept(actor=request.user, handover=handover, missing=data.get("missing", ""))


class SwapSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    replacement_name = serializers.CharField(source="replacement.name", read_only=True)

    class Meta:
        model = Swap
        fields = [
            "id",
            "shift",
            "person",
            "person_name",
            "replacement",
            "replacement_name",
            "reason",
            "status",
            "requested_at",
            "accepted_at",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class SwapCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    shift = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    person = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    replacement = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SwapNoteSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(summary="Swaps the caller asked, was asked, or may see"),
    retrieve=extend_schema(summary="One swap"),
    create=extend_schema(summary="Ask for a swap", request=SwapCreateSerializer, responses={201: SwapSerializer}),
)
class SwapViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = Swap.objects.select_related("person", "replacement", "shift__post__unit").order_by("-requested_at")
    serializer_class = SwapSerializer
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        if self.action == "create":
            return SwapCreateSerializer
        if self.action in ("approve", "refuse"):
            return SwapNoteSerializer
        return SwapSerializer

    def initial(self, request, *args, **kwargs):
        # Asking for one's own swap needs no role (the service checks that the caller is the person).
        if self.action == "create":
            super(RestrictedViewSet, self).initial(request, *args, **kwargs)
            return
        super().initial(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        data = SwapCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vd = data.validated_data
        shift = selectors.shift_list(viewer=request.user).filter(pk=vd["shift"]).first()
        if shift is None:
            raise Http404
        person = Person.objects.filter(pk=vd["person"], duty_shifts__shift=shift).first()
        replacement = Person.objects.filter(pk=vd["replacement"]).select_related("unit").first()
        if person is None or replacement is None:
            raise Http404
        swap = services.swap_request(
            actor=request.user, shift=shift, person=person, replacement=replacement, reason=vd.get("reason", "")
        )
        return self.respond(swap, status_code=status.HTTP_201_CREATED, serializer_class=SwapSerializer)

    @command("Accept a swap (the replacement)", gives=SwapSerializer, reread=True)
    def accept(self, request, swap, data):
        return services.swap_accept(actor=request.user, swap=swap)

    @command(
        "Approve a swap (the overall duty leader; the office at any step)",
        takes=SwapNoteSerializer,
        gives=SwapSerializer,
        reread=True,
    )
    def approve(self, request, swap, data):
        return services.swap_approve(actor=request.user, swap=swap, note=data.get("note", ""))

    @command(
        "Refuse a swap (the replacement or the overall duty leader)",
        takes=SwapNoteSerializer,
        gives=SwapSerializer,
        reread=True,
    )
    def refuse(self, request, swap, data):
        return services.swap_refuse(actor=request.user, swap=swap, note=data.get("note", ""))

    @command("Cancel a swap (who asked)", gives=SwapSerializer, reread=True)
    def cancel(self, request, swap, data):
        return services.swap_cancel(actor=request.user, swap=swap)


def register(router) -> None:
    router.register("duty/posts", PostViewSet, basename="duty-post")
    router.register("duty/shifts", ShiftViewSet, basename="duty-shift")
    router.register("duty/log-entries", EntryViewSet, basename="duty-log-entry")
    router.register("duty/handovers", HandoverViewSet, basename="duty-handover")
    router.register("duty/swaps", SwapViewSet, basename="duty-swap")
