"""REST API of the reporting app, registered on the /api/v1/ router by lianfang/api_urls.py.

The unit daily report (``reports/``), its template (``report-fields/``) and what reports raise
(``raised-items/``). Thin: parse, check, call a service, serialize. Refusals from the services keep
their message (why, and who can do it) in the 403 body.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.core.api import Pagination, RestrictedViewSet, ScopedUnitField, StrictFieldsMixin, command, query_date
from lianfang.core.extensions import feed_counts
from lianfang.core.masking import mask_phone
from lianfang.core.scoping import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import can, has_any
from lianfang.reporting.choices import FieldKind, RaisedStatus
from lianfang.reporting.models import RaisedItem, ReportField, UnitDailyReport
from lianfang.reporting.selectors import reports
from lianfang.reporting.services import reports as report_services

# --- Reports ------------------------------------------------------------------------------------


class UnitReportSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    submitted_by_name = serializers.SerializerMethodField()
    timeliness = serializers.SerializerMethodField(help_text="timely, late or missing (a draft is missing).")
    is_locked = serializers.SerializerMethodField(help_text="Only the group office may change a locked report.")

    class Meta:
        model = UnitDailyReport
        fields = [
            "id",
            "unit",
            "unit_code",
            "unit_name",
            "date",
            "status",
            "is_zero_report",
            "timeliness",
            "is_late",
            "is_locked",
            "values",
            "prefilled",
            "submitted_at",
            "submitted_by",
            "submitted_by_name",
            "created",
            "updated",
        ]
        read_only_fields = fields

    def get_submitted_by_name(self, report: UnitDailyReport) -> str:
        return report.submitted_by.get_username() if report.submitted_by else ""

    def get_timeliness(self, report: UnitDailyReport) -> str:
        return reports.timeliness_of(report).value

    def get_is_locked(self, report: UnitDailyReport) -> bool:
        return reports.report_is_locked(report.date)


class ReportLineSerializer(serializers.Serializer):
    """One field of a report as the report page shows it, in the template's order."""

    code = serializers.CharField(source="field.code")
    label = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.label
        source="field.display_label", help_text="In the request's language."
    )
    kind = serializers.CharField(source="field.kind")
    required = serializers.BooleanField(source="field.required")  # type: ignore[assignment]  # like Field.required
    value = serializers.JSONField(allow_null=True, help_text="As reported: a whole number for counts, else text.")
    prefilled = serializers.IntegerField(
        allow_null=True, help_text="What the records gave for a count (null where they give nothing)."
    )
    changed = serializers.BooleanField(help_text="A count reported differently from what the records gave.")


class ReportRaisedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.CharField()
    status = serializers.CharField()
    routed_to_name = serializers.CharField(source="routed_to.name", default="")


