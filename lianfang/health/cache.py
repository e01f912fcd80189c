"""Per-process cache of the check-in configuration: the group settings and the active questions.

Every check-in needs the group settings (fever threshold, days back) and the office's questions
with the units they are shown to. They change a few times a year; reading them costs three of the
thirteen statements a check-in used to make. So each process keeps them in memory:

* a change saved in this process (``GroupSettings``, ``Question``, ``QuestionVersion``, the units
  a question is shown to) drops the copy at once, and again when its transaction commits;
* every change also writes a new *stamp* in Django's cache (``CACHES['default']``). A process
  compares its stamp with the cache's at most once per ``RECHECK_SECONDS`` (1 s) and reloads when
  it differs. With Redis (production, several gunicorn workers) a change reaches every worker
  within about a second;
* without a shared cache (the local-memory default of the embedded server) the stamp cannot cross
  processes, so a copy is never kept longer than ``LOCAL_MAX_SECONDS`` (5 s): another process
  sees a change within five seconds.

The objects handed out are shared by the threads of a process: read them, never change them.
``LIANFANG_CHECKIN_CONFIG_CACHE = False`` in the settings turns the cache off (the test suite does
so by default, because it rolls back what tests write without any signal).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings as django_settings
from django.core.cache import cache as shared_cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from lianfang.health.models import Question, QuestionVersion
from lianfang.org.models import GroupSettings, Unit

STAMP_KEY = "lianfang:health:checkin-config-stamp"
RECHECK_SECONDS = 1.0
LOCAL_MAX_SECONDS = 5.0
SHARED_MAX_SECONDS = 30.0
_LOCAL_BACKENDS = ("locmem", "dummy")


@dataclass(frozen=True)
class _QuestionEntry:
    version: QuestionVersion
    paths: tuple[str, ...]  # units it is shown to (their subtrees); empty: everyone


@dataclass
class _Config:
    settings: GroupSettings
    questions: tuple[_QuestionEntry, ...]
    stamp: Any
    loaded: float
    checked: float = field(default=0.0)


_lock = threading.Lock()
_config: _Config | None = None


def enabled() -> bool:
    value = getattr(django_settings, "LIANFANG_CHECKIN_CONFIG_CACHE", None)
    if value is None:
        return os.environ.get("LIANFANG_TESTING", "") not in ("1", "true", "yes")
    return bool(value)


def _shared() -> bool:
    backend = django_settings.CACHES.get("default", {}).get("BACKEND", "")
    return not any(name in backend.lower() for name in _LOCAL_BACKENDS)


def _read_stamp() -> Any:
    try:
        return shared_cache.get(STAMP_KEY)
    except Exception:  # the cache is down: fall back to the age limit, never fail a check-in
        return None


def _load() -> _Config:
    stamp = _read_stamp()
    group = GroupSettings.load()
    questions = (
        Question.objects.filter(is_active=True, current__isnull=False)
        .select_related("current")
        .prefetch_related("units")
        .order_by("sort", "code")
    )
    entries = []
    for question in questions:
        version = question.current
        assert version is not None  # filtered on current__isnull=False
        version.question = question  # type: ignore[union-attr]  # saves a query per label
        entries.append(_QuestionEntry(version=version, paths=tuple(u.path for u in question.units.all())))
    now = time.monotonic()
    return _Config(settings=group, questions=tuple(entries), stamp=stamp, loaded=now, checked=now)


def _current() -> _Config:
    global _config
    config = _config
    now = time.monotonic()
    if config is not None:
        if now - config.checked < RECHECK_SECONDS:
            return config
        max_age = SHARED_MAX_SECONDS if _shared() else LOCAL_MAX_SECONDS
        if now - config.loaded < max_age and _read_stamp() == config.stamp:
            config.checked = now
            return config
    fresh = _load()
    with _lock:
        _config = fresh
    return fresh


def group_settings() -> GroupSettings:
    """The group settings, at most a second old with Redis (five without): read only."""
    if not enabled():
        return GroupSettings.load()
    return _current().settings


def versions_for(unit: Unit) -> list[QuestionVersion]:
    """Current versions of the active questions shown to people of ``unit``, in the office's order."""
    entries = _current().questions if enabled() else _load().questions
    path = unit.path
    return [e.version for e in entries if not e.paths or any(path.startswith(p) for p in e.paths)]


def invalidate() -> None:
    """Forget this process's copy and tell the other processes (through the shared cache)."""
    global _config
    with _lock:
        _config = None
    with contextlib.suppress(Exception):  # the cache is down: other processes reload by age
        shared_cache.set(STAMP_KEY, uuid.uuid4().hex, timeout=None)


def _changed(**kwargs: Any) -> None:
    invalidate()
    # Also once the change is visible to others: a reload between now and the commit would have
    # cached the old rows under the new stamp.
    transaction.on_commit(invalidate, using=kwargs.get("using"))


for _model in (GroupSettings, Question, QuestionVersion):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"health-cache-save-{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"health-cache-delete-{_model.__name__}")
m2m_changed.connect(_changed, sender=Question.units.through, dispatch_uid="health-cache-question-units")
