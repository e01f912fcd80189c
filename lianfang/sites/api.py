"""REST API of disinfection, registered on /api/v1/ by lianfang/api_urls.py:

* ``sites/disinfectants/`` — the catalogue (everyone who sees disinfection); POST and PATCH by the office;
* ``sites/disinfection-plans/`` — plans in scope (``?site=``, ``?active=``); POST adds one, PATCH changes
  or retires it (``is_active: false``);
* ``sites/disinfection-rounds/`` — rounds in scope (``?site=``, ``?date=``, ``?status=``); ``POST …/<id>/start/``,
  ``…/finish/`` (multipart with ``photo``), ``…/record/`` (start and end at once), ``…/cancel/``;
  ``POST …/terminal/`` opens a terminal disinfection at a site;
* ``sites/disinfection-records/`` — the records of rounds (``?site=``, ``?date=``); ``GET …/<id>/photo/``;
* ``sites/checkpoints/`` — checkpoints in scope (``?site=``); ``POST …/<id>/check/`` checks a pass or an
  employee number and records the entry, ``POST …/<id>/upload/`` stores what a gate recorded offline;
* ``sites/entries/`` — the entries (``?site=``, ``?checkpoint=``, ``?date=``, ``?decision=``).
"""

from __future__ import annotations

from django.db.models import F
from django.http import FileResponse, Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.core.api import (
    Pagination,
    RestrictedViewSet,
    ScopedUnitField,
    StrictFieldsMixin,
    command,
    query_date,
    query_int,
    schema_requiring,
)
from lianfang.core.scoping import Action
from lianfang.org.scoping import has_any
from lianfang.sites import selectors, services
from lianfang.sites.choices import PLANNED_KINDS, Area, Decision, Direction, Frequency, Method, RoundStatus
from lianfang.sites.models import (
    CHECKPOINT_FIELDS,
    Checkpoint,
    Disinfectant,
    DisinfectionLog,
    DisinfectionPlan,
    DisinfectionSlot,
    Entry,
)
from lianfang.sites.services import gate as gate_services

AGENT = "sites.disinfectant"
ID = {"min_value": 1, "max_value": 2**31 - 1}


# --- the catalogue --------------------------------------------------------------------------------------


class DisinfectantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disinfectant
        fields = [
            "id",
            "name",
            "name_en",
            "concentration",
            "contact_minutes",
            "use",
            "for_terminal",
            "is_active",
            "sort",
        ]
        read_only_fields = fields


class DisinfectantWriteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Disinfectant
        fields = ["name", "name_en", "concentration", "contact_minutes", "use", "for_terminal", "is_active", "sort"]
        validators: list = []  # the service says why (the unique name and concentration included)


