"""Protective materials: catalogue, ledger, stock-takes, requests and offers, transfers, group
rebalancing, donations and the emergency fund.

Stock changes only through :class:`Movement` rows written by :mod:`lianfang.materials.ledger`,
which locks the unit's :class:`Stock` rows, refuses to go below zero (a database constraint backs
it) and writes the movement with the balance after it, all in one transaction. Transfers,
donations and stock-takes post their movements through the same function.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lianfang.core.querysets import RestrictedManager
from lianfang.materials.choices import (
    Category,
    Measure,
    MovementKind,
    OfferStatus,
    ProposalStatus,
    RequestStatus,
    TransferStatus,
    Urgency,
)

QUANTITY = {"max_digits": 14, "decimal_places": 2}
MONEY = {"max_digits": 14, "decimal_places": 2}


class Item(models.Model):
    """A kind of material in the group's catalogue, e.g. 医用外科口罩 counted in 只, 50 to a box."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    category = models.CharField(pgettext_lazy("material", "category"), max_length=14, choices=Category.choices)
    measure = models.CharField(_("unit of measure"), max_length=8, choices=Measure.choices)
    pack_size = models.PositiveIntegerField(_("pack size"), default=1, help_text=_("How many to a pack or box."))
    reorder_threshold = models.DecimalField(
        _("reorder threshold"),
        default=Decimal(0),
        help_text=_("Alert when a unit's stock falls below this."),
        **QUANTITY,
    )
    target_days = models.PositiveSmallIntegerField(_("target days of supply"), default=14)
    daily_use_per_person = models.DecimalField(
        _("daily use per front-line person"),
        default=Decimal(0),
        help_text=_("For a forecast when a unit has little history, e.g. 2 masks a day."),
        **QUANTITY,
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name

    @property
    def is_counted(self) -> bool:
        """Whole numbers only (pieces, pairs, sets, bottles…), not litres or jin."""
        return self.measure in Measure.counted()


class Stock(models.Model):
    """What one unit holds of one item now; changed only by the ledger, under a row lock.

    ``reorder_threshold`` and ``target_days`` override the item's defaults for this unit.
    """

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="stocks")
    on_hand = models.DecimalField(_("on hand"), default=Decimal(0), **QUANTITY)
    reorder_threshold = models.DecimalField(_("reorder threshold"), null=True, blank=True, **QUANTITY)
    target_days = models.PositiveSmallIntegerField(_("target days of supply"), null=True, blank=True)
    # Kept by the ledger: the date of the earliest movement, so the burn rate knows how much history a
    # unit has without scanning its movements; and the last day a low-stock alert went out, so it
    # goes out at most once a day (set under the row lock, hence race-free).
    first_movement_on = models.DateField(_("first movement on"), null=True, blank=True, editable=False)
    low_alerted_on = models.DateField(_("low-stock alert sent on"), null=True, blank=True, editable=False)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_exclude = ("updated", "first_movement_on", "low_alerted_on")

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        ordering = ["unit__path", "item__sort", "item__code"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "item"], name="one_stock_row_per_unit_item"),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0),
                name="stock_never_negative",
                violation_error_message=_("Stock cannot go below zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.item_id}: {self.on_hand}"


class Movement(models.Model):
    """One change of one unit's stock of one item. Never edited or deleted: a mistake is corrected
    by another movement. ``quantity`` is signed (in > 0, out < 0); ``balance_after`` is the stock
    right after it, so the ledger reads like a bank statement.

    ``reference`` names the document behind it (a transfer note 调拨单 number, a donation receipt,
    a purchase order); other apps link their records to movements, never the reverse.
    """

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=14, choices=MovementKind.choices)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    balance_after = models.DecimalField(_("balance after"), **QUANTITY)
    date = models.DateField(_("date"))
    front_line = models.BooleanField(_("to the front line"), default=False)
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    counterparty = models.CharField(_("from / to"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("movement")
        verbose_name_plural = _("movements")
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["unit", "item", "date"]),
            # Covers the burn rate's scan of a window of days (supply.py): an index-only scan on PostgreSQL.
            models.Index(
                fields=["date", "kind"], include=["unit", "item", "quantity"], name="movement_date_kind_cover"
            ),
            models.Index(fields=["reference"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quantity=0),
                name="movement_not_zero",
                violation_error_message=_("A movement cannot be zero."),
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0),
                name="movement_balance_never_negative",
                violation_error_message=_("Stock cannot go below zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.unit_id}/{self.item_id} {self.quantity:+}"


class StockTake(models.Model):
    """A unit's daily count (日清单): counted quantities against the books, one per unit and day."""

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("counted by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("stock-take")
        verbose_name_plural = _("stock-takes")
        ordering = ["-date", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "date"], name="one_stocktake_per_unit_day")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date}"


class StockTakeLine(models.Model):
    """One item's count: ``book`` is the ledger's balance when counted, ``variance = counted − book``,
    posted as an adjustment movement when not zero."""

    stocktake = models.ForeignKey(
        StockTake, verbose_name=_("stock-take"), on_delete=models.CASCADE, related_name="lines"
    )
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    counted = models.DecimalField(_("counted"), **QUANTITY)
    book = models.DecimalField(_("on the books"), **QUANTITY)
    variance = models.DecimalField(_("variance"), **QUANTITY)
    movement = models.OneToOneField(
        Movement, verbose_name=_("adjustment"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("stock-take line")
        verbose_name_plural = _("stock-take lines")
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "item"], name="one_line_per_stocktake_item"),
            models.CheckConstraint(condition=Q(counted__gte=0), name="stocktake_counted_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.stocktake_id}/{self.item_id}: {self.counted}"


# --- Requests, offers and transfers between units ------------------------------------------------


class MaterialRequest(models.Model):
    """A unit asks for an item (需求): how many, how urgently, whether for the front line, and why."""

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    front_line = models.BooleanField(_("for the front line"), default=False)
    reason = models.CharField(_("reason"), max_length=200)
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("material request")
        verbose_name_plural = _("material requests")
        ordering = ["status", "-created"]
        indexes = [models.Index(fields=["status", "item"])]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="request_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.item_id} {self.quantity}"


class Offer(models.Model):
    """A unit offers surplus (可调出): available for other units until taken or withdrawn."""

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    note = models.CharField(_("note"), max_length=200, blank=True)
    available_until = models.DateField(_("available until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("offered by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["status", "-created"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="offer_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.item_id} {self.quantity}"


class RebalanceProposal(models.Model):
    """A solver's proposal of transfers that brings units' days of supply toward target (front line
    first, limited shipments); the office reviews it and turns it into transfers in one action."""

    status = models.CharField(_("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT)
    scope_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("among the units of"), on_delete=models.PROTECT, related_name="+"
    )
    max_shipments = models.PositiveIntegerField(_("at most this many shipments"))
    # Inputs and figures of the run: {"items": [...], "before": {...}, "after": {...}, "seconds": 0.4}
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "scope_unit"

    class Meta:
        verbose_name = _("rebalancing proposal")
        verbose_name_plural = _("rebalancing proposals")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.pk} {self.created:%Y-%m-%d %H:%M}"


class Transfer(models.Model):
    """调拨单: stock moving from one unit to another. Stock leaves on shipping and arrives on receipt
    (receipts may be partial; what is short is recorded as a discrepancy); in between it is in
    transit. Both units' people in scope see it.

    A unit sending to several units at once makes one transfer (one note, one number) per receiver."""

    number = models.CharField(_("transfer note number"), max_length=24, unique=True)
    from_unit = models.ForeignKey(
        "org.Unit", verbose_name=pgettext_lazy("transfer", "from"), on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        "org.Unit", verbose_name=pgettext_lazy("transfer", "to"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TransferStatus.choices, default=TransferStatus.PROPOSED
    )
    request = models.ForeignKey(
        MaterialRequest,
        verbose_name=_("for request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transfers",
    )
    offer = models.ForeignKey(
        Offer, verbose_name=_("from offer"), null=True, blank=True, on_delete=models.SET_NULL, related_name="transfers"
    )
    proposal = models.ForeignKey(
        RebalanceProposal,
        verbose_name=_("from proposal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transfers",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created = models.DateTimeField(_("proposed"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    shipped = models.DateTimeField(pgettext_lazy("transfer", "shipment recorded at"), null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shipped by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received = models.DateTimeField(pgettext_lazy("transfer", "receipt recorded at"), null=True, blank=True)
    # The business dates, as the keepers entered them: the day the goods left and the day the last of
    # them arrived. ``shipped`` and ``received`` above are when those steps were recorded; a shipment
    # typed in two days late keeps the day it really left (and so do its movements' ``date``).
    shipped_on = models.DateField(_("shipped on"), null=True, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)

    objects = RestrictedManager()
    scope_unit_field = ("from_unit", "to_unit")

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created"]
        indexes = [models.Index(fields=["status", "from_unit"]), models.Index(fields=["status", "to_unit"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_unit=models.F("to_unit")),
                name="transfer_between_two_units",
                violation_error_message=_("A transfer goes from one unit to another."),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class TransferLine(models.Model):
    """One item on a transfer note: asked, shipped and received so far; a shortfall needs a note."""

    transfer = models.ForeignKey(Transfer, verbose_name=_("transfer"), on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    shipped = models.DecimalField(pgettext_lazy("transfer quantity", "shipped"), default=Decimal(0), **QUANTITY)
    received = models.DecimalField(pgettext_lazy("transfer quantity", "received"), default=Decimal(0), **QUANTITY)
    discrepancy_note = models.CharField(_("discrepancy"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("transfer line")
        verbose_name_plural = _("transfer lines")
        constraints = [
            models.UniqueConstraint(fields=["transfer", "item"], name="one_line_per_transfer_item"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_line_quantity_positive"),
            models.CheckConstraint(condition=Q(received__gte=0) & Q(shipped__gte=0), name="transfer_line_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id}/{self.item_id}: {self.quantity}"


class TransferReceipt(models.Model):
    """One arrival of (part of) a shipped transfer at the receiving unit, with its movements."""

    transfer = models.ForeignKey(
        Transfer, verbose_name=_("transfer"), on_delete=models.CASCADE, related_name="receipts"
    )
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("transfer receipt")
        verbose_name_plural = _("transfer receipts")
        ordering = ["transfer", "created"]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.date}"