class UnitReportDetailSerializer(UnitReportSerializer):
    """One report as its page shows it: every line with its label, what it raised, when it locks."""

    deadline = serializers.SerializerMethodField(help_text="The deadline of the reports of that day.")
    locks_on = serializers.SerializerMethodField(help_text="From this day only the group office may change the report.")
    lines = serializers.SerializerMethodField()
    raised_items = serializers.SerializerMethodField(help_text="What the report raised, as far as you may see it.")

    class Meta(UnitReportSerializer.Meta):
        fields = [*UnitReportSerializer.Meta.fields, "deadline", "locks_on", "lines", "raised_items"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_deadline(self, report: UnitDailyReport) -> str:
        return serializers.DateTimeField().to_representation(reports.report_deadline_at(report.date))

    @extend_schema_field(OpenApiTypes.DATE)
    def get_locks_on(self, report: UnitDailyReport) -> str:
        return reports.report_locks_on(report.date).isoformat()

    @extend_schema_field(ReportLineSerializer(many=True))
    def get_lines(self, report: UnitDailyReport) -> Any:
        return ReportLineSerializer(reports.report_lines(report), many=True).data

    @extend_schema_field(ReportRaisedSerializer(many=True))
    def get_raised_items(self, report: UnitDailyReport) -> Any:
        viewer = self.context["request"].user
        return ReportRaisedSerializer(reports.raised_item_list(viewer=viewer).filter(report=report), many=True).data


class ReportWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    values = serializers.DictField(
        required=False,
        help_text="Field code → value (whole numbers for counts, text for the narrative). Counts left out are "
        "kept or prefilled from the records.",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Why a submitted report is corrected."
    )


class ReportCreateSerializer(ReportWriteSerializer):
    unit = ScopedUnitField(scope_model=UnitDailyReport, help_text="A unit where you may add reports.")
    date = serializers.DateField(required=False, help_text="Defaults to today in the group's time zone.")


class ZeroReportSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = ScopedUnitField(scope_model=UnitDailyReport, help_text="A unit where you may add reports.")
    date = serializers.DateField(required=False, help_text="Defaults to today in the group's time zone.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ReportStatusRowSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    unit_code = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    timeliness = serializers.CharField()
    is_zero_report = serializers.BooleanField()
    report = serializers.IntegerField(source="report.pk", allow_null=True, default=None)
    submitted_at = serializers.DateTimeField(source="report.submitted_at", allow_null=True, default=None)
    liaison = serializers.CharField(source="unit.liaison", help_text="Whom to call about a missing report.")
    liaison_phone = serializers.SerializerMethodField(
        help_text="In full only for a missing report and a viewer who may unmask people there (the page's rule), "
        "else masked: 138****5678."
    )

    def get_liaison_phone(self, row) -> str:
        return row.unit.liaison_phone if row.liaison_phone_visible else mask_phone(row.unit.liaison_phone)


class ReportDayLineSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField(help_text="In the request's language.")  # type: ignore[assignment]
    kind = serializers.CharField()
    required = serializers.BooleanField()  # type: ignore[assignment]
    value = serializers.JSONField(allow_null=True, help_text="The report's value, or the count the records give.")
    prefilled = serializers.IntegerField(allow_null=True, help_text="The count the records give today.")


class ReportDaySerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    date = serializers.DateField()
    report = UnitReportSerializer(allow_null=True, help_text="The report, once it is started (a draft or submitted).")
    timeliness = serializers.CharField()
    deadline = serializers.DateTimeField()
    locked = serializers.BooleanField(help_text="Only the group office may change the report.")
    may_write = serializers.BooleanField(help_text="Whether you may save or submit it now.")
    zero_report_blockers = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the records show that is new: a zero report is refused while this is not empty.",
    )
    lines = ReportDayLineSerializer(many=True)


def _today_or(date):
    return date or timezone.localdate()


def _past_or_today(raw: str | None) -> datetime.date:
    """``?date=``: today when left out; a day in the future is refused (nothing is due yet)."""
    today = timezone.localdate()
    date = query_date({"date": raw})
    if date is None:
        return today
    if date > today:
        raise exceptions.ValidationError({"date": [_("Give today or an earlier day.")]})
    return date


def _int_or_404(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise exceptions.NotFound() from None


def _report_day(user, unit: Unit, date: datetime.date) -> dict[str, Any]:
    """What the report page shows for a unit and a day (the same reads as ``reporting.views.reports.report_edit``)."""
    report = reports.report_get(viewer=user, unit=unit, date=date)
    fields = reports.report_fields()
    counted = feed_counts(unit, date, [f.source for f in fields if f.kind == FieldKind.COUNT and f.source])
    locked = reports.report_is_locked(date)
    may_write = can(user, Action.CHANGE if report else Action.ADD, UnitDailyReport, unit) and (
        not locked or reports.is_group_office(user, unit)
    )
    lines = []
    for f in fields:
        prefilled = counted.get(f.source) if f.kind == FieldKind.COUNT and f.source else None
        value = report.values.get(f.code) if report is not None else prefilled
        lines.append(
            {
                "code": f.code,
                "label": f.display_label,
                "kind": f.kind,
                "required": f.required,
                "value": value,
                "prefilled": prefilled,
            }
        )
    return {
        "unit": unit,
        "date": date,
        "report": report,
        "timeliness": reports.timeliness_of(report).value,
        "deadline": reports.report_deadline_at(date),
        "locked": locked,
        "may_write": may_write,
        "zero_report_blockers": report_services.zero_report_blockers(unit, date, report.values if report else None),
        "lines": lines,
    }


@extend_schema_view(
    list=extend_schema(summary="List unit daily reports", description="Drafts included; filter by date."),
    retrieve=extend_schema(summary="One unit daily report"),
    create=extend_schema(
        summary="Start a unit's daily report (a draft)",
        request=ReportCreateSerializer,
        responses={201: UnitReportSerializer},
    ),
    update=extend_schema(summary="Change a draft's values", request=ReportWriteSerializer),
    partial_update=extend_schema(summary="Change a draft's values", request=ReportWriteSerializer),
)
class UnitReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Unit daily reports (日报告、零报告). One per unit per day; a submitted report is corrected by
    submitting it again (before the lock by its liaison, after it by the group office with a reason)."""

    queryset = UnitDailyReport.objects.all()
    serializer_class = UnitReportSerializer
    filterset_fields = {"date": ["exact", "gte", "lte"], "unit": ["exact"], "status": ["exact"]}
    ordering_fields = ["date", "unit__path", "submitted_at"]

    def get_queryset(self) -> QuerySet[UnitDailyReport]:
        return reports.report_list(viewer=self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return ReportCreateSerializer
        if self.action in ("update", "partial_update", "submit"):
            return ReportWriteSerializer
        if self.action == "zero":
            return ZeroReportSerializer
        if self.action == "retrieve":
            return UnitReportDetailSerializer
        return UnitReportSerializer

    def create(self, request, *args, **kwargs):
        data = ReportCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        unit, date = data.validated_data["unit"], _today_or(data.validated_data.get("date"))
        if UnitDailyReport.objects.filter(unit=unit, date=date).exists():
            raise exceptions.ValidationError(
                {"date": [_("This unit already has a report for that day: change or submit that one.")]}
            )
        report = report_services.unit_report_save_draft(
            actor=request.user,
            unit=unit,
            date=date,
            values=data.validated_data.get("values") or {},
            reason=data.validated_data.get("reason", ""),
        )
        return self.respond(report, status_code=status.HTTP_201_CREATED, serializer_class=UnitReportSerializer)

    def update(self, request, *args, **kwargs):
        report = self.get_object()
        data = ReportWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = report_services.unit_report_save_draft(
            actor=request.user,
            unit=report.unit,
            date=report.date,
            values=data.validated_data.get("values") or {},
            reason=data.validated_data.get("reason", ""),
        )
        return self.respond(report, serializer_class=UnitReportSerializer)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    @command(
        "Submit the report (or submit a correction)",
        takes=ReportWriteSerializer,
        gives=UnitReportSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def submit(self, request, report, data):
        return report_services.unit_report_submit(
            actor=request.user,
            unit=report.unit,
            date=report.date,
            values=data.get("values") or {},
            reason=data.get("reason", ""),
        )

    @extend_schema(description="Refused (400, with what the records show) when there is a fever, a flag or a new case.")
    @command(
        "Submit a zero report in one action (零报告)",
        takes=ZeroReportSerializer,
        gives=UnitReportSerializer,
        reread=True,
        scope_action=Action.ADD,
        url_path="zero-report",
        detail=False,
    )
    def zero(self, request, data):
        return report_services.unit_report_submit_zero(
            actor=request.user,
            unit=data["unit"],
            date=_today_or(data.get("date")),
            reason=data.get("reason", ""),
        )

    @extend_schema(
        summary="Timely, late or missing: every reporting unit in your scope for a day",
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="Defaults to today.")],
        responses={
            200: inline_serializer(
                "ReportStatus",
                {
                    "date": serializers.DateField(),
                    "deadline": serializers.DateTimeField(),
                    "before_deadline": serializers.BooleanField(),
                    "totals": serializers.DictField(
                        help_text="expected, timely, late, missing, zero (submitted zero reports), submitted."
                    ),
                    "units": ReportStatusRowSerializer(many=True),
                },
            )
        },
    )
    @action(
        detail=False, methods=["get"], url_path="status", url_name="status", filter_backends=[], pagination_class=None
    )
    def day_status(self, request):
        date = _today_or(query_date(request.query_params))
        rows = reports.report_status_by_unit(viewer=request.user, date=date)
        totals = reports.report_status_totals(viewer=request.user, date=date)
        deadline = reports.report_deadline_at(date)
        return Response(
            {
                "date": date,
                "deadline": deadline,
                "before_deadline": timezone.now() <= deadline,
                "totals": totals,
                "units": ReportStatusRowSerializer(rows, many=True).data,
            }
        )

    @extend_schema(
        summary="A unit's report for a day as the report page opens it, with the counts the records give",
        description="The report once it is started; before that, `report` is null and each count's `value` is "
        "what the records give (what a new report is prefilled with). Without `unit`: the first unit you report "
        "for.",
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.INT, description="A reporting unit you may see reports of."),
            OpenApiParameter("date", OpenApiTypes.DATE, description="Defaults to today; not in the future."),
        ],
        responses={200: ReportDaySerializer},
    )
    @action(detail=False, methods=["get"], url_path="day", url_name="day", filter_backends=[], pagination_class=None)
    def day(self, request):
        user = request.user
        if not has_any(user, "reporting.unitdailyreport", Action.VIEW):
            raise exceptions.PermissionDenied()
        date = _past_or_today(request.query_params.get("date"))
        units = reports.report_units_for(viewer=user, action=Action.VIEW)
        raw_unit = request.query_params.get("unit")
        if raw_unit:
            unit = units.filter(pk=_int_or_404(raw_unit)).first()
        else:
            unit = reports.report_units_for(viewer=user, action=Action.ADD).first() or units.first()
        if unit is None:
            raise exceptions.NotFound()
        return Response(ReportDaySerializer(_report_day(user, unit, date), context=self.get_serializer_context()).data)


# --- The template -------------------------------------------------------------------------------


class ReportFieldSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    display_label = serializers.CharField(read_only=True, help_text="The label in the request's language.")

    class Meta:
        model = ReportField
        fields = ["id", "code", "label", "label_en", "display_label", "kind", "source", "required", "sort", "is_active"]
        read_only_fields = ["id"]
        extra_kwargs: dict[str, dict] = {"code": {"validators": []}}


class ReportFieldUpdateSerializer(ReportFieldSerializer):
    strict_field_hints = {
        "code": _("A field's code never changes; add a new field instead."),
        "kind": _("A field's kind never changes; add a new field instead."),
    }

    class Meta(ReportFieldSerializer.Meta):
        read_only_fields = ["id", "code", "kind"]


@extend_schema_view(
    list=extend_schema(summary="The daily report's fields (the template)"),
    retrieve=extend_schema(summary="One field of the template"),
    create=extend_schema(summary="Add a field (group office)"),
    update=extend_schema(summary="Change a field (group office)", request=ReportFieldUpdateSerializer),
    partial_update=extend_schema(summary="Change a field (group office)", request=ReportFieldUpdateSerializer),
)
class ReportFieldViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The template is the group's: everyone who reads reports reads it; only the group office edits it."""

    serializer_class = ReportFieldSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    filter_backends: list = []

    def get_queryset(self):
        user = self.request.user
        if not (
            has_any(user, "reporting.unitdailyreport", Action.VIEW) or reports.may_edit_template(user, Action.VIEW)
        ):
            return ReportField.objects.none()
        return ReportField.objects.order_by("sort", "code")

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return ReportFieldUpdateSerializer
        return ReportFieldSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Adding is refused before the input is read, like every collection write.
        if self.action == "create" and not reports.may_edit_template(request.user, Action.ADD):
            raise exceptions.PermissionDenied(_("Only the group prevention office edits the daily report template."))

    def get_object(self):
        field = super().get_object()  # 404 for those who may not read the template
        if self.request.method not in ("GET", "HEAD", "OPTIONS") and not reports.may_edit_template(
            self.request.user, Action.CHANGE
        ):
            raise exceptions.PermissionDenied(_("Only the group prevention office edits the daily report template."))
        return field

    def perform_create(self, serializer):
        serializer.instance = report_services.report_field_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = report_services.report_field_update(
            actor=self.request.user, field=serializer.instance, **serializer.validated_data
        )


# --- Raised items -------------------------------------------------------------------------------


class RaisedItemSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    routed_to_name = serializers.CharField(source="routed_to.name", read_only=True, default="")
    date = serializers.DateField(source="report.date", read_only=True)

    class Meta:
        model = RaisedItem
        fields = [
            "id",
            "report",
            "date",
            "unit",
            "unit_name",
            "kind",
            "text",
            "routed_to",
            "routed_to_name",
            "status",
            "resolution",
            "created",
            "updated",
        ]
        read_only_fields = fields


class RouteSerializer(StrictFieldsMixin, serializers.Serializer):
    routed_to = serializers.PrimaryKeyRelatedField(
        queryset=reports.group_departments(), help_text="A department directly under the group."
    )


class StatusSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=RaisedStatus.choices)
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=4000)


