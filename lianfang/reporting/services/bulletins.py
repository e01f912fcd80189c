"""Writes of the group's daily bulletin (每日简报): build the draft from the unit reports (the figures
are a snapshot kept in the bulletin), edit its summary, publish it to the leaders and the units,
reopen it with a reason; the scheduled draft at the group's bulletin time."""

from __future__ import annotations

import datetime

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings, RoleAssignment, Unit
from lianfang.org.scoping import ensure_can, ensure_in_scope
from lianfang.reporting.choices import BulletinStatus
from lianfang.reporting.models import Bulletin
from lianfang.reporting.selectors.bulletins import MESSAGE_KIND, bulletin_figures, group_root


def _ensure(actor, action: str, unit: Unit) -> None:
    """``actor=None`` is the system (the scheduled draft); everyone else needs the role."""
    if actor is not None:
        ensure_can(actor, action, Bulletin, unit)


def _recheck(actor, bulletin: Bulletin, action: str) -> None:
    if actor is not None:
        ensure_in_scope(actor, bulletin, action)


@transaction.atomic
def bulletin_build(*, actor, day: datetime.date | None = None, rebuild: bool = True) -> Bulletin:
    """The draft bulletin for ``day`` (today by default), created or refreshed from the records.

    Idempotent: one bulletin per date (a database constraint). With ``rebuild=False`` an existing
    bulletin is returned untouched (the scheduled job); with ``rebuild=True`` a draft's figures are
    recomputed (the office's "rebuild" button). A published bulletin is never rebuilt.
    """
    day = day or timezone.localdate()
    root = group_root()
    _ensure(actor, Action.ADD, root)
    existing = Bulletin.objects.select_for_update().filter(date=day).first()
    if existing is not None and not rebuild:
        return existing
    if existing is not None and existing.status == BulletinStatus.PUBLISHED:
        raise ValidationError(
            {"status": _("This bulletin is published. Re-open it for correction before rebuilding its figures.")}
        )
    if existing is not None:
        _ensure(actor, Action.CHANGE, existing.unit)
    data = bulletin_figures(day=day, root=root)
    now = timezone.now()
    if existing is None:
        bulletin = Bulletin(unit=root, date=day, data=data, built_at=now, status=BulletinStatus.DRAFT)
        bulletin.full_clean()
        try:
            with transaction.atomic():  # a savepoint: a concurrent build of the same day wins
                bulletin.save()
        except IntegrityError:
            return Bulletin.objects.get(date=day)
        record_change(actor=actor, obj=bulletin, action=ChangeAction.CREATE)
    else:
        bulletin = existing
        before = snapshot(bulletin)
        bulletin.data = data
        bulletin.built_at = now
        bulletin.full_clean()
        bulletin.save(update_fields=["data", "built_at", "updated"])
        # ``data`` is left out of snapshots (too big); the rebuild time says the figures changed.
        record_change(actor=actor, obj=bulletin, action=ChangeAction.UPDATE, before=before)
    _recheck(actor, bulletin, Action.VIEW)
    return bulletin


def _locked(bulletin: Bulletin) -> Bulletin:
    return Bulletin.objects.select_for_update().get(pk=bulletin.pk)


@transaction.atomic
def bulletin_update_summary(*, actor, bulletin: Bulletin, summary: str) -> Bulletin:
    """The office's summary text. Only a draft can be edited."""
    bulletin = _locked(bulletin)
    ensure_can(actor, Action.CHANGE, Bulletin, bulletin.unit)
    if bulletin.status != BulletinStatus.DRAFT:
        raise ValidationError({"summary": _("This bulletin is published. Re-open it for correction to edit it.")})
    before = snapshot(bulletin)
    bulletin.summary = (summary or "").strip()
    bulletin.full_clean()
    bulletin.save(update_fields=["summary", "updated"])
    record_change(actor=actor, obj=bulletin, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, bulletin, Action.CHANGE)
    return bulletin


def _leaders_of(unit: Unit) -> QuerySet:
    """Users who hold the leader role on the bulletin's unit or above it (and so may read it)."""
    ancestors = [unit.path[:end] for end in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]
    ids = RoleAssignment.objects.filter(role=Role.LEADER, unit__path__in=ancestors).values("user_id")
    return get_user_model().objects.filter(pk__in=ids, is_active=True)


@transaction.atomic
def bulletin_publish(*, actor, bulletin: Bulletin) -> Bulletin:
    """Publish the draft: its figures are frozen as they are, and every leader gets an inbox message."""
    bulletin = _locked(bulletin)
    ensure_can(actor, Action.CHANGE, Bulletin, bulletin.unit)
    if bulletin.status == BulletinStatus.PUBLISHED:
        raise ValidationError({"status": _("This bulletin is already published.")})
    if not bulletin.data:
        raise ValidationError({"status": _("This bulletin has no figures yet. Rebuild it, then publish.")})
    before = snapshot(bulletin)
    bulletin.status = BulletinStatus.PUBLISHED
    bulletin.published_at = timezone.now()
    bulletin.published_by = actor
    bulletin.full_clean()
    bulletin.save(update_fields=["status", "published_at", "published_by", "updated"])
    record_change(actor=actor, obj=bulletin, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, bulletin, Action.CHANGE)

    url = reverse("reporting:bulletin-detail", args=[bulletin.pk])
    # Inbox messages are stored once, in the group's default language (Chinese); the date says which day.
    with override(django_settings.LANGUAGE_CODE):
        title = _("Daily bulletin of %(date)s published") % {"date": bulletin.date.isoformat()}
    Message.objects.bulk_create(
        [
            Message(recipient=user, kind=MESSAGE_KIND, title=title, body=bulletin.summary[:2000], url=url)
            for user in _leaders_of(bulletin.unit).exclude(pk=actor.pk)
        ]
    )
    return bulletin


@transaction.atomic
def bulletin_reopen(*, actor, bulletin: Bulletin, reason: str) -> Bulletin:
    """Re-open a published bulletin for correction (the office only); the reason goes in the change log."""
    bulletin = _locked(bulletin)
    ensure_can(actor, Action.CHANGE, Bulletin, bulletin.unit)
    if bulletin.status != BulletinStatus.PUBLISHED:
        raise ValidationError({"status": _("Only a published bulletin can be re-opened.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what needs correcting: the reason is kept in the change log.")})
    before = snapshot(bulletin)
    bulletin.status = BulletinStatus.DRAFT
    bulletin.published_at = None
    bulletin.published_by = None
    bulletin.full_clean()
    bulletin.save(update_fields=["status", "published_at", "published_by", "updated"])
    record_change(actor=actor, obj=bulletin, action=ChangeAction.UPDATE, before=before, extra_after={"reason": reason})
    ensure_in_scope(actor, bulletin, Action.CHANGE)
    return bulletin


def bulletin_draft_due(*, now: datetime.datetime | None = None) -> Bulletin | None:
    """The scheduled draft: once the group's bulletin time has passed today, build today's draft if
    there is none yet. Safe to call every minute and from several workers at once."""
    now = timezone.localtime(now)
    settings = GroupSettings.load()
    if now.time() < settings.bulletin_time:
        return None
    if Bulletin.objects.filter(date=now.date()).exists():
        return None
    if not Unit.objects.filter(depth=1).exists():
        return None
    return bulletin_build(actor=None, day=now.date(), rebuild=False)
