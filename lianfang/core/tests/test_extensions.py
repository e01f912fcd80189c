"""The extension points: a lower app asks, the higher apps answer, in the dependency order."""

from __future__ import annotations

import datetime

import pytest

from lianfang.core import extensions
from lianfang.core.extensions import Registry, Todo, WorkVerdict


def test_registering_a_key_again_replaces_the_provider_in_its_place():
    registry: Registry[str] = Registry("test")
    registry.register("a", "first")
    registry.register("b", "second")
    registry.register("a", "again")
    assert list(registry) == ["again", "second"]
    registry.unregister("a")
    assert list(registry) == ["second"]


def test_the_strictest_verdict_wins_whatever_the_order_of_the_guards(monkeypatch):
    day = datetime.date(2026, 12, 7)
    guards: Registry = Registry("guards")
    guards.register("status", lambda ids, d: {1: WorkVerdict(may_work=False, label="red"), 2: WorkVerdict()})
    guards.register("consent", lambda ids, d: {1: WorkVerdict(may_work=False, may_check_in=False, label="closed")})
    monkeypatch.setattr(extensions, "checkin_guards", guards)
    verdicts = extensions.work_verdicts([1, 2, 3], day)
    assert verdicts[1].label == "closed"
    assert verdicts[2].may_work
    assert 3 not in verdicts  # no guard spoke of them: free


def test_a_feed_nobody_registered_counts_as_unknown_not_zero(tree):
    counts = extensions.feed_counts(tree.a, datetime.date(2026, 12, 7), ["no.such.feed"])
    assert counts == {"no.such.feed": None}


@pytest.mark.django_db
def test_every_app_that_counts_for_the_unit_report_has_registered_its_feeds():
    keys = {key for key, _feed in extensions.report_feeds.items()}
    assert {"people.headcount", "checkin.reported", "checkin.fever", "cases.new_confirmed", "isolation.home"} <= keys
    assert extensions.zero_report_keys() == [
        "checkin.fever",
        "checkin.flagged",
        "cases.new_suspected",
        "cases.new_confirmed",
        "cases.new_asymptomatic",
    ]


def test_to_dos_come_urgent_first_then_by_the_time_they_are_due(monkeypatch):
    at = datetime.datetime(2026, 12, 7, 15, 0, tzinfo=datetime.UTC)
    providers: Registry = Registry("todos")
    providers.register("a", lambda user, day: [Todo("late", "Late", "/a", due=at), Todo("any", "Any time", "/b")])
    providers.register("b", lambda user, day: [Todo("now", "Overdue", "/c", urgent=True)])
    monkeypatch.setattr(extensions, "todo_providers", providers)
    assert [t.key for t in extensions.todos_for(None, at.date())] == ["now", "late", "any"]


def test_the_apps_plug_into_the_registries_the_next_issues_need():
    assert "status" in dict(extensions.checkin_guards.items())
    assert "status" in dict(extensions.facts_listeners.items())
    assert "status" in dict(extensions.checkin_hooks.items())
    assert "checkins" in dict(extensions.contact_sources.items())
    assert {"health", "reporting"} <= set(dict(extensions.todo_providers.items()))
    assert {"checkin", "deadline"} <= set(dict(extensions.reminder_rounds.items()))
    assert "people" in dict(extensions.headcount_providers.items())
