"""Donations in goods and money, money collections among units, and emergency funds (应急专项资金).

Money is not material, so these records live apart from the materials ledger; a goods donation still
posts its movements through it (:mod:`lianfang.materials.ledger`), one per line."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianfang.core.querysets import RestrictedManager
from lianfang.donations.choices import Direction, DonationKind, SpendingStatus
from lianfang.materials.models import MONEY, QUANTITY, Item, Movement


class Donation(models.Model):
    """Goods or money given to a unit by an outside donor, or by a unit to a hospital, community or
    the Red Cross, with its receipt. Goods donations post movements (one per line)."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    kind = models.CharField(_("kind"), max_length=5, choices=DonationKind.choices)
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    counterparty = models.CharField(_("donor or recipient"), max_length=100)
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (yuan)"), null=True, blank=True, **MONEY)
    receipt_no = models.CharField(_("receipt number"), max_length=40, blank=True)
    collection = models.ForeignKey(
        "Collection",
        verbose_name=_("collection"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="donations",
        help_text=_("For money passed on from a collection among units."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A donation is never edited once booked: a mistake is cancelled (reverse movements for goods,
    # the amount freed for money passed on from a collection) and recorded again.
    cancelled = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=DonationKind.MONEY) & Q(amount__gt=0))
                | (Q(kind=DonationKind.GOODS) & Q(amount__isnull=True)),
                name="donation_money_has_amount",
                violation_error_message=_("A money donation needs an amount above zero; goods are listed by item."),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class DonationLine(models.Model):
    """One item of a goods donation and the movement that booked it."""

    donation = models.ForeignKey(Donation, verbose_name=_("donation"), on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    movement = models.OneToOneField(
        Movement, verbose_name=_("movement"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("donation line")
        verbose_name_plural = _("donation lines")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="donation_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.donation_id}/{self.item_id}: {self.quantity}"


class Collection(models.Model):
    """A money collection among the group's units (e.g. 47,993 yuan from the group and 12 companies),
    passed on to a recipient: one ledger of who gave what and where it went."""

    name = models.CharField(_("name"), max_length=100)
    organiser = models.ForeignKey(
        "org.Unit", verbose_name=_("organised by"), on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.CharField(
        _("for"), max_length=100, help_text=_("Where the money goes, e.g. the city Red Cross.")
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "organiser"

    class Meta:
        verbose_name = _("money collection")
        verbose_name_plural = _("money collections")
        ordering = ["-opened_on"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_self(cls, user, action: str) -> Q | None:
        """A collection is also seen by the units taking part: one organised by a unit above the
        user's units is visible (view) and open to their contributions (add), so a liaison can
        record what the unit gave. Opening, passing on and the full ledger stay with the organiser's
        scope; the pages show a participant only their own units' rows."""
        if action not in ("view", "add"):
            return None
        from lianfang.org.models import Unit
        from lianfang.org.scoping import allowed_paths

        step = Unit.steplen
        paths = allowed_paths(user, "donations.collection", action)
        above = {p[:end] for p in paths for end in range(step, len(p), step)}
        return Q(organiser__path__in=sorted(above)) if above else None


class Contribution(models.Model):
    """What one unit gave to a collection."""

    collection = models.ForeignKey(
        Collection, verbose_name=_("collection"), on_delete=models.CASCADE, related_name="contributions"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    date = models.DateField(_("date"))
    donors = models.PositiveIntegerField(_("people who gave"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["collection", "unit__path"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="contribution_amount_positive")]

    def __str__(self) -> str:
        return f"{self.collection_id}/{self.unit_id}: {self.amount}"


class Fund(models.Model):
    """An emergency fund (应急专项资金) of a unit: a budget, spending approved by the office, and a
    balance (budget − paid) that never goes below zero."""

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    budget = models.DecimalField(_("budget (yuan)"), **MONEY)
    committed = models.DecimalField(_("approved, not yet paid"), default=Decimal(0), **MONEY)
    spent = models.DecimalField(_("paid"), default=Decimal(0), **MONEY)
    opened_on = models.DateField(_("opened on"))
    note = models.CharField(_("rules"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("emergency fund")
        verbose_name_plural = _("emergency funds")
        ordering = ["unit__path", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="fund_budget_not_negative"),
            models.CheckConstraint(
                condition=Q(committed__gte=0)
                & Q(spent__gte=0)
                & Q(budget__gte=models.F("committed") + models.F("spent")),
                name="fund_never_overspent",
                violation_error_message=_("The fund's balance cannot go below zero."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def balance(self) -> Decimal:
        return self.budget - self.committed - self.spent


class Spending(models.Model):
    """A spending request on a fund: requested → approved by the office (or rejected) → paid with a
    voucher. Approval commits the amount; payment moves it to spent."""

    fund = models.ForeignKey(Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="spendings")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=200)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=SpendingStatus.choices, default=SpendingStatus.REQUESTED
    )
    requested = models.DateTimeField(_("requested"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    voucher_no = models.CharField(_("voucher number"), max_length=40, blank=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("spending")
        verbose_name_plural = _("spending")
        ordering = ["-requested"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="spending_amount_positive")]

    def __str__(self) -> str:
        return f"{self.fund_id}: {self.amount}"
