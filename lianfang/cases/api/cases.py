"""The cases app's API endpoints under /api/v1/ (thin: parse, check, call a service, serialize).

* ``cases``: list, retrieve (audited), create, partial update, ``transition``, ``graph`` (audited),
  ``suggestions``, ``add-suggested``, ``reveal-phone`` (audited unmask);
* ``case-contacts``: list, retrieve (audited), create, delete, ``become-case``;
* ``isolations``: list, retrieve, create, partial update (planned end with a reason), ``release``;
* ``followups``: list, retrieve, create (the responsible person or a case manager);
* ``care-assignments`` (+ ``end``) and ``care-contacts`` (+ ``settle``);
* ``cluster-alerts``: list, retrieve, ``handle`` (the group office).

Only case managers of the unit's subtree and the group office see cases and contacts: for anyone
else they do not exist (404). Reads of case and contact details are audited
(``AuditKind.SENSITIVE_READ``); external phones are always masked, ``reveal-phone`` gives one.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.cases import selectors
from lianfang.cases.choices import (
    CaseStatus,
    ContactDegree,
    ExposureSetting,
    Treatment,
)
from lianfang.cases.models import Case, Contact
from lianfang.cases.services import base, cases, contacts
from lianfang.core.api import RestrictedViewSet, ScopedUnitField, StrictFieldsMixin, command, schema_one_of
from lianfang.core.masking import mask_phone
from lianfang.core.scoping import Action
from lianfang.people.models import Person


def _visible_person(request, pk: int | None, field: str = "person") -> Person | None:
    """A roster person the user may see; any other id is "does not exist" (400), like a missing one."""
    if pk is None:
        return None
    person = Person.objects.restrict(request.user, Action.VIEW).select_related("unit").filter(pk=pk).first()
    if person is None:
        raise exceptions.ValidationError({field: [_("There is no such person on the roster of your units.")]})
    return person


# --- cases --------------------------------------------------------------------------------------


class CaseSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    external_phone = serializers.SerializerMethodField(help_text="Always masked; reveal-phone gives it in full.")
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "person_kind",
            "person",
            "name",
            "external_phone",
            "unit",
            "unit_name",
            "status",
            "onset_on",
            "reported_on",
            "suspected_on",
            "confirmed_on",
            "asymptomatic_on",
            "excluded_on",
            "recovered_on",
            "deceased_on",
            "isolated_on",
            "treatment",
            "treatment_place",
            "source_contact",
            "note",
            "allowed_transitions",
            "created",
            "updated",
        ]
        read_only_fields = fields

    def get_external_phone(self, case: Case) -> str:
        return mask_phone(case.external_phone)

    def get_allowed_transitions(self, case: Case) -> list[str]:
        return list(cases.allowed_transitions(case))


class CaseCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    person = serializers.IntegerField(required=False, help_text="A roster person (employee or family member).")
    external_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    external_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    unit = ScopedUnitField(scope_model=Case, required=False, help_text="Defaults to the person's unit.")
    status = serializers.ChoiceField(
        choices=CaseStatus.choices, default=CaseStatus.SUSPECTED, help_text="Suspected, confirmed or asymptomatic."
    )
    reported_on = serializers.DateField(required=False)
    onset_on = serializers.DateField(required=False, allow_null=True)
    isolated_on = serializers.DateField(required=False, allow_null=True)
    treatment = serializers.ChoiceField(choices=Treatment.choices, default=Treatment.NONE)
    treatment_place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)

    strict_field_hints = {"number": _("The case number is given by the server.")}


class CaseUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    onset_on = serializers.DateField(required=False, allow_null=True)
    isolated_on = serializers.DateField(required=False, allow_null=True)
    treatment = serializers.ChoiceField(choices=Treatment.choices, required=False)
    treatment_place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    external_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)

    strict_field_hints = {"status": _("Change the status with the transition action.")}


class TransitionSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    on = serializers.DateField(required=False, help_text="Defaults to today.")
    treatment = serializers.ChoiceField(choices=Treatment.choices, required=False)
    treatment_place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)


class SuggestionSerializer(serializers.Serializer):
    person = serializers.IntegerField(source="person.pk")
    name = serializers.CharField(source="person.name")
    unit_name = serializers.CharField(source="person.unit.name")
    shared_days = serializers.IntegerField()
    last_day = serializers.DateField()


class AddSuggestedSerializer(StrictFieldsMixin, serializers.Serializer):
    people = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    setting = serializers.ChoiceField(choices=ExposureSetting.choices, default=ExposureSetting.WORKPLACE)


class GraphNodeSerializer(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()
    detail = serializers.CharField()
    status = serializers.CharField()
    unit = serializers.CharField()
    hop = serializers.IntegerField()
    pk = serializers.IntegerField()


class GraphEdgeSerializer(serializers.Serializer):
    source = serializers.CharField()
    target = serializers.CharField()
    degree = serializers.CharField()
    exposure = serializers.DateField(allow_null=True)


class GraphSerializer(serializers.Serializer):
    root = serializers.CharField()
    nodes = GraphNodeSerializer(many=True)
    edges = GraphEdgeSerializer(many=True)


class PhoneSerializer(serializers.Serializer):
    phone = serializers.CharField()


@extend_schema_view(
    list=extend_schema(summary="List cases (case managers and the group office; audited)"),
    retrieve=extend_schema(summary="One case (audited read)"),
    create=extend_schema(
        summary="Register a case",
        description="A person on the roster (`person`), or an external person (`external_name` and `unit`).",
        request=schema_one_of(
            CaseCreateSerializer,
            name="CaseCreate",
            variants={"OfRosterPerson": ("person",), "OfExternalPerson": ("external_name", "unit")},
        ),
        responses={201: CaseSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a case's details", request=CaseUpdateSerializer, responses={200: CaseSerializer}
    ),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Suspected and confirmed cases, asymptomatic infections, and how they end."""

    queryset = Case.objects.select_related("unit", "person")
    serializer_class = CaseSerializer
    filterset_fields = {"status": ["exact"], "unit": ["exact"], "reported_on": ["exact", "gte", "lte"]}
    ordering_fields = ["reported_on", "number", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return {
            "create": CaseCreateSerializer,
            "partial_update": CaseUpdateSerializer,
            "transition": TransitionSerializer,
            "add_suggested": AddSuggestedSerializer,
        }.get(self.action or "", CaseSerializer)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        base.audit_list_read(viewer=request.user, what="case_list_api", count=len(response.data.get("results", [])))
        return response

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        base.audit_sensitive_read(viewer=request.user, obj=case, what="case_api")
        return Response(CaseSerializer(case, context=self.get_serializer_context()).data)

    def create(self, request, *args, **kwargs):
        data = CaseCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        vd = dict(data.validated_data)
        person = _visible_person(request, vd.pop("person", None))
        case = cases.case_register(actor=request.user, person=person, **vd)
        return self.respond(case, status_code=status.HTTP_201_CREATED, serializer_class=CaseSerializer)

    def partial_update(self, request, *args, **kwargs):
        case = self.get_object()
        data = CaseUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vd = data.validated_data
        case = cases.case_update(actor=request.user, case=case, fields=list(vd), **vd)
        return self.respond(case, serializer_class=CaseSerializer)

    @command(
        "Move a case to its next status",
        takes=TransitionSerializer,
        gives=CaseSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def transition(self, request, case, data):
        return cases.case_transition(
            actor=request.user,
            case=case,
            to_status=data["status"],
            on=data.get("on"),
            treatment=data.get("treatment"),
            treatment_place=data.get("treatment_place"),
            note=data.get("note", ""),
        )

    @extend_schema(summary="The contact graph around a case (audited read)", responses={200: GraphSerializer})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def graph(self, request, pk=None):
        case = self.get_object()
        graph = selectors.contact_graph(viewer=request.user, case=case)
        base.audit_sensitive_read(viewer=request.user, obj=case, what="contact_graph_api", nodes=len(graph.nodes))
        return Response(GraphSerializer(graph).data)

    @extend_schema(
        summary="Suggested close contacts: on site with the case on the same days",
        responses={200: SuggestionSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def suggestions(self, request, pk=None):
        case = self.get_object()
        rows = selectors.contact_suggestions(viewer=request.user, case=case)
        return Response(SuggestionSerializer(rows, many=True).data)

    @command(
        "Add suggested people as close contacts (all or none)",
        takes=AddSuggestedSerializer,
        responses={
            201: inline_serializer("AddedContacts", {"added": serializers.ListField(child=serializers.IntegerField())})
        },
        scope_action=Action.VIEW,
    )
    def add_suggested(self, request, case, data):
        added = contacts.contacts_add_suggested(
            actor=request.user, case=case, person_ids=data["people"], setting=data["setting"]
        )
        return Response({"added": [c.pk for c in added]}, status=status.HTTP_201_CREATED)

    @command("The external person's full phone (audited)", gives=PhoneSerializer, scope_action=Action.UNMASK)
    def reveal_phone(self, request, case, data):
        return {"phone": cases.case_reveal_phone(actor=request.user, case=case)}


# --- contacts -----------------------------------------------------------------------------------


class ContactSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    case_number = serializers.CharField(source="case.number", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    external_phone = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "case",
            "case_number",
            "degree",
            "via",
            "person_kind",
            "person",
            "name",
            "external_phone",
            "unit",
            "unit_name",
            "last_exposure_on",
            "setting",
            "setting_note",
            "notified_at",
            "became_case",
            "created",
        ]
        read_only_fields = fields

    def get_external_phone(self, contact: Contact) -> str:
        return mask_phone(contact.external_phone)


class ContactCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    case = serializers.IntegerField()
    person = serializers.IntegerField(required=False)
    external_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    external_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    unit = ScopedUnitField(scope_model=Contact, required=False, help_text="An external contact's unit.")
    degree = serializers.ChoiceField(choices=ContactDegree.choices, default=ContactDegree.CLOSE)
    via = serializers.IntegerField(required=False, allow_null=True)
    last_exposure_on = serializers.DateField()
    setting = serializers.ChoiceField(choices=ExposureSetting.choices, default=ExposureSetting.WORKPLACE)
    setting_note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class BecomeCaseSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(
        choices=CaseStatus.choices, default=CaseStatus.SUSPECTED, help_text="Suspected, confirmed or asymptomatic."
    )
    reported_on = serializers.DateField(required=False)
    onset_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(summary="List close and secondary contacts"),
    retrieve=extend_schema(summary="One contact (audited read)"),
    create=extend_schema(
        summary="List a contact of a case (notifies them and their liaisons)",
        description="A person on the roster (`person`), or an external person (`external_name`).",
        request=schema_one_of(
            ContactCreateSerializer,
            name="ContactCreate",
            variants={"OfRosterPerson": ("person",), "OfExternalPerson": ("external_name",)},
        ),
        responses={201: ContactSerializer},
    ),
    destroy=extend_schema(summary="Remove a contact listed by mistake"),
)
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = Contact.objects.select_related("case", "person", "unit")
    serializer_class = ContactSerializer
    filterset_fields = {"case": ["exact"], "degree": ["exact"], "unit": ["exact"]}
    ordering_fields = ["last_exposure_on", "id"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_serializer_class(self):
        return {"create": ContactCreateSerializer, "become_case": BecomeCaseSerializer}.get(
            self.action or "", ContactSerializer
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        base.audit_list_read(viewer=request.user, what="contact_list_api", count=len(response.data.get("results", [])))
        return response

    def retrieve(self, request, *args, **kwargs):
        contact = self.get_object()
        base.audit_sensitive_read(viewer=request.user, obj=contact, what="contact_api")
        return Response(ContactSerializer(contact, context=self.get_serializer_context()).data)

    def create(self, request, *args, **kwargs):
        data = ContactCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        vd = dict(data.validated_data)
        case = selectors.case_list(viewer=request.user).filter(pk=vd.pop("case")).first()
        if case is None:
            raise exceptions.ValidationError({"case": [_("There is no such case in your units.")]})
        via_id = vd.pop("via", None)
        via = None
        if via_id is not None:
            via = Contact.objects.restrict(request.user, Action.VIEW).filter(pk=via_id).first()
            if via is None:
                raise exceptions.ValidationError({"via": [_("There is no such close contact in your units.")]})
        person = _visible_person(request, vd.pop("person", None))
        contact = contacts.contact_add(actor=request.user, case=case, person=person, via=via, **vd)
        return self.respond(contact, status_code=status.HTTP_201_CREATED, serializer_class=ContactSerializer)

    def destroy(self, request, *args, **kwargs):
        contact = self.get_object()
        contacts.contact_delete(actor=request.user, contact=contact)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @command(
        "The contact fell ill: register their case",
        takes=BecomeCaseSerializer,
        gives=CaseSerializer,
        status_code=status.HTTP_201_CREATED,
        scope_action=Action.CHANGE,
    )
    def become_case(self, request, contact, data):
        return contacts.contact_become_case(actor=request.user, contact=contact, **data)
