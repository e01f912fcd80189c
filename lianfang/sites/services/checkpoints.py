"""Checkpoints (卡口): set up by the office or a unit's liaison at a site, with the gate's rules; and
the signing keys of passes, rotated by the office."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import has_any
from lianfang.sites import passes
from lianfang.sites.models import CHECKPOINT_FIELDS, Checkpoint, PassKey
from lianfang.sites.services.base import ensure


def _who_may_set_up() -> str:
    return _("Only the unit's liaison and the group office set up checkpoints.")


def _check(checkpoint: Checkpoint) -> None:
    if not checkpoint.site.is_active:
        raise ValidationError({"site": _("This unit is no longer active; choose another.")})
    checkpoint.name = checkpoint.name.strip()
    if checkpoint.opens_at is not None and checkpoint.opens_at == checkpoint.closes_at:
        raise ValidationError({"closes_at": _("The closing time must differ from the opening time.")})
    if not checkpoint.takes_temperature:
        checkpoint.keep_temperature = False
    try:
        checkpoint.full_clean(exclude=["site", "created_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


def _save(checkpoint: Checkpoint) -> None:
    try:
        with transaction.atomic():
            checkpoint.save()
    except IntegrityError:
        raise ValidationError({"name": _("This site already has a checkpoint with this name.")}) from None


@transaction.atomic
def checkpoint_create(*, actor, site: Unit, name: str, **fields: Any) -> Checkpoint:
    """A gate at a site: e.g. 东门, entry and exit, green only, 37.3 ℃."""
    ensure(actor, Action.ADD, Checkpoint, site, _who_may_set_up())
    unknown = set(fields) - set(CHECKPOINT_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    checkpoint = Checkpoint(site=site, name=name, created_by=actor, **fields)
    _check(checkpoint)
    _save(checkpoint)
    record_change(actor=actor, obj=checkpoint, action=ChangeAction.CREATE)
    return checkpoint


@transaction.atomic
def checkpoint_update(*, actor, checkpoint: Checkpoint, **fields: Any) -> Checkpoint:
    ensure(actor, Action.CHANGE, Checkpoint, checkpoint.site, _who_may_set_up())
    checkpoint = Checkpoint.objects.select_for_update(of=("self",)).select_related("site").get(pk=checkpoint.pk)
    before = snapshot(checkpoint)
    for name, value in fields.items():
        if name not in CHECKPOINT_FIELDS:
            raise ValidationError(_("Unknown fields: %(fields)s.") % {"fields": name})
        setattr(checkpoint, name, value)
    _check(checkpoint)
    _save(checkpoint)
    record_change(actor=actor, obj=checkpoint, action=ChangeAction.UPDATE, before=before)
    return checkpoint


def pass_key_rotate(*, actor, revoke: bool = False) -> PassKey:
    """The office starts signing with a new key (a leaked key: ``revoke``, and it is refused at once)."""
    if not has_any(actor, "sites.passkey", Action.CHANGE):
        raise PermissionDenied(_("Only the group office rotates the keys that sign passes."))
    key = passes.key_rotate(revoke=revoke)
    record_change(actor=actor, obj=key, action=ChangeAction.CREATE)
    return key
