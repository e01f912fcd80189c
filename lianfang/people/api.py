"""REST API of the roster: people and tags (thin: parse, check, call, serialize).

ID numbers and phones are masked in every response, whoever asks; a viewer holding ``unmask``
for the person's unit reads a full value through ``GET people/<id>/reveal/?field=…``, which is
audited. Writes take full values.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from lianfang.core.api import (
    MaskedCharField,
    Pagination,
    RestrictedViewSet,
    ScopedUnitField,
    StrictFieldsMixin,
    command,
)
from lianfang.core.exports import XLSX_CONTENT_TYPE, xlsx_response
from lianfang.core.masking import mask_id_number, mask_phone
from lianfang.core.scoping import Action
from lianfang.core.serializers import JobSerializer
from lianfang.core.uploads import check_size
from lianfang.org.models import RoleAssignment
from lianfang.people import selectors, services
from lianfang.people.activation import activation_url
from lianfang.people.exports import export_file_name, roster_export_file
from lianfang.people.filters import PersonFilterSet
from lianfang.people.importer import roster_import_submit
from lianfang.people.models import Person, Tag

REVEALABLE_FIELDS = ("id_number", "phone")

# --- Tags ---------------------------------------------------------------------------------------


class TagSerializer(serializers.ModelSerializer):
    label = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.label
        read_only=True, help_text="The name in the request's language."
    )

    class Meta:
        model = Tag
        fields = ["id", "code", "name", "name_en", "label"]
        read_only_fields = fields


@extend_schema_view(list=extend_schema(summary="List tags"), retrieve=extend_schema(summary="One tag"))
class TagViewSet(viewsets.ReadOnlyModelViewSet):
    """Tags on people (party member, front line, overseas, volunteer): reference data, the same for everyone."""

    queryset = Tag.objects.all()
    serializer_class = TagSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    filter_backends: list = []


# --- People -------------------------------------------------------------------------------------


class PersonSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    id_number = MaskedCharField(
        mask=mask_id_number,
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Written in full (18 characters, checksum validated); always read back masked (first 6 + last 4).",
    )
    phone = MaskedCharField(
        mask=mask_phone,
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="Written in full; always read back masked (first 3 + last 4).",
    )
    unit = ScopedUnitField(scope_model=Person, help_text="Only units where you may add people are accepted.")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    tags = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Tag.objects.all(), required=False, help_text="Tag codes."
    )
    has_account = serializers.SerializerMethodField(help_text="Whether the person logs in with a user account.")

    strict_field_hints = {
        "id_number_digest": _("This field is computed and cannot be written."),
        "user": _("To open an account for the person, POST to /api/v1/people/<id>/account/ (group office)."),
    }

    class Meta:
        model = Person
        fields = [
            "id",
            "employee_no",
            "name",
            "gender",
            "id_number",
            "phone",
            "unit",
            "unit_name",
            "category",
            "tags",
            "employment_status",
            "whereabouts",
            "returned_from",
            "returned_on",
            "expected_return_on",
            "has_account",
            "created",
            "updated",
        ]
        read_only_fields = ["id", "created", "updated"]
        # Uniqueness of the employee number is the service's check (full_clean), with the model's message.
        extra_kwargs: dict[str, dict] = {"employee_no": {"validators": []}}

    def get_has_account(self, person: Person) -> bool:
        return person.user_id is not None


class RevealQuerySerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=REVEALABLE_FIELDS)


class RosterUploadSerializer(StrictFieldsMixin, serializers.Serializer):
    file = serializers.FileField(
        help_text="An .xlsx workbook or a .csv file with the roster template's Chinese header row."
    )


class AccountRoleSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["id", "unit", "unit_name", "role", "role_label"]
        read_only_fields = fields


class AccountSerializer(serializers.Serializer):
    """A person's user account: its username (the employee number), its roles, how it signs in."""

    person = serializers.IntegerField(source="pk", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    is_active = serializers.BooleanField(source="user.is_active", read_only=True)
    has_password = serializers.SerializerMethodField(
        help_text="False until the person sets a password through their activation link."
    )
    roles = serializers.SerializerMethodField(help_text="The account's roles on units you may see.")
    activation_url = serializers.SerializerMethodField(
        help_text="While the account has no password, and for those who may hand out activation codes: the "
        "one-time link with which the person sets it. A credential: hand it to the person only."
    )

    def get_has_password(self, person: Person) -> bool:
        return person.user is not None and person.user.has_usable_password()

    @extend_schema_field(AccountRoleSerializer(many=True))
    def get_roles(self, person: Person) -> Any:
        viewer = self.context["request"].user
        roles = RoleAssignment.objects.restrict(viewer, Action.VIEW).filter(user=person.user_id)
        return AccountRoleSerializer(roles.select_related("unit").order_by("unit__path", "role"), many=True).data

    def get_activation_url(self, person: Person) -> str | None:
        request = self.context["request"]
        if self.get_has_password(person) or not services.may_hand_out_activation(request.user, person):
            return None
        return request.build_absolute_uri(activation_url(person))


class AccountCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    password = serializers.CharField(
        required=False,
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The first password; leave out to let the person set it through the activation link.",
    )

    strict_field_hints = {"username": _("The username is the person's employee number.")}


@extend_schema_view(
    list=extend_schema(summary="List people", description="ID numbers and phones are masked."),
    retrieve=extend_schema(summary="One person", description="ID numbers and phones are masked."),
    create=extend_schema(summary="Add a person to the roster"),
    update=extend_schema(summary="Replace a person's details"),
    partial_update=extend_schema(summary="Change some of a person's details"),
)
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """The roster. People leave (employment status), they are not deleted through the API."""

    queryset = Person.objects.all()
    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet
    # Never by ID number or phone: sorting by a masked column would disclose it digit by digit.
    ordering_fields = ["employee_no", "name", "unit__path", "created", "updated"]

    def get_queryset(self) -> QuerySet[Person]:
        return selectors.person_list(viewer=self.request.user)

    def perform_content_negotiation(self, request, force=False):
        # The export answers with a workbook whatever the client accepts; its errors are JSON.
        return super().perform_content_negotiation(request, force=force or self.action == "export")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        person = services.person_create(actor=request.user, **serializer.validated_data)
        return self.respond(person, status_code=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        person = self.get_object()
        serializer = self.get_serializer(person, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        person = services.person_update(actor=request.user, person=person, **serializer.validated_data)
        return self.respond(person)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(
        summary="Reveal a person's full ID number or phone (audited)",
        parameters=[OpenApiParameter("field", OpenApiTypes.STR, enum=list(REVEALABLE_FIELDS), required=True)],
        responses={
            200: inline_serializer(
                "RevealedValue", {"field": serializers.CharField(), "value": serializers.CharField()}
            ),
        },
    )
    @action(detail=True, methods=["get"], scope_action=Action.UNMASK, filter_backends=[], pagination_class=None)
    def reveal(self, request, pk=None):
        person = self.get_object()  # 404 outside the view scope, 403 without unmask
        query = RevealQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        field = query.validated_data["field"]
        value = services.person_reveal(actor=request.user, person=person, field=field)
        # The full value must not linger in a shared or browser cache.
        return Response({"field": field, "value": value}, headers={"Cache-Control": "no-store"})

    @command(
        "Open a user account for the person (group office)",
        takes=AccountCreateSerializer,
        status_code=status.HTTP_201_CREATED,
        scope_action=None,
        responses={201: AccountSerializer},
    )
    def account(self, request, person, data):
        """The account's username is the employee number and it gets the employee role on the person's
        unit; roles on other units are granted through role-assignments. Audited in the change log."""
        services.person_account_create(actor=request.user, person=person, password=data.get("password", ""))
        return self._account_response(self.get_queryset().get(pk=person.pk), status_code=status.HTTP_201_CREATED)

    @extend_schema(summary="The person's user account and its roles", responses={200: AccountSerializer})
    @account.mapping.get
    def account_show(self, request, pk=None):
        person = self.get_object()
        if person.user_id is None:
            raise NotFound(_("%(name)s has no account.") % {"name": person.name})
        return self._account_response(person)

    def _account_response(self, person: Person, *, status_code: int = status.HTTP_200_OK) -> Response:
        body = AccountSerializer(person, context=self.get_serializer_context()).data
        # The activation link is a credential: it must not linger in a shared or browser cache.
        return Response(body, status=status_code, headers={"Cache-Control": "no-store"})

    @extend_schema(
        summary="Import a roster file as a background job",
        description=(
            "Upload an .xlsx or .csv roster (multipart field `file`). The file is checked at once (size, type, "
            "zip bomb) and imported by a job, all or nothing: poll the job at the returned `url` until "
            "`is_finished`; a failed job lists every error with its row and column."
        ),
        request={"multipart/form-data": RosterUploadSerializer},
        responses={202: JobSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        scope_action=Action.IMPORT,
        parser_classes=[MultiPartParser, FormParser],
        filter_backends=[],
        pagination_class=None,
    )
    def import_roster(self, request):
        upload = RosterUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        try:
            check_size(file.size)  # before the bytes are read into memory
            job = roster_import_submit(actor=request.user, file_name=file.name, data=file.read())
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"file": exc.messages}) from None
        body = JobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(
        summary="Export the roster as .xlsx",
        description=(
            "The people you may export, narrowed by the same filters as the list (`q`, `unit`, `category`, "
            "`employment_status`, `whereabouts`, `gender`, `tag`). ID numbers and phones are in full only for "
            "people in units where you hold `unmask`; the export, and any unmasking, are audited. "
            "The file imports back unchanged."
        ),
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR),
            OpenApiParameter("unit", OpenApiTypes.INT, description="A unit id: that unit and its sub-units."),
            OpenApiParameter("category", OpenApiTypes.STR, many=True),
            OpenApiParameter("employment_status", OpenApiTypes.STR, many=True),
            OpenApiParameter("whereabouts", OpenApiTypes.STR, many=True),
            OpenApiParameter("gender", OpenApiTypes.STR),
            OpenApiParameter("tag", OpenApiTypes.STR, many=True, description="Tag codes."),
        ],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], scope_action=Action.EXPORT, filter_backends=[], pagination_class=None)
    def export(self, request):
        file, _count = roster_export_file(actor=request.user, params=request.query_params)
        return xlsx_response(file, file_name=export_file_name())
