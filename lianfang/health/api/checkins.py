"""REST API of the health app, registered on the /api/v1/ router by lianfang/api_urls.py.

* ``checkins``: list (filters unit — with sub-units —, date, date_from/date_to, flagged, fever,
  person), retrieve, create (for yourself, or for a person in your scope: a proxy check), and
  ``same-as-yesterday``. Creating again for the same person and day corrects the check-in
  (200 instead of 201).
* ``checkin-questions``: read by every signed-in user; written by the group office (a change to the
  wording is a new version).
* ``checkin-completion`` and ``checkin-non-reporters``: the day's completion per unit (from the
  per-unit day counts) and the people who have not checked in.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.core.api import Pagination, RestrictedViewSet, StrictFieldsMixin, command, schema_requiring
from lianfang.core.masking import mask_phone
from lianfang.core.scoping import Action
from lianfang.health import selectors
from lianfang.health.choices import CheckInSource, QuestionKind, Symptom, WorkMode
from lianfang.health.filters import CheckInFilterSet
from lianfang.health.models import CheckIn, Question, QuestionVersion, UnitDayStat
from lianfang.health.services import checkins, questions, reminders
from lianfang.org.models import Unit
from lianfang.org.scoping import has_any, units_where
from lianfang.people.models import Person

# --- check-ins ----------------------------------------------------------------------------------


class CheckInSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    employee_no = serializers.CharField(source="person.employee_no", read_only=True)
    reported_by = serializers.CharField(source="reported_by.username", read_only=True, default=None)

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "person",
            "person_name",
            "employee_no",
            "unit",
            "date",
            "temperature",
            "symptoms",
            "symptom_note",
            "location_code",
            "location_name",
            "work_mode",
            "answers",
            "is_fever",
            "is_flagged",
            "flag_reasons",
            "source",
            "reported_by",
            "created",
            "updated",
        ]
        read_only_fields = fields


# The response to a submission: the fields of CheckInSerializer, written without building a
# ModelSerializer (its field set costs more CPU than the rest of the request's Python). A test
# checks that both give the same body.
_TEMPERATURE = serializers.DecimalField(max_digits=3, decimal_places=1)
_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()


def checkin_body(checkin: CheckIn) -> dict:
    """What CheckInSerializer(checkin).data gives, for a check-in whose person is loaded."""
    person = checkin.person
    reported_by = checkin.reported_by
    return {
        "id": checkin.pk,
        "person": checkin.person_id,
        "person_name": person.name,
        "employee_no": person.employee_no,
        "unit": checkin.unit_id,
        "date": _DATE.to_representation(checkin.date),
        "temperature": _TEMPERATURE.to_representation(checkin.temperature),
        "symptoms": checkin.symptoms,
        "symptom_note": checkin.symptom_note,
        "location_code": checkin.location_code,
        "location_name": checkin.location_name,
        "work_mode": checkin.work_mode,
        "answers": checkin.answers,
        "is_fever": checkin.is_fever,
        "is_flagged": checkin.is_flagged,
        "flag_reasons": checkin.flag_reasons,
        "source": checkin.source,
        "reported_by": reported_by.username if reported_by is not None else None,
        "created": _DATETIME.to_representation(checkin.created),
        "updated": _DATETIME.to_representation(checkin.updated),
    }


class CheckInSubmitSerializer(StrictFieldsMixin, serializers.Serializer):
    person = serializers.IntegerField(required=False, help_text="Leave out to check in yourself.")
    date = serializers.DateField(required=False, help_text="Today in the group's time zone if left out.")
    temperature = serializers.CharField(max_length=8)
    symptoms = serializers.ListField(child=serializers.ChoiceField(choices=Symptom.choices), required=False)
    symptom_note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    location_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    work_mode = serializers.ChoiceField(choices=WorkMode.choices, required=False, default=WorkMode.ON_SITE)
    answers = serializers.DictField(required=False, help_text="Answers keyed by question version id.")

    strict_field_hints = {
        "source": _("The source is set by the server."),
        "reported_by": _("The person entering is the signed-in user."),
    }


_SYMPTOMS = frozenset(Symptom.values)
_WORK_MODES = frozenset(WorkMode.values)
# CharField refuses NUL and lone surrogates (its ProhibitNull/SurrogateCharactersValidator).
_REFUSED = re.compile("[\x00\ud800-\udfff]")
_PLAIN_TEXT = {"temperature": 8, "symptom_note": 200, "location_code": 12}


def plain_submission(data) -> dict | None:
    """What ``CheckInSubmitSerializer(data=data).validated_data`` gives, for a plain valid JSON body
    (yourself, no date; strings, a list of known symptoms, an answers object); None for anything
    else — other keys, other types, a value the serializer would refuse or change —, which then goes
    through the serializer and gets its messages.

    Building the serializer deep-copies its eight fields on every request: that and running them
    were an eighth of a check-in's CPU. A test compares both on many bodies.
    """
    if type(data) is not dict:
        return None
    out: dict = {}
    for key, value in data.items():
        limit = _PLAIN_TEXT.get(key)
        if limit is not None:
            if type(value) is not str or len(value) > limit or value != value.strip() or _REFUSED.search(value):
                return None
            if not value and key == "temperature":
                return None
            out[key] = value
        elif key == "symptoms":
            if type(value) is not list or any(type(v) is not str or v not in _SYMPTOMS for v in value):
                return None
            out[key] = list(value)
        elif key == "work_mode":
            if type(value) is not str or value not in _WORK_MODES:
                return None
            out[key] = value
        elif key == "answers":
            if type(value) is not dict or any(v is None for v in value.values()):
                return None
            out[key] = {str(k): v for k, v in value.items()}
        else:
            return None
    if "temperature" not in out:
        return None
    out.setdefault("work_mode", WorkMode.ON_SITE)
    return out


class SameAsYesterdaySerializer(StrictFieldsMixin, serializers.Serializer):
    date = serializers.DateField(required=False)


def _target_person(request, person_id: int | None) -> Person:
    """Yourself, or a person you may see (out of scope is 404; in view scope without ``add``, 403)."""
    if person_id is None:
        user = request.user
        descriptor = getattr(type(user), "person", None)
        # lianfang.people.authentication.TokenAuthentication reads the person and unit with the token.
        if descriptor is not None and descriptor.is_cached(user):
            try:
                return user.person
            except ObjectDoesNotExist:
                person = None
        else:
            person = selectors.own_person(viewer=user)
        if person is None:
            raise exceptions.ValidationError({"person": [_("Your account is not linked to a person: give a person.")]})
        return person
    person = Person.objects.restrict(request.user, Action.VIEW).select_related("unit").filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


@extend_schema_view(
    list=extend_schema(summary="List check-ins"),
    retrieve=extend_schema(summary="One check-in"),
)
class CheckInViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Daily health check-ins, scoped by unit; everyone sees and submits their own."""

    queryset = CheckIn.objects.select_related("person", "reported_by")
    serializer_class = CheckInSerializer
    filterset_class = CheckInFilterSet
    ordering_fields = ["date", "temperature", "id"]

    def initial(self, request, *args, **kwargs):
        # Employees hold no role that allows adding check-ins: their own come through scope_self.
        # So the base class's "may do it nowhere → 403" check is replaced by the service's own.
        viewsets.GenericViewSet.initial(self, request, *args, **kwargs)

    def get_serializer_class(self):
        if self.action == "create":
            return CheckInSubmitSerializer
        if self.action == "same_as_yesterday":
            return SameAsYesterdaySerializer
        return CheckInSerializer

    def _respond(self, checkin: CheckIn, created: bool) -> Response:
        return Response(checkin_body(checkin), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Check in (or correct today's check-in)",
        request=CheckInSubmitSerializer,
        responses={201: CheckInSerializer, 200: CheckInSerializer},
    )
    def create(self, request):
        vd = plain_submission(request.data)
        if vd is None:  # anything unusual, and every error, goes through the serializer
            serializer = CheckInSubmitSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            vd = serializer.validated_data
        person = _target_person(request, vd.get("person"))
        is_self = person.user_id == request.user.pk
        checkin, created = checkins.checkin_submit(
            actor=request.user,
            person=person,
            date=vd.get("date"),
            data=checkins.CheckInData(
                temperature=vd["temperature"],
                work_mode=vd.get("work_mode", WorkMode.ON_SITE),
                symptoms=vd.get("symptoms", []),
                symptom_note=vd.get("symptom_note", ""),
                location_code=vd.get("location_code", ""),
                answers=vd.get("answers") or {},
            ),
            source=CheckInSource.API if is_self else CheckInSource.PROXY,
        )
        return self._respond(checkin, created)

    # No scope_action before: a custom POST fell back to ADD (``initial`` above leaves it to the service).
    @command(
        "Check in yourself with yesterday's answers",
        takes=SameAsYesterdaySerializer,
        responses={201: CheckInSerializer, 200: CheckInSerializer},
        scope_action=Action.ADD,
        detail=False,
    )
    def same_as_yesterday(self, request, data):
        person = _target_person(request, None)
        checkin, created = checkins.checkin_same_as_yesterday(actor=request.user, person=person, date=data.get("date"))
        return self._respond(checkin, created)


# --- questions ----------------------------------------------------------------------------------


class QuestionVersionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]

    class Meta:
        model = QuestionVersion
        fields = ["id", "version", "text", "text_en", "label", "kind", "choices", "required", "flag_values", "created"]
        read_only_fields = fields


