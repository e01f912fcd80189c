"""The roster: every person the group looks after, employees and their families alike."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lianfang.core.fields import EncryptedCharField, blind_index
from lianfang.core.masking import mask_id_number, mask_phone
from lianfang.core.querysets import RestrictedManager
from lianfang.people.choices import Category, EmploymentStatus, Gender, Whereabouts


class Tag(models.Model):
    """A label on people used to find and count them: party member, front line, overseas, volunteer."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Person(models.Model):
    """A person on the roster (花名册): employee, temporary or dispatched worker, or family member.

    The ID number is stored encrypted (with a keyed digest for exact search) and, like the phone,
    is masked wherever the viewer lacks the ``unmask`` action; every unmask is audited.
    """

    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    employee_no = models.CharField(
        _("employee number"), max_length=32, unique=True, help_text=_("Unique in the whole group.")
    )
    id_number = EncryptedCharField(_("ID number"), blank=True)
    id_number_digest = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="people")
    category = models.CharField(
        pgettext_lazy("person", "category"), max_length=12, choices=Category.choices, default=Category.EMPLOYEE
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="people")
    employment_status = models.CharField(
        _("employment status"), max_length=10, choices=EmploymentStatus.choices, default=EmploymentStatus.ACTIVE
    )
    whereabouts = models.CharField(
        _("whereabouts"), max_length=12, choices=Whereabouts.choices, default=Whereabouts.STAYED
    )
    returned_from = models.CharField(_("returned from"), max_length=60, blank=True)
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    expected_return_on = models.DateField(_("expected return"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_masked = {"id_number": mask_id_number, "phone": mask_phone}
    audit_exclude = ("id_number_digest", "updated")

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["unit__path", "employee_no"]
        indexes = [models.Index(fields=["unit", "employment_status"]), models.Index(fields=["name"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(whereabouts=Whereabouts.RETURNED) | Q(returned_on__isnull=False),
                name="person_returned_has_date",
                violation_error_message=_("Give the date of return for a person who returned from elsewhere."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"

    def save(self, *args, **kwargs):
        self.id_number_digest = blind_index(self.id_number) if self.id_number else ""
        super().save(*args, **kwargs)

    @classmethod
    def scope_self(cls, user, action: str):
        """Everyone sees their own record (employees hold no other scope)."""
        return Q(user=user) if action == "view" else None

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_active(self) -> bool:
        return self.employment_status == EmploymentStatus.ACTIVE
