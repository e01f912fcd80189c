"""``/api/v1/trips/``: trips and exposures, scoped by unit; a person adds their own."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response

from lianfang.core.api import RestrictedViewSet, StrictFieldsMixin, query_int, schema_requiring
from lianfang.core.audit import record_event
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.health.choices import Transport, TripKind
from lianfang.health.models import Trip
from lianfang.health.services import trips
from lianfang.people.models import Person


class TripSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = Trip
        fields = [
            "id",
            "person",
            "person_name",
            "unit",
            "kind",
            "place_code",
            "place_name",
            "date_from",
            "date_to",
            "transport",
            "transport_no",
            "note",
            "source",
            "created",
        ]
        read_only_fields = fields


class TripWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    person = serializers.IntegerField(required=False, help_text="Leave out to record your own trip.")
    kind = serializers.ChoiceField(choices=TripKind.choices, required=False)
    place_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    place_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    transport = serializers.ChoiceField(choices=Transport.choices, required=False, allow_blank=True)
    transport_no = serializers.CharField(max_length=20, required=False, allow_blank=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)

    strict_field_hints = {"unit": _("The unit is the person's unit."), "source": _("The source is set by the server.")}


@extend_schema_view(
    list=extend_schema(summary="List trips and exposures", parameters=[OpenApiParameter("person", int)]),
    retrieve=extend_schema(summary="One trip or exposure"),
    create=extend_schema(
        summary="Record a trip or exposure",
        description="The place is `place_code` (a division code) or `place_name`, or both.",
        request=schema_requiring(TripWriteSerializer, "date_from", "date_to", name="TripCreate"),
    ),
    partial_update=extend_schema(summary="Change a trip or exposure", request=TripWriteSerializer),
    destroy=extend_schema(summary="Delete a trip or exposure"),
)
class TripViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    RestrictedViewSet,
):
    """Trips and exposures (the epidemiological history), scoped by unit; everyone sees and adds
    their own. Reading other people's trips is audited."""

    queryset = Trip.objects.select_related("person")
    serializer_class = TripSerializer
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        # Employees hold no role that adds trips: their own come through Trip.scope_self, so the
        # base class's "may do it nowhere → 403" is left to the service for a create.
        if self.action == "create":
            viewsets.GenericViewSet.initial(self, request, *args, **kwargs)
            return
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "list":
            person = query_int(self.request.query_params, "person", invalid=_("Give a person id."))
            if person is not None:
                qs = qs.filter(person_id=person)
        return qs

    def get_serializer_class(self):
        return TripWriteSerializer if self.action in ("create", "partial_update") else TripSerializer

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", []) if isinstance(response.data, dict) else response.data
        own = Person.objects.filter(user=request.user).values_list("pk", flat=True).first()
        others = sorted({r["person"] for r in rows if r["person"] != own})
        if others:
            record_event(
                kind=AuditKind.SENSITIVE_READ,
                actor=request.user,
                object_repr=str(_("Trips")),
                what="trips",
                people=others[:500],
                count=len(others),
            )
        return response

    def create(self, request, *args, **kwargs):
        serializer = TripWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vd = dict(serializer.validated_data)
        person_id = vd.pop("person", None)
        if person_id is None:
            person = Person.objects.filter(user=request.user).select_related("unit").first()
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
        trip = trips.trip_create(actor=request.user, person=person, **vd)
        return Response(TripSerializer(trip).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        trip = self.get_object()
        serializer = TripWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        vd = dict(serializer.validated_data)
        if "person" in vd:
            raise exceptions.ValidationError({"person": [_("A trip stays with its person: add a new one instead.")]})
        trip = trips.trip_update(actor=request.user, trip=trip, **vd)
        return Response(TripSerializer(trip).data)

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("PUT")

    def destroy(self, request, *args, **kwargs):
        trip = self.get_object()
        trips.trip_delete(actor=request.user, trip=trip)
        return Response(status=status.HTTP_204_NO_CONTENT)
