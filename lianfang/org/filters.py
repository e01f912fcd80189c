"""One FilterSet per model, shared by the HTML list and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.org.models import RoleAssignment, Unit, UnitKind


class UnitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.ModelChoiceFilter(queryset=UnitKind.objects.all(), label=_("Kind"))
    is_active = django_filters.BooleanFilter(label=pgettext_lazy("unit", "Active"))
    within = django_filters.NumberFilter(method="filter_within", label=_("Within unit (id)"))

    class Meta:
        model = Unit
        fields = ["q", "kind", "is_active", "within"]

    def search(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(short_name__icontains=value) | Q(code__icontains=value))

    def filter_within(self, qs, name, value):
        # The anchor is looked up unrestricted, but only rows already in ``qs`` (restricted) come back.
        anchor = Unit.objects.filter(pk=value).values_list("path", flat=True).first()
        return qs.filter(path__startswith=anchor) if anchor else qs.none()


class RoleAssignmentFilterSet(django_filters.FilterSet):
    class Meta:
        model = RoleAssignment
        fields = ["user", "unit", "role"]
