"""REST API of the outings app, registered on /api/v1/ by lianfang/api_urls.py:

* ``outings/`` — outings in scope and one's own (``?state=``, ``?risk=1``, ``?when=away|upcoming|overdue``,
  ``?unit=``, ``?mine=1``, ``?to_decide=1``); POST asks for one (for oneself, or ``person`` for the
  liaison); ``POST …/<id>/approve|reject|acknowledge|cancel|return|reading/``.

An outing belongs to the person's unit when it was asked; the person sees their own. Deciding a step
needs the step's role on its unit or above (or the prevention office above it): the service says who.
Reading other people's outings is audited, like their trips.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets

from lianfang.core.api import LooseDecimalField, RestrictedViewSet, StrictFieldsMixin, command, query_int
from lianfang.core.audit import record_event
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.health.choices import Transport
from lianfang.org.models import Unit
from lianfang.outings import selectors, services
from lianfang.outings.choices import OutingState
from lianfang.outings.models import MonitoringReading, Outing, OutingStep
from lianfang.people.models import Person


class OutingStepSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = OutingStep
        fields = ["seq", "kind", "unit", "unit_name", "role", "opened_at", "due_at", "decided_at", "decision", "note"]
        read_only_fields = fields


class ReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonitoringReading
        fields = ["id", "date", "temperature", "is_fever", "recorded_at"]
        read_only_fields = fields


class OutingSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Outing
        fields = [
            "id",
            "person",
            "person_name",
            "unit",
            "unit_name",
            "route",
            "state",
            "place_code",
            "place_name",
            "date_from",
            "date_to",
            "reason",
            "transport",
            "transport_no",
            "risk_at_request",
            "risk_area_name",
            "risk_found_on",
            "risk_found_area",
            "key_role",
            "submitted_at",
            "decided_at",
            "acknowledged_at",
            "cancelled_at",
            "returned_at",
            "actual_from",
            "actual_to",
            "trip_recorded",
            "monitoring_until",
        ]
        read_only_fields = fields


class OutingDetailSerializer(OutingSerializer):
    steps = OutingStepSerializer(many=True, read_only=True)
    readings = ReadingSerializer(many=True, read_only=True)

    class Meta(OutingSerializer.Meta):
        fields = [*OutingSerializer.Meta.fields, "steps", "readings"]
        read_only_fields = fields


class OutingAskSerializer(StrictFieldsMixin, serializers.Serializer):
    person = serializers.IntegerField(required=False, help_text="Leave out to ask for yourself (a liaison names one).")
    place_code = serializers.CharField(max_length=12, help_text="The destination's division code, e.g. 420106.")
    date_from = serializers.DateField(help_text="Date of departure.")
    date_to = serializers.DateField(help_text="Date of return.")
    reason = serializers.CharField(max_length=200)
    transport = serializers.ChoiceField(choices=Transport.choices)
    transport_no = serializers.CharField(max_length=20, required=False, allow_blank=True)

    strict_field_hints = {
        "unit": _("The unit is the person's unit."),
        "state": _("The state is set by the route."),
        "place_name": _("The destination's name is taken from its division code."),
    }


class NoteSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="The approver's opinion.")


class RejectSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="Why it is not approved; the person reads it.")


class ReturnSerializer(StrictFieldsMixin, serializers.Serializer):
    actual_from = serializers.DateField(help_text="The day the person actually left.")
    actual_to = serializers.DateField(help_text="The day the person actually came back.")


class ReadingInSerializer(StrictFieldsMixin, serializers.Serializer):
    temperature = LooseDecimalField(help_text="Today's second reading in °C, e.g. 36.5.")


WHEN = ("away", "upcoming", "overdue")


@extend_schema_view(
    list=extend_schema(
        summary="List outings",
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, enum=OutingState.values),
            OpenApiParameter("risk", OpenApiTypes.BOOL, description="Only outings to a risk area."),
            OpenApiParameter("when", OpenApiTypes.STR, enum=list(WHEN)),
            OpenApiParameter("unit", OpenApiTypes.INT, description="Outings of this unit's subtree."),
            OpenApiParameter("mine", OpenApiTypes.BOOL, description="Only your own outings."),
            OpenApiParameter("to_decide", OpenApiTypes.BOOL, description="Only outings waiting for your decision."),
        ],
    ),
    retrieve=extend_schema(summary="One outing with its route and monitoring readings"),
    create=extend_schema(
        summary="Ask for an outing (外出申请) or file it (报备, leaders)",
        request=OutingAskSerializer,
        responses={201: OutingDetailSerializer},
    ),
)
class OutingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Outing requests and filings (外出审批报备)."""

    queryset = Outing.objects.select_related("person", "unit")
    serializer_class = OutingSerializer
    ordering_fields = ["date_from", "submitted_at", "id"]
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]

    def initial(self, request, *args, **kwargs):
        # Employees hold no role that adds outings: their own come through Outing.scope_self, so the
        # base class's "may do it nowhere → 403" is left to the service for a create.
        if self.action == "create":
            viewsets.GenericViewSet.initial(self, request, *args, **kwargs)
            return
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            return qs.prefetch_related("steps__unit", "readings")
        params = self.request.query_params
        state = params.get("state") or ""
        if state and state not in OutingState.values:
            raise exceptions.ValidationError(
                {"state": [_("Choose one of: %(s)s.") % {"s": ", ".join(OutingState.values)}]}
            )
        when = params.get("when") or ""
        if when and when not in WHEN:
            raise exceptions.ValidationError({"when": [_("Choose away, upcoming or overdue.")]})
        unit = None
        unit_id = query_int(params, "unit")
        if unit_id is not None:
            unit = Unit.objects.restrict(self.request.user, Action.VIEW).filter(pk=unit_id).first()
            if unit is None:
                raise exceptions.ValidationError({"unit": [_("There is no such unit among yours.")]})
        qs = selectors.filter_outings(
            qs, state=state, risk=params.get("risk") in ("1", "true", "True"), when=when, unit=unit
        )
        if params.get("mine") in ("1", "true", "True"):
            qs = qs.filter(person__user=self.request.user)
        if params.get("to_decide") in ("1", "true", "True"):
            qs = qs.filter(pk__in=selectors.steps_waiting(viewer=self.request.user).values("outing_id"))
        return qs.order_by("-date_from", "-pk")

    def get_serializer_class(self):
        return OutingDetailSerializer if self.action == "retrieve" else OutingSerializer

    def _audit(self, rows) -> None:
        own = Person.objects.filter(user=self.request.user).values_list("pk", flat=True).first()
        others = sorted({r["person"] for r in rows if r["person"] != own})
        if others:
            record_event(
                kind=AuditKind.SENSITIVE_READ,
                actor=self.request.user,
                object_repr=str(_("Outings")),
                what="outings",
                people=others[:500],
                count=len(others),
            )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        self._audit(response.data.get("results", []) if isinstance(response.data, dict) else response.data)
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        self._audit([response.data])
        return response

    def create(self, request, *args, **kwargs):
        data = OutingAskSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        person_id = fields.pop("person", None)
        if person_id is None:
            person = selectors.own_person(viewer=request.user)
            if person is None:
                raise exceptions.ValidationError(
                    {"person": [_("Your account is not linked to a person: give a person.")]}
                )
        else:
            person = (
                Person.objects.restrict(request.user, Action.VIEW).select_related("unit").filter(pk=person_id).first()
            )
            if person is None:
                raise Http404
        outing = services.outing_ask(actor=request.user, person=person, **fields)
        return self.respond(outing, status_code=status.HTTP_201_CREATED, serializer_class=OutingDetailSerializer)

    @command("Approve the step waiting for you", takes=NoteSerializer, gives=OutingDetailSerializer, reread=True)
    def approve(self, request, outing, data):
        return services.outing_approve(actor=request.user, outing=outing, note=data.get("note", ""))

    @command("Refuse the request, saying why", takes=RejectSerializer, gives=OutingDetailSerializer, reread=True)
    def reject(self, request, outing, data):
        return services.outing_reject(actor=request.user, outing=outing, reason=data["reason"])

    @command("Acknowledge a leader's filing", takes=NoteSerializer, gives=OutingDetailSerializer, reread=True)
    def acknowledge(self, request, outing, data):
        return services.outing_acknowledge(actor=request.user, outing=outing, note=data.get("note", ""))

    @command("Withdraw the outing (before leaving)", gives=OutingDetailSerializer, reread=True)
    def cancel(self, request, outing, data):
        return services.outing_cancel(actor=request.user, outing=outing)

    @command(
        "Confirm the return with the days actually away",
        takes=ReturnSerializer,
        gives=OutingDetailSerializer,
        reread=True,
        url_path="return",
    )
    def confirm_return(self, request, outing, data):
        return services.outing_return(actor=request.user, outing=outing, **data)

    @command(
        "Record today's second temperature reading (enhanced monitoring)",
        takes=ReadingInSerializer,
        gives=ReadingSerializer,
        status_code=status.HTTP_201_CREATED,
    )
    def reading(self, request, outing, data):
        return services.reading_record(actor=request.user, outing=outing, temperature=data["temperature"])


def register(router) -> None:
    router.register("outings", OutingViewSet, basename="outing")
