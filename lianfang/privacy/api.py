"""REST API of the privacy app, registered on /api/v1/ by lianfang/api_urls.py:

* ``privacy/notices/`` — published notices for everyone signed in (``current/`` the one in force);
  the office also sees drafts, creates (POST) and publishes (``POST …/<id>/publish/``);
* ``privacy/consents/`` — consent records in scope (the person's own, a liaison's units');
  ``POST give/`` the caller's own consent, ``POST withdraw/``, ``POST attest/`` paper consent by a liaison;
* ``privacy/my-data/`` — everything Lianfang holds about the caller (Art. 45), audited;
* ``privacy/retention/`` (``POST set/``), ``privacy/purge-receipts/`` (``POST dry-run/``),
  ``privacy/stand-downs/`` (POST proposes, ``POST …/<id>/confirm/`` by a second administrator,
  ``POST …/<id>/withdraw/``) — the group office's.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.core.api import Pagination, RestrictedViewSet, StrictFieldsMixin, command
from lianfang.core.audit import record_event
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.people.models import Person
from lianfang.privacy import selectors, services
from lianfang.privacy.choices import CHECKIN_CATEGORIES
from lianfang.privacy.models import (
    ConsentRecord,
    EmergencyPeriod,
    PrivacyNotice,
    PurgeReceipt,
    RetentionPolicy,
    StandDown,
)


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PrivacyNotice
        fields = ["id", "version", "title", "title_en", "body", "body_en", "substantive", "published_at"]
        read_only_fields = ["id", "version", "published_at"]


class NoticeCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    title_en = serializers.CharField(max_length=200)
    body = serializers.CharField()
    body_en = serializers.CharField()
    substantive = serializers.BooleanField(default=True)


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The notice is for everyone; drafts and writes are the office's."""

    serializer_class = NoticeSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    filter_backends: list = []

    def get_queryset(self):
        qs = selectors.notice_list(viewer=self.request.user)
        if not selectors.is_office(self.request.user, PrivacyNotice, Action.VIEW):
            qs = qs.filter(published_at__isnull=False)
        return qs

    @extend_schema(
        summary="Write a new draft version of the notice (office)",
        request=NoticeCreateSerializer,
        responses={201: NoticeSerializer},
    )
    def create(self, request):
        if not selectors.is_office(request.user, PrivacyNotice, Action.ADD):
            raise exceptions.PermissionDenied
        data = NoticeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notice = services.notice_create(actor=request.user, **data.validated_data)
        return Response(NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The notice in force (404 before the office publishes one)", responses={200: NoticeSerializer}
    )
    @action(detail=False, methods=["get"])
    def current(self, request):
        notice = selectors.current_notice()
        if notice is None:
            raise exceptions.NotFound(_("No privacy notice is published yet."))
        return Response(NoticeSerializer(notice).data)

    @extend_schema(summary="Publish a draft (office)", request=None, responses={200: NoticeSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        notice = self.get_object()
        if not selectors.is_office(request.user, PrivacyNotice, Action.CHANGE):
            raise exceptions.PermissionDenied
        return Response(NoticeSerializer(services.notice_publish(actor=request.user, notice=notice)).data)


class ConsentSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = ConsentRecord
        fields = [
            "id",
            "person",
            "person_name",
            "category",
            "notice_version",
            "action",
            "basis",
            "channel",
            "given_at",
            "attested_by",
            "attested_on",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields


class CategoriesSerializer(StrictFieldsMixin, serializers.Serializer):
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=list(CHECKIN_CATEGORIES)), required=False, allow_empty=False
    )


class AttestSerializer(CategoriesSerializer):
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    signed_on = serializers.DateField()

    def validate_person(self, person):
        viewer = self.context["request"].user
        if not Person.objects.restrict(viewer, Action.VIEW).filter(pk=person.pk).exists():
            raise serializers.ValidationError(_("No such person among the people you may see."))
        return person


class WithdrawSerializer(CategoriesSerializer):
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all(), required=False)


class ConsentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Consent records in scope; the register is append-only."""

    serializer_class = ConsentSerializer
    queryset = ConsentRecord.objects.select_related("person")
    filter_backends: list = []

    def _own(self, request) -> Person:
        person = selectors.own_person(viewer=request.user)
        if person is None:
            raise exceptions.ValidationError({"person": [_("Your account is not linked to a person.")]})
        return person

    @command(
        "Give my own consent to the current notice",
        takes=CategoriesSerializer,
        gives=ConsentSerializer,
        status_code=201,
        detail=False,
    )
    def give(self, request, data):
        return services.consent_give(actor=request.user, person=self._own(request), **data)

    @command(
        "Withdraw consent (my own; a liaison may record a withdrawal for a person of their units)",
        takes=WithdrawSerializer,
        gives=ConsentSerializer,
        status_code=201,
        detail=False,
    )
    def withdraw(self, request, data):
        person = data.pop("person", None)
        if person is not None and not Person.objects.restrict(request.user, Action.VIEW).filter(pk=person.pk).exists():
            raise exceptions.NotFound
        return services.consent_withdraw(actor=request.user, person=person or self._own(request), **data)

    @command(
        "Record paper consent, attested by me (liaison)",
        takes=AttestSerializer,
        gives=ConsentSerializer,
        status_code=201,
        detail=False,
        scope_action=Action.ADD,
    )
    def attest(self, request, data):
        return services.consent_attest_paper(actor=request.user, **data)


class MyDataViewSet(viewsets.ViewSet):
    """Everything Lianfang holds about the caller (PIPL Art. 45); each read is an audited export."""

    @extend_schema(
        summary="My data: every section every app holds about me",
        responses={
            200: inline_serializer("MyData", {"sections": serializers.ListField(child=serializers.DictField())})
        },
    )
    def list(self, request):
        person, sections = selectors.my_data(viewer=request.user)
        if person is None:
            raise exceptions.NotFound(_("Your account is not linked to a person."))
        record_event(
            kind=AuditKind.EXPORT,
            actor=request.user,
            unit=person.unit,
            object_repr=_("My data"),
            what="personal_data",
            format="api",
            person=person.pk,
        )
        body = {
            "sections": [
                {
                    "key": s.key,
                    "title": str(s.title),
                    "headers": [str(h) for h in s.headers],
                    "rows": [[selectors.plain(v) for v in row] for row in s.rows],
                }
                for s in sections
            ]
        }
        response = Response(body)
        response["Cache-Control"] = "no-store"
        return response


# --- retention, purge receipts, stand-downs (the group office) -----------------------------------------


class OfficeOnlyMixin:
    """The office's endpoints: the right must be held on the group itself (403 for everyone else)."""

    office_model: Any = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if not selectors.is_office(request.user, self.office_model, Action.VIEW):
            raise exceptions.PermissionDenied


class RetentionSerializer(serializers.Serializer):
    category = serializers.CharField(source="key")
    label = serializers.CharField()
    days = serializers.IntegerField()
    default = serializers.IntegerField()
    floor = serializers.IntegerField()
    ceiling = serializers.IntegerField()
    purged = serializers.BooleanField(help_text="Whether an app has declared how this category is purged.")


class RetentionSetSerializer(StrictFieldsMixin, serializers.Serializer):
    category = serializers.CharField(max_length=60)
    days = serializers.IntegerField(min_value=1, max_value=100_000)


class RetentionViewSet(OfficeOnlyMixin, viewsets.ViewSet):
    """Retention per category of personal data, between the floor and the ceiling each category declares."""

    office_model = RetentionPolicy

    @extend_schema(summary="Retention per category (office)", responses={200: RetentionSerializer(many=True)})
    def list(self, request):
        return Response(RetentionSerializer(selectors.retention_rows(viewer=request.user), many=True).data)

    @extend_schema(
        summary="Set a category's retention (office); refused below the floor or above the ceiling",
        request=RetentionSetSerializer,
        responses={200: RetentionSerializer},
    )
    @action(detail=False, methods=["post"], url_path="set", url_name="set")
    def set_days(self, request):
        data = RetentionSetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not selectors.is_office(request.user, RetentionPolicy, Action.CHANGE):
            raise exceptions.PermissionDenied
        row = services.retention_set(actor=request.user, **data.validated_data)
        found = next(r for r in selectors.retention_rows(viewer=request.user) if r["key"] == row.category)
        return Response(RetentionSerializer(found).data)