class QuestionSerializer(serializers.ModelSerializer):
    current = QuestionVersionSerializer(read_only=True)

    class Meta:
        model = Question
        fields = ["id", "code", "sort", "is_active", "units", "current"]
        read_only_fields = fields


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=40)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True)
    label_en = serializers.CharField(max_length=100, required=False, allow_blank=True)


class QuestionWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    code = serializers.SlugField(max_length=40, required=False)
    sort = serializers.IntegerField(min_value=0, max_value=32000, required=False)
    units = serializers.PrimaryKeyRelatedField(many=True, queryset=Unit.objects.all(), required=False)
    text = serializers.CharField(max_length=200, required=False)
    text_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=QuestionKind.choices, required=False)
    choices = ChoiceSerializer(many=True, required=False)
    required = serializers.BooleanField(required=False)
    flag_values = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    is_active = serializers.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        self.fields["units"].child_relation.queryset = Unit.objects.restrict(
            getattr(request, "user", None), Action.VIEW
        )


@extend_schema_view(
    list=extend_schema(summary="List check-in questions"),
    retrieve=extend_schema(summary="One check-in question"),
    create=extend_schema(
        summary="Add a question (group office)",
        request=schema_requiring(QuestionWriteSerializer, "code", "text", "kind", name="QuestionCreate"),
    ),
    partial_update=extend_schema(
        summary="Change a question: a new version (group office)", request=QuestionWriteSerializer
    ),
)
class QuestionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The office's extra check-in questions: group-wide configuration, read by everyone signed in."""

    serializer_class = QuestionSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.question_list(viewer=self.request.user)

    def get_serializer_class(self):
        return QuestionWriteSerializer if self.action in ("create", "partial_update") else QuestionSerializer

    def _check(self, action_name: str) -> None:
        if not has_any(self.request.user, "health.question", action_name):
            raise exceptions.PermissionDenied()

    def _fields(self, vd: dict) -> dict:
        fields = dict(vd)
        fields.pop("code", None)
        fields.pop("is_active", None)
        if "choices" in fields:
            fields["choices"] = [dict(c) for c in fields["choices"]]
        return fields

    def create(self, request, *args, **kwargs):
        self._check(Action.ADD)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vd = serializer.validated_data
        if not vd.get("code"):
            raise exceptions.ValidationError({"code": [_("Give the question a code.")]})
        question = questions.question_create(actor=request.user, code=vd["code"], **self._fields(vd))
        return Response(
            QuestionSerializer(self.get_queryset().get(pk=question.pk)).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request, *args, **kwargs):
        question = self.get_object()
        self._check(Action.CHANGE)
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        vd = serializer.validated_data
        if "code" in vd and vd["code"] != question.code:
            raise exceptions.ValidationError({"code": [_("The code of a question cannot change.")]})
        question = questions.question_update(actor=request.user, question=question, **self._fields(vd))
        if "is_active" in vd:
            question = questions.question_set_active(actor=request.user, question=question, is_active=vd["is_active"])
        return Response(QuestionSerializer(self.get_queryset().get(pk=question.pk)).data)

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("PUT")


