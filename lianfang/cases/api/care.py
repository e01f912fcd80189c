"""``care-assignments/`` and ``care-contacts/``: one-on-one care through the API."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets

from lianfang.cases import selectors
from lianfang.cases.api.cases import _visible_person
from lianfang.cases.choices import CareNeed
from lianfang.cases.models import CareAssignment, CareContact
from lianfang.cases.services import care as care_services
from lianfang.core.api import RestrictedViewSet, StrictFieldsMixin, command
from lianfang.core.scoping import Action
from lianfang.people.models import Person


class CareAssignmentSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    carer_name = serializers.CharField(source="carer.name", read_only=True)

    class Meta:
        model = CareAssignment
        fields = [
            "id",
            "person",
            "person_name",
            "carer",
            "carer_name",
            "unit",
            "case",
            "isolation",
            "started_on",
            "ended_on",
            "created",
        ]
        read_only_fields = fields


class CareAssignCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    person = serializers.IntegerField()
    carer = serializers.IntegerField()
    case = serializers.IntegerField(required=False, allow_null=True)
    isolation = serializers.IntegerField(required=False, allow_null=True)
    started_on = serializers.DateField(required=False)


class CareEndSerializer(StrictFieldsMixin, serializers.Serializer):
    ended_on = serializers.DateField(required=False)


@extend_schema_view(
    list=extend_schema(summary="List one-on-one care assignments"),
    retrieve=extend_schema(summary="One care assignment"),
    create=extend_schema(
        summary="Assign a carer", request=CareAssignCreateSerializer, responses={201: CareAssignmentSerializer}
    ),
)
class CareAssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = CareAssignment.objects.select_related("person", "carer")
    serializer_class = CareAssignmentSerializer
    filterset_fields = {"person": ["exact"], "unit": ["exact"], "ended_on": ["isnull"]}
    ordering_fields = ["started_on", "id"]
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return {"create": CareAssignCreateSerializer, "end": CareEndSerializer}.get(
            self.action or "", CareAssignmentSerializer
        )

    def create(self, request, *args, **kwargs):
        data = CareAssignCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vd = data.validated_data
        person = Person.objects.restrict(request.user, Action.VIEW).select_related("unit").filter(pk=vd["person"])
        person = person.first()
        if person is None:
            raise Http404
        carer = _visible_person(request, vd["carer"], "carer")
        case = selectors.case_list(viewer=request.user).filter(pk=vd.get("case")).first() if vd.get("case") else None
        isolation = (
            selectors.isolation_list(viewer=request.user).filter(pk=vd.get("isolation")).first()
            if vd.get("isolation")
            else None
        )
        assignment = care_services.care_assign(
            actor=request.user,
            person=person,
            carer=carer,
            case=case,
            isolation=isolation,
            started_on=vd.get("started_on"),
        )
        return self.respond(assignment, status_code=status.HTTP_201_CREATED, serializer_class=CareAssignmentSerializer)

    @command(
        "End a care assignment",
        takes=CareEndSerializer,
        gives=CareAssignmentSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def end(self, request, assignment, data):
        return care_services.care_end(actor=request.user, assignment=assignment, ended_on=data.get("ended_on"))


class CareContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = CareContact
        fields = [
            "id",
            "assignment",
            "unit",
            "date",
            "need",
            "need_note",
            "action",
            "outcome",
            "is_open",
            "closed_on",
            "recorded",
        ]
        read_only_fields = fields


class CareContactCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    assignment = serializers.IntegerField()
    date = serializers.DateField(required=False)
    need = serializers.ChoiceField(choices=CareNeed.choices)
    need_note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    action = serializers.CharField(max_length=200, required=False, allow_blank=True)
    outcome = serializers.CharField(max_length=200, required=False, allow_blank=True)
    settled = serializers.BooleanField(default=False)


class SettleSerializer(StrictFieldsMixin, serializers.Serializer):
    outcome = serializers.CharField(max_length=200)
    closed_on = serializers.DateField(required=False)


@extend_schema_view(
    list=extend_schema(summary="List care contacts (filter is_open for the open needs)"),
    retrieve=extend_schema(summary="One care contact"),
    create=extend_schema(
        summary="Record a care contact (the carer or a case manager)",
        request=CareContactCreateSerializer,
        responses={201: CareContactSerializer},
    ),
)
class CareContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = CareContact.objects.all()
    serializer_class = CareContactSerializer
    filterset_fields = {"assignment": ["exact"], "is_open": ["exact"], "need": ["exact"], "unit": ["exact"]}
    ordering_fields = ["date", "id"]
    http_method_names = ["get", "post", "head", "options"]

    def initial(self, request, *args, **kwargs):
        # Carers record their own contacts through scope_self: the service decides.
        viewsets.GenericViewSet.initial(self, request, *args, **kwargs)

    def get_object(self):
        obj = super().get_object()
        if self.action == "settle" and not care_services.may_record_care(self.request.user, obj.assignment):
            raise exceptions.PermissionDenied()
        return obj

    def action_for_request(self) -> str:
        # Settling is checked by the service (the carer may, through scope_self).
        return Action.VIEW if self.action == "settle" else super().action_for_request()

    def get_serializer_class(self):
        return {"create": CareContactCreateSerializer, "settle": SettleSerializer}.get(
            self.action or "", CareContactSerializer
        )

    def create(self, request, *args, **kwargs):
        data = CareContactCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vd = dict(data.validated_data)
        assignment = selectors.care_list(viewer=request.user).filter(pk=vd.pop("assignment")).first()
        if assignment is None:
            raise Http404
        contact = care_services.care_contact_record(actor=request.user, assignment=assignment, **vd)
        return self.respond(contact, status_code=status.HTTP_201_CREATED, serializer_class=CareContactSerializer)

    # No scope_action before: a custom POST fell back to ADD (action_for_request above makes it VIEW).
    @command(
        "Mark a need settled", takes=SettleSerializer, gives=CareContactSerializer, reread=True, scope_action=Action.ADD
    )
    def settle(self, request, contact, data):
        return care_services.care_contact_settle(actor=request.user, care_contact=contact, **data)
