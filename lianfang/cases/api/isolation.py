"""API endpoints of isolation, follow-ups, one-on-one care and cluster alerts (registered by
``lianfang.cases.api.register``)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response

from lianfang.cases import selectors
from lianfang.cases.choices import IsolationKind, IsolationReason, TestResult
from lianfang.cases.models import FollowUp, Isolation
from lianfang.cases.services import isolation as isolation_services
from lianfang.core.api import RestrictedViewSet, StrictFieldsMixin, command
from lianfang.core.scoping import Action
from lianfang.health.choices import Symptom
from lianfang.people.models import Person

# --- isolation ----------------------------------------------------------------------------------


class IsolationSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    responsible_name = serializers.CharField(source="responsible.username", read_only=True)

    class Meta:
        model = Isolation
        fields = [
            "id",
            "person",
            "person_name",
            "unit",
            "unit_name",
            "kind",
            "reason",
            "case",
            "contact",
            "start_on",
            "planned_end_on",
            "monitoring_end_on",
            "end_change_reason",
            "place",
            "responsible",
            "responsible_name",
            "released_on",
            "release_test_result",
            "release_test_on",
            "release_note",
            "created",
        ]
        read_only_fields = fields


class IsolationCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    person = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=IsolationKind.choices)
    reason = serializers.ChoiceField(choices=IsolationReason.choices, default=IsolationReason.CONTACT)
    start_on = serializers.DateField(required=False)
    planned_end_on = serializers.DateField(required=False, help_text="Defaults to the group's standard duration.")
    monitoring_end_on = serializers.DateField(required=False, allow_null=True)
    end_change_reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
    place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    responsible = serializers.IntegerField(required=False, help_text="A user id; defaults to you.")
    case = serializers.IntegerField(required=False, allow_null=True)
    contact = serializers.IntegerField(required=False, allow_null=True)


class IsolationChangeSerializer(StrictFieldsMixin, serializers.Serializer):
    planned_end_on = serializers.DateField()
    reason = serializers.CharField(max_length=200)
    monitoring_end_on = serializers.DateField(required=False, allow_null=True)
    place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    responsible = serializers.IntegerField(required=False)


class ReleaseSerializer(StrictFieldsMixin, serializers.Serializer):
    released_on = serializers.DateField(required=False)
    test_result = serializers.ChoiceField(choices=TestResult.choices)
    test_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


def _responsible(request, unit, pk: int | None):
    if pk is None:
        return None
    user = isolation_services.responsible_choices(actor=request.user, unit=unit).filter(pk=pk).first()
    if user is None:
        raise exceptions.ValidationError({"responsible": [isolation_services.responsible_refusal()]})
    return user


@extend_schema_view(
    list=extend_schema(summary="List isolation orders"),
    retrieve=extend_schema(summary="One isolation order"),
    create=extend_schema(
        summary="Order an isolation", request=IsolationCreateSerializer, responses={201: IsolationSerializer}
    ),
    partial_update=extend_schema(
        summary="Change the planned end (with a reason), place or responsible person",
        request=IsolationChangeSerializer,
        responses={200: IsolationSerializer},
    ),
)
class IsolationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = Isolation.objects.select_related("person", "unit", "responsible")
    serializer_class = IsolationSerializer
    filterset_fields = {"kind": ["exact"], "unit": ["exact"], "person": ["exact"], "released_on": ["isnull"]}
    ordering_fields = ["start_on", "planned_end_on", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return {
            "create": IsolationCreateSerializer,
            "partial_update": IsolationChangeSerializer,
            "release": ReleaseSerializer,
        }.get(self.action or "", IsolationSerializer)

    def create(self, request, *args, **kwargs):
        data = IsolationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vd = dict(data.validated_data)
        person = Person.objects.restrict(request.user, Action.VIEW).select_related("unit").filter(pk=vd.pop("person"))
        person = person.first()
        if person is None:
            raise Http404  # isolating a person outside your units: they do not exist for you
        case_id, contact_id = vd.pop("case", None), vd.pop("contact", None)
        case = selectors.case_list(viewer=request.user).filter(pk=case_id).first() if case_id else None
        contact = selectors.contact_list(viewer=request.user).filter(pk=contact_id).first() if contact_id else None
        if case_id and case is None:
            raise exceptions.ValidationError({"case": [_("There is no such case in your units.")]})
        if contact_id and contact is None:
            raise exceptions.ValidationError({"contact": [_("There is no such contact in your units.")]})
        responsible = _responsible(request, person.unit, vd.pop("responsible", None))
        isolation = isolation_services.isolation_order(
            actor=request.user, person=person, case=case, contact=contact, responsible=responsible, **vd
        )
        return self.respond(isolation, status_code=status.HTTP_201_CREATED, serializer_class=IsolationSerializer)

    def partial_update(self, request, *args, **kwargs):
        isolation = self.get_object()
        data = IsolationChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vd = dict(data.validated_data)
        responsible = _responsible(request, isolation.unit, vd.pop("responsible", None))
        isolation = isolation_services.isolation_change_end(
            actor=request.user, isolation=isolation, responsible=responsible, **vd
        )
        return self.respond(isolation, serializer_class=IsolationSerializer)

    @command(
        "Release from isolation",
        takes=ReleaseSerializer,
        gives=IsolationSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def release(self, request, isolation, data):
        return isolation_services.isolation_release(actor=request.user, isolation=isolation, **data)


# --- follow-ups ---------------------------------------------------------------------------------


class FollowUpSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, default=None)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "isolation",
            "unit",
            "date",
            "slot",
            "temperature",
            "symptoms",
            "note",
            "recorded",
            "recorded_by",
        ]
        read_only_fields = fields


class FollowUpCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    isolation = serializers.IntegerField()
    date = serializers.DateField(required=False, help_text="Defaults to today.")
    slot = serializers.IntegerField(min_value=1, max_value=4)
    temperature = serializers.CharField(max_length=8)
    symptoms = serializers.ListField(child=serializers.ChoiceField(choices=Symptom.choices), required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(summary="List follow-up readings"),
    retrieve=extend_schema(summary="One follow-up reading"),
    create=extend_schema(
        summary="Record a follow-up reading (or correct it)",
        request=FollowUpCreateSerializer,
        responses={201: FollowUpSerializer, 200: FollowUpSerializer},
    ),
)
class FollowUpViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = FollowUp.objects.select_related("recorded_by")
    serializer_class = FollowUpSerializer
    filterset_fields = {"isolation": ["exact"], "date": ["exact", "gte", "lte"]}
    ordering_fields = ["date", "slot", "id"]
    http_method_names = ["get", "post", "head", "options"]

    def initial(self, request, *args, **kwargs):
        # The responsible person records follow-ups without a role that allows it (scope_self):
        # the service decides, so the base class's "may do it nowhere → 403" is skipped.
        viewsets.GenericViewSet.initial(self, request, *args, **kwargs)

    def get_serializer_class(self):
        return FollowUpCreateSerializer if self.action == "create" else FollowUpSerializer

    def create(self, request, *args, **kwargs):
        data = FollowUpCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vd = dict(data.validated_data)
        isolation = selectors.isolation_list(viewer=request.user).filter(pk=vd.pop("isolation")).first()
        if isolation is None:
            raise Http404
        followup, created = isolation_services.followup_record(actor=request.user, isolation=isolation, **vd)
        return Response(
            FollowUpSerializer(followup).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
