"""The check-in list's filters, shared by the API (and any HTML list)."""

from __future__ import annotations

import django_filters

from lianfang.health.models import CheckIn
from lianfang.org.models import Unit


class CheckInFilterSet(django_filters.FilterSet):
    unit = django_filters.ModelChoiceFilter(
        queryset=Unit.objects.all(), method="filter_unit", label="Unit (with its sub-units)"
    )
    date = django_filters.DateFilter()
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    flagged = django_filters.BooleanFilter(field_name="is_flagged")
    fever = django_filters.BooleanFilter(field_name="is_fever")
    source = django_filters.CharFilter()

    class Meta:
        model = CheckIn
        fields = ["person"]

    def filter_unit(self, queryset, name, value):
        # The unit choice itself is restricted by RestrictedFilterBackend, so this is a subtree of
        # a unit the viewer may see, intersected with the restricted check-ins.
        return queryset.filter(unit__path__startswith=value.path)
