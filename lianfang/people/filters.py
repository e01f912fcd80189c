"""One FilterSet per model, shared by the HTML list and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from lianfang.org.models import Unit
from lianfang.people.choices import Category, EmploymentStatus, Gender, Whereabouts
from lianfang.people.models import Person, Tag
from lianfang.people.selectors import person_search


@extend_schema_field(OpenApiTypes.STR)
class TagCodeFilter(django_filters.ModelMultipleChoiceFilter):
    """Tags by code (``?tag=front-line&tag=volunteer``); any of them matches."""


class PersonFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    unit = django_filters.NumberFilter(method="filter_unit", label=_("Unit and its sub-units (id)"))
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, label=pgettext_lazy("person", "Category"))
    employment_status = django_filters.MultipleChoiceFilter(
        choices=EmploymentStatus.choices, label=_("Employment status")
    )
    whereabouts = django_filters.MultipleChoiceFilter(choices=Whereabouts.choices, label=_("Whereabouts"))
    gender = django_filters.ChoiceFilter(choices=Gender.choices, label=_("Gender"))
    tag = TagCodeFilter(field_name="tags__code", queryset=Tag.objects.all(), to_field_name="code", label=_("Tag"))

    class Meta:
        model = Person
        fields = ["q", "unit", "category", "employment_status", "whereabouts", "gender", "tag"]

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Who searches decides what a phone or ID number search may match (see person_search).
        self.viewer = viewer if viewer is not None else getattr(self.request, "user", None)

    def search(self, qs, name, value):
        return person_search(qs, value, viewer=self.viewer)

    def filter_unit(self, qs, name, value):
        anchor = Unit.objects.filter(pk=value).values_list("path", flat=True).first()
        return qs.filter(unit__path__startswith=anchor) if anchor else qs.none()