# --- completion and non-reporters ------------------------------------------------------------

DAY_AND_UNIT = [
    OpenApiParameter("date", str, description="YYYY-MM-DD; today in the group's time zone if left out."),
    OpenApiParameter("unit", int, description="A unit: its subtree only."),
]


def _day(request) -> datetime.date:
    raw = request.query_params.get("date")
    if not raw:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise exceptions.ValidationError({"date": [_("Give the date as YYYY-MM-DD.")]}) from None


def _unit(request, model) -> Unit | None:
    raw = request.query_params.get("unit")
    if not raw:
        return None
    try:
        return units_where(request.user, model, Action.VIEW).get(pk=int(raw))
    except (ValueError, Unit.DoesNotExist):
        raise Http404 from None


def _row(row: selectors.CompletionRow) -> dict:
    return {
        "unit": row.unit_id,
        "code": row.unit.code if row.unit else None,
        "name": row.unit.name if row.unit else None,
        "depth": row.depth,
        **{k: getattr(row, k) for k in selectors.COUNTS},
        "rate": row.rate,
        "subtree": {**row.subtree, "rate": row.subtree_rate},
    }


class CompletionViewSet(viewsets.ViewSet):
    """Check-in completion by unit for a day, and the trend, from the per-unit day counts."""

    def _ensure(self, request) -> None:
        if not has_any(request.user, "health.unitdaystat", Action.VIEW):
            raise exceptions.PermissionDenied()

    @extend_schema(summary="Completion per unit for a day", parameters=DAY_AND_UNIT, responses={200: dict})
    def list(self, request):
        self._ensure(request)
        day, root = _day(request), _unit(request, UnitDayStat)
        rows = selectors.completion_by_unit(viewer=request.user, date=day, root=root)
        totals = selectors.completion_totals(viewer=request.user, date=day, root=root)
        return Response({"date": day, "totals": _row(totals), "units": [_row(r) for r in rows]})

    @extend_schema(
        summary="Completion per day over the last days",
        parameters=[OpenApiParameter("days", int), OpenApiParameter("unit", int)],
        responses={
            200: inline_serializer(
                "CompletionTrendDay",
                {
                    "date": serializers.DateField(),
                    "expected": serializers.IntegerField(help_text="People expected to check in."),
                    "reported": serializers.IntegerField(help_text="Check-ins of the day."),
                    "fever": serializers.IntegerField(),
                },
                many=True,
            )
        },
    )
    @action(detail=False, methods=["get"])
    def trend(self, request):
        self._ensure(request)
        try:
            days = min(max(int(request.query_params.get("days", 14)), 1), 366)
        except ValueError:
            raise exceptions.ValidationError({"days": [_("Give a number of days.")]}) from None
        rows = selectors.completion_trend(viewer=request.user, days=days, root=_unit(request, UnitDayStat))
        return Response([{"date": d, "expected": e, "reported": r, "fever": f} for d, e, r, f in rows])


class NonReporterSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "name", "employee_no", "unit", "unit_name", "phone"]
        read_only_fields = fields

    def get_phone(self, person: Person) -> str:
        # The numbers shown in full were revealed (and audited) once for the page by the view.
        return self.context.get("phones", {}).get(person.pk) or mask_phone(person.phone)


class NonReporterViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Active people in scope who have not checked in for the day: phones masked unless the viewer may
    unmask them, like the page, and one audit event per response naming how many numbers it showed."""

    serializer_class = NonReporterSerializer
    pagination_class = Pagination
    filter_backends: list = []

    def get_queryset(self):
        if not has_any(self.request.user, "health.checkin", Action.VIEW):
            raise exceptions.PermissionDenied()
        return selectors.non_reporters(
            viewer=self.request.user, date=_day(self.request), unit=_unit(self.request, CheckIn)
        )

    @extend_schema(summary="People who have not checked in", parameters=DAY_AND_UNIT)
    def list(self, request, *args, **kwargs):
        day, unit = _day(request), _unit(request, CheckIn)
        page = self.paginate_queryset(self.get_queryset().select_related("unit"))
        people = list(page) if page is not None else []
        phones = reminders.non_reporter_phones_reveal(actor=request.user, people=people, date=day, unit=unit)
        context = {**self.get_serializer_context(), "phones": phones}
        return self.get_paginated_response(self.get_serializer_class()(people, many=True, context=context).data)