@extend_schema_view(
    list=extend_schema(summary="List the disinfectants (the catalogue)"),
    retrieve=extend_schema(summary="One disinfectant"),
    create=extend_schema(
        summary="Add a disinfectant (group office)",
        request=DisinfectantWriteSerializer,
        responses={201: DisinfectantSerializer},
    ),
    partial_update=extend_schema(
        summary="Change or retire a disinfectant (group office)",
        request=DisinfectantWriteSerializer,
        responses={200: DisinfectantSerializer},
    ),
)
class DisinfectantViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Group-wide catalogue: read by every role that sees disinfection, kept by the group office."""

    serializer_class = DisinfectantSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.disinfectants(viewer=self.request.user, include_inactive=True).order_by("sort", "pk")

    def get_serializer_class(self):
        return DisinfectantWriteSerializer if self.action in ("create", "partial_update") else DisinfectantSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not has_any(request.user, AGENT, Action.VIEW):
            raise exceptions.PermissionDenied()

    def create(self, request, *args, **kwargs):
        if not has_any(request.user, AGENT, Action.ADD):
            raise exceptions.PermissionDenied()
        data = DisinfectantWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent = services.disinfectant_create(actor=request.user, **data.validated_data)
        return Response(DisinfectantSerializer(agent).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        agent = self.get_object()
        if not has_any(request.user, AGENT, Action.CHANGE):
            raise exceptions.PermissionDenied()
        data = DisinfectantWriteSerializer(agent, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        agent = services.disinfectant_update(actor=request.user, agent=agent, **data.validated_data)
        return Response(DisinfectantSerializer(agent).data)

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("PUT")


# --- plans ------------------------------------------------------------------------------------------------


class PlanSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)

    class Meta:
        model = DisinfectionPlan
        fields = [
            "id",
            "site",
            "site_name",
            "kind",
            "area",
            "area_note",
            "agent",
            "min_minutes",
            "frequency",
            "weekdays",
            "times",
            "starts_on",
            "ends_on",
            "is_active",
            "note",
        ]
        read_only_fields = fields


class PlanWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    site = ScopedUnitField(scope_model=DisinfectionPlan, scope_action=Action.ADD, required=False)
    kind = serializers.ChoiceField(choices=PLANNED_KINDS, required=False)
    area = serializers.ChoiceField(choices=Area.choices, required=False)
    area_note = serializers.CharField(max_length=100, required=False, allow_blank=True)
    agent = serializers.PrimaryKeyRelatedField(queryset=Disinfectant.objects.all(), required=False, allow_null=True)
    min_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, required=False, allow_null=True)
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), required=False, max_length=7
    )
    times = serializers.ListField(
        child=serializers.CharField(max_length=5), required=False, max_length=12, help_text="Deadlines, e.g. 10:00"
    )
    starts_on = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)

    strict_field_hints = {"id": "The plan is named in the address."}


@extend_schema_view(
    list=extend_schema(
        summary="List disinfection plans (?site=, ?active=)",
        parameters=[OpenApiParameter("site", OpenApiTypes.INT), OpenApiParameter("active", OpenApiTypes.BOOL)],
    ),
    retrieve=extend_schema(summary="One disinfection plan"),
    create=extend_schema(
        summary="Plan disinfection at a site (today's rounds still to come are made at once)",
        request=schema_requiring(PlanWriteSerializer, "site", "area", "times", name="DisinfectionPlanCreate"),
        responses={201: PlanSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a plan, or retire it (is_active: false); the rounds to come follow it",
        request=PlanWriteSerializer,
        responses={200: PlanSerializer},
    ),
)
class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = DisinfectionPlan.objects.select_related("site", "agent").order_by("site__path", "pk")
    serializer_class = PlanSerializer
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return PlanWriteSerializer if self.action in ("create", "partial_update") else PlanSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            return qs
        site = query_int(self.request.query_params, "site")
        if site is not None:
            qs = qs.filter(site_id=site)
        active = self.request.query_params.get("active")
        if active in ("true", "1"):
            qs = qs.filter(is_active=True)
        elif active in ("false", "0"):
            qs = qs.filter(is_active=False)
        elif active not in (None, ""):
            raise exceptions.ValidationError({"active": ["true, false"]})
        return qs

    def create(self, request, *args, **kwargs):
        data = PlanWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        vd = dict(data.validated_data)
        missing = {name: [str(_required())] for name in ("site", "area", "times") if name not in vd}
        if missing:
            raise exceptions.ValidationError(missing)
        vd.pop("is_active", None)
        plan = services.plan_create(actor=request.user, **vd)
        return self.respond(plan, status_code=status.HTTP_201_CREATED, serializer_class=PlanSerializer)

    def partial_update(self, request, *args, **kwargs):
        plan = self.get_object()
        data = PlanWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        vd = dict(data.validated_data)
        if "site" in vd:
            raise exceptions.ValidationError({"site": ["A plan stays at its site; retire it and plan the other."]})
        plan = services.plan_update(actor=request.user, plan=plan, **vd)
        return self.respond(plan, serializer_class=PlanSerializer)


def _required():
    from django.utils.translation import gettext_lazy as _

    return _("This field is required.")


# --- rounds and their records ------------------------------------------------------------------------------


class LogSerializer(serializers.ModelSerializer):
    minutes = serializers.IntegerField(read_only=True, allow_null=True)
    photo = serializers.SerializerMethodField()

    class Meta:
        model = DisinfectionLog
        fields = [
            "id",
            "slot",
            "site",
            "started_at",
            "ended_at",
            "minutes",
            "agent",
            "concentration",
            "operator_name",
            "note",
            "photo",
            "created",
        ]
        read_only_fields = fields

    def get_photo(self, log) -> str | None:
        """The address of the photo (for who may see the round), or null."""
        if not log.photo:
            return None
        return f"/api/v1/sites/disinfection-records/{log.pk}/photo/"


class SlotSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)
    status = serializers.SerializerMethodField()
    minimum_minutes = serializers.SerializerMethodField()
    case_number = serializers.SerializerMethodField()
    record = serializers.SerializerMethodField()

    class Meta:
        model = DisinfectionSlot
        fields = [
            "id",
            "site",
            "site_name",
            "plan",
            "kind",
            "area",
            "area_note",
            "agent",
            "minimum_minutes",
            "day",
            "due_at",
            "case_number",
            "note",
            "status",
            "record",
        ]
        read_only_fields = fields

    def _row(self, slot) -> selectors.RoundRow:
        return selectors.rows_of([slot])[0]

    def get_status(self, slot) -> str:
        return self._row(slot).status

    def get_minimum_minutes(self, slot) -> int | None:
        """Minutes the round must last: the planned disinfectant's contact time, or ventilation's minimum."""
        return self._row(slot).minimum

    def get_case_number(self, slot) -> str:
        """The case a terminal disinfection follows (its number only), or ""."""
        return slot.case.number if slot.case_id else ""

    @extend_schema_field(LogSerializer(allow_null=True))
    def get_record(self, slot) -> dict | None:
        log = getattr(slot, "log", None)
        return LogSerializer(log).data if log is not None else None


class StartSerializer(StrictFieldsMixin, serializers.Serializer):
    agent = serializers.PrimaryKeyRelatedField(
        queryset=Disinfectant.objects.all(), required=False, allow_null=True, help_text="Default: the planned one."
    )
    concentration = serializers.CharField(max_length=30, required=False, allow_blank=True)
    operator_name = serializers.CharField(
        max_length=60, required=False, allow_blank=True, help_text="Who does it; default: the caller."
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class FinishSerializer(StrictFieldsMixin, serializers.Serializer):
    photo = serializers.FileField(required=False, help_text="A JPEG, PNG or WebP photo (multipart).")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RecordSerializer(StrictFieldsMixin, serializers.Serializer):
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()
    agent = serializers.PrimaryKeyRelatedField(queryset=Disinfectant.objects.all(), required=False, allow_null=True)
    concentration = serializers.CharField(max_length=30, required=False, allow_blank=True)
    operator_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    photo = serializers.FileField(required=False, help_text="A JPEG, PNG or WebP photo (multipart).")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class TerminalSerializer(StrictFieldsMixin, serializers.Serializer):
    site = ScopedUnitField(scope_model=DisinfectionSlot, scope_action=Action.ADD)
    due_at = serializers.DateTimeField(required=False, help_text="Default: 24 hours from now.")
    note = serializers.CharField(max_length=200, help_text="Which case was here (its number), or what happened.")


STATUS_FILTERS = [s.value for s in RoundStatus]


def _status_q(wanted: str):
    """Rounds in one status now (the same rules as ``selectors.status_of``)."""
    from django.db.models import Q

    now = timezone.now()
    finished = Q(log__ended_at__isnull=False)
    if wanted == RoundStatus.DONE:
        return finished & Q(log__ended_at__lte=F("due_at"))
    if wanted == RoundStatus.LATE:
        return finished & Q(log__ended_at__gt=F("due_at"))
    if wanted == RoundStatus.OVERDUE:
        return ~finished & Q(due_at__lt=now)
    if wanted == RoundStatus.IN_PROGRESS:
        return Q(log__isnull=False, log__ended_at__isnull=True, due_at__gte=now)
    return Q(log__isnull=True, due_at__gte=now)


@extend_schema_view(
    list=extend_schema(
        summary="List disinfection rounds (?site=, ?date=, ?status=)",
        parameters=[
            OpenApiParameter("site", OpenApiTypes.INT),
            OpenApiParameter("date", OpenApiTypes.DATE),
            OpenApiParameter("status", OpenApiTypes.STR, enum=STATUS_FILTERS),
        ],
    ),
    retrieve=extend_schema(summary="One disinfection round with its record"),
)
class SlotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = DisinfectionSlot.objects.select_related("site", "agent", "case", "log").order_by("due_at", "pk")
    serializer_class = SlotSerializer
    filter_backends: list = []

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            return qs
        site = query_int(self.request.query_params, "site")
        if site is not None:
            qs = qs.filter(site_id=site)
        day = query_date(self.request.query_params, "date")
        if day is not None:
            qs = qs.filter(day=day)
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in STATUS_FILTERS:
                raise exceptions.ValidationError({"status": [", ".join(STATUS_FILTERS)]})
            qs = qs.filter(_status_q(wanted))
        return qs

    @command("Start a round now (the site's staff)", takes=StartSerializer, gives=SlotSerializer)
    def start(self, request, slot, data):
        services.log_start(actor=request.user, slot=slot, **data)
        return self.refetch(slot)

    @command(
        "Finish a started round now, with a photo (multipart); refused before the contact time has passed",
        takes=FinishSerializer,
        gives=SlotSerializer,
    )
    def finish(self, request, slot, data):
        log = DisinfectionLog.objects.filter(slot=slot).first()
        if log is None:
            raise exceptions.ValidationError({"non_field_errors": [str(_not_started())]})
        services.log_finish(actor=request.user, log=log, photo=data.get("photo"), note=data.get("note"))
        return self.refetch(slot)

    @command(
        "Record a round already done (start and end, with a photo if any)", takes=RecordSerializer, gives=SlotSerializer
    )
    def record(self, request, slot, data):
        services.log_record(actor=request.user, slot=slot, **data)
        return self.refetch(slot)

    @command("Take back a round started by mistake (not a finished one)", gives=SlotSerializer)
    def cancel(self, request, slot, data):
        log = DisinfectionLog.objects.filter(slot=slot).first()
        if log is None:
            raise exceptions.ValidationError({"non_field_errors": [str(_not_started())]})
        services.log_cancel(actor=request.user, log=log)
        return self.refetch(slot)

    @command(
        "Open a terminal disinfection at a site (due in 24 hours unless due_at says otherwise)",
        takes=TerminalSerializer,
        gives=SlotSerializer,
        status_code=status.HTTP_201_CREATED,
        detail=False,
        scope_action=Action.ADD,
    )
    def terminal(self, request, data):
        slot = services.terminal_open(actor=request.user, **data)
        return self.refetch(slot)


def _not_started():
    from django.utils.translation import gettext_lazy as _

    return _("This round has not been started.")


@extend_schema_view(
    list=extend_schema(
        summary="List the records of rounds (?site=, ?date= by the day they started)",
        parameters=[OpenApiParameter("site", OpenApiTypes.INT), OpenApiParameter("date", OpenApiTypes.DATE)],
    ),
    retrieve=extend_schema(summary="One record of a round"),
)
class LogViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = DisinfectionLog.objects.select_related("site", "agent").order_by("started_at", "pk")
    serializer_class = LogSerializer
    filter_backends: list = []

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            return qs
        site = query_int(self.request.query_params, "site")
        if site is not None:
            qs = qs.filter(site_id=site)
        day = query_date(self.request.query_params, "date")
        if day is not None:
            start, end = selectors.day_bounds(day)
            qs = qs.filter(started_at__gte=start, started_at__lt=end)
        return qs

    @extend_schema(summary="The photo of a round (JPEG)", responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="photo", filter_backends=[], pagination_class=None)
    def photo(self, request, pk=None):
        log = self.get_object()
        if not log.photo:
            raise Http404
        try:
            handle = log.photo.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(handle, content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        return response


def register(router) -> None:
    router.register("sites/disinfectants", DisinfectantViewSet, basename="sites-disinfectant")
    router.register("sites/disinfection-plans", PlanViewSet, basename="sites-disinfection-plan")
    router.register("sites/disinfection-rounds", SlotViewSet, basename="sites-disinfection-round")
    router.register("sites/disinfection-records", LogViewSet, basename="sites-disinfection-record")
    router.register("sites/checkpoints", CheckpointViewSet, basename="sites-checkpoint")
    router.register("sites/entries", EntryViewSet, basename="sites-entry")


# --- checkpoints and entries ------------------------------------------------------------------------


class CheckpointSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)

    class Meta:
        model = Checkpoint
        fields = ["id", "site", "site_name", *CHECKPOINT_FIELDS]
        read_only_fields = fields


class GateEntrySerializer(serializers.ModelSerializer):
    checkpoint_name = serializers.CharField(source="checkpoint.name", read_only=True)
    person_name = serializers.SerializerMethodField()

    class Meta:
        model = Entry
        fields = [
            "id",
            "checkpoint",
            "checkpoint_name",
            "site",
            "person",
            "person_name",
            "visitor",
            "pass_kind",
            "at",
            "direction",
            "decision",
            "reason",
            "method",
            "temperature",
            "temperature_ok",
            "colour",
            "offline",
            "late_check",
            "client_id",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_person_name(self, entry) -> str:
        if entry.person is not None:
            return entry.person.name
        return entry.visitor.name if entry.visitor is not None else ""


class GateCheckSerializer(StrictFieldsMixin, serializers.Serializer):
    code = serializers.CharField(max_length=2000, help_text="The scanned pass, or an employee number.")
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.IN)
    method = serializers.ChoiceField(choices=Method.choices, default=Method.SCANNER)
    temperature = serializers.DecimalField(max_digits=3, decimal_places=1, required=False, allow_null=True)
    temperature_ok = serializers.BooleanField(required=False, allow_null=True, default=None)
    client_id = serializers.UUIDField(required=False, allow_null=True, help_text="Repeat it on a retry: one entry.")


class GateVerdictSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.CharField(help_text="A denial's code: colour, fever, expired, forged, replayed, unknown…")
    reason_text = serializers.CharField()
    name = serializers.CharField(help_text="Masked (张*伟).")
    unit = serializers.CharField()
    colour = serializers.CharField()
    colour_text = serializers.CharField()
    entry = serializers.IntegerField()
    client_id = serializers.UUIDField()


class GateUploadSerializer(StrictFieldsMixin, serializers.Serializer):
    records = serializers.ListField(child=serializers.DictField(), max_length=500)


class CheckpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Checkpoints in scope (``?site=``); a gate device (a turnstile, a kiosk) with a service token of
    the checkpoint role checks passes with ``POST …/<id>/check/`` and uploads what it recorded offline
    with ``POST …/<id>/upload/``, exactly as the gate page does."""

    queryset = Checkpoint.objects.select_related("site").order_by("site__path", "name", "pk")
    serializer_class = CheckpointSerializer
    filter_backends: list = []

    def get_queryset(self):
        qs = super().get_queryset()
        site = query_int(self.request.query_params, "site")
        if self.action == "list" and site is not None:
            qs = qs.filter(site_id=site)
        return qs

    @command(
        "Check a pass or an employee number at the gate, and record the entry",
        takes=GateCheckSerializer,
        gives=GateVerdictSerializer,
    )
    def check(self, request, checkpoint, data):
        entry, verdict = gate_services.gate_check(actor=request.user, checkpoint=checkpoint, **data)
        return Response({**verdict.as_json(), "entry": entry.pk, "client_id": str(entry.client_id)})

    @command("Upload the entries a gate recorded offline (each client id stored once)", takes=GateUploadSerializer)
    def upload(self, request, checkpoint, data):
        return Response(gate_services.gate_upload(actor=request.user, checkpoint=checkpoint, records=data["records"]))


class EntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Entries in scope, newest first (``?site=``, ``?checkpoint=``, ``?date=``, ``?decision=``)."""

    queryset = Entry.objects.select_related("checkpoint", "person", "visitor").order_by("-at", "-pk")
    serializer_class = GateEntrySerializer
    filter_backends: list = []

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            return qs
        params = self.request.query_params
        for name, field in (("site", "site_id"), ("checkpoint", "checkpoint_id")):
            value = query_int(params, name)
            if value is not None:
                qs = qs.filter(**{field: value})
        day = query_date(params, "date")
        if day is not None:
            start, end = selectors.day_bounds(day)
            qs = qs.filter(at__gte=start, at__lt=end)
        decision = params.get("decision")
        if decision:
            if decision not in Decision.values:
                raise exceptions.ValidationError({"decision": [", ".join(Decision.values)]})
            qs = qs.filter(decision=decision)
        return qs