class PurgeReceiptSerializer(serializers.ModelSerializer):
    deleted = serializers.IntegerField(read_only=True)
    redacted = serializers.IntegerField(read_only=True)
    period = serializers.CharField(source="stand_down.period.name", default=None, read_only=True, allow_null=True)

    class Meta:
        model = PurgeReceipt
        fields = [
            "id",
            "run_id",
            "trigger",
            "dry_run",
            "stand_down",
            "period",
            "started",
            "finished",
            "categories",
            "deleted",
            "redacted",
            "longest_transaction_ms",
            "error",
        ]
        read_only_fields = fields


class PurgeRunSerializer(StrictFieldsMixin, serializers.Serializer):
    category = serializers.CharField(max_length=60, required=False)


class PurgeReceiptViewSet(OfficeOnlyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What each run of the purge did; ``POST dry-run/`` shows what it would do now (changes nothing)."""

    office_model = PurgeReceipt
    serializer_class = PurgeReceiptSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    filter_backends: list = []

    def get_queryset(self):
        return selectors.purge_receipts(viewer=self.request.user)

    @extend_schema(
        summary="Dry run of the purge (office): what would be deleted now; nothing changes",
        request=PurgeRunSerializer,
        responses={201: PurgeReceiptSerializer},
    )
    @action(detail=False, methods=["post"], url_path="dry-run", url_name="dry-run")
    def dry_run(self, request):
        data = PurgeRunSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receipt = services.purge_run(actor=request.user, dry_run=True, **data.validated_data)
        return Response(PurgeReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)


class StandDownSerializer(serializers.ModelSerializer):
    period_name = serializers.CharField(source="period.name", read_only=True)
    confirmed = serializers.BooleanField(source="is_confirmed", read_only=True)

    class Meta:
        model = StandDown
        fields = [
            "id",
            "period",
            "period_name",
            "ends_on",
            "grace_days",
            "note",
            "proposed_by",
            "proposed_at",
            "confirmed",
            "confirmed_by",
            "confirmed_at",
            "purge_on",
            "purged_at",
        ]
        read_only_fields = fields


class StandDownProposeSerializer(StrictFieldsMixin, serializers.Serializer):
    period = serializers.PrimaryKeyRelatedField(queryset=EmergencyPeriod.objects.all())
    ends_on = serializers.DateField(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class StandDownViewSet(OfficeOnlyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The stand-down (应急结束): one office administrator proposes (POST), a different one confirms."""

    office_model = StandDown
    serializer_class = StandDownSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    filter_backends: list = []

    def get_queryset(self):
        return selectors.stand_downs(viewer=self.request.user)

    @extend_schema(
        summary="Propose to declare the outbreak over (office); nothing happens until a second administrator confirms",
        request=StandDownProposeSerializer,
        responses={201: StandDownSerializer},
    )
    def create(self, request):
        data = StandDownProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stand_down = services.stand_down_propose(actor=request.user, **data.validated_data)
        return Response(StandDownSerializer(stand_down).data, status=status.HTTP_201_CREATED)

    @command(
        "Confirm a stand-down (a second office administrator): closes the period, ends check-ins, schedules the purge",
        gives=StandDownSerializer,
        scope_action=None,
    )
    def confirm(self, request, stand_down, data):
        return services.stand_down_confirm(actor=request.user, stand_down=stand_down)

    @command("Withdraw a stand-down not confirmed yet (office)", scope_action=None)
    def withdraw(self, request, stand_down, data):
        services.stand_down_cancel(actor=request.user, stand_down=stand_down)


def register(router) -> None:
    router.register("privacy/notices", NoticeViewSet, basename="privacynotice")
    router.register("privacy/consents", ConsentViewSet, basename="consentrecord")
    router.register("privacy/my-data", MyDataViewSet, basename="mydata")
    router.register("privacy/retention", RetentionViewSet, basename="retentionpolicy")
    router.register("privacy/purge-receipts", PurgeReceiptViewSet, basename="purgereceipt")
    router.register("privacy/stand-downs", StandDownViewSet, basename="standdown")