@extend_schema_view(
    list=extend_schema(summary="Problems and needs raised in daily reports"),
    retrieve=extend_schema(summary="One raised item"),
)
class RaisedItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """What units raised (problems, material needs), routed by the group office to a group department
    and followed open → in progress → resolved. A department sees the items routed to it."""

    queryset = RaisedItem.objects.all()
    serializer_class = RaisedItemSerializer
    filterset_fields = {"status": ["exact"], "kind": ["exact"], "unit": ["exact"], "routed_to": ["exact"]}
    ordering_fields = ["created", "updated"]

    def get_queryset(self) -> QuerySet[RaisedItem]:
        return reports.raised_item_list(viewer=self.request.user)

    def filter_querysets(self, request) -> dict[str, QuerySet]:
        return {"routed_to": reports.group_departments()}

    def get_serializer_class(self):
        return {"route": RouteSerializer, "set_status": StatusSerializer}.get(self.action, RaisedItemSerializer)

    @command(
        "Route to a group department (group office)",
        takes=RouteSerializer,
        gives=RaisedItemSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def route(self, request, item, data):
        return report_services.raised_item_route(actor=request.user, item=item, routed_to=data["routed_to"])

    @command(
        "Move to in progress or resolved",
        takes=StatusSerializer,
        gives=RaisedItemSerializer,
        reread=True,
        scope_action=Action.CHANGE,
        url_path="status",
    )
    def set_status(self, request, item, data):
        return report_services.raised_item_set_status(actor=request.user, item=item, **data)
