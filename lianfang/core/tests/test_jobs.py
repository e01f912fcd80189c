"""Background jobs: they speak the starter's language, and a job whose worker died does not hang for ever."""

from __future__ import annotations

import datetime
import os
import time

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from huey.contrib.djhuey import HUEY
from rest_framework.test import APIClient

from lianfang.core import jobs
from lianfang.core.jobs import job_create, job_fail_stale, job_progress, job_report_progress, job_run
from lianfang.core.models import Job, JobStatus
from lianfang.core.tasks import STALE_AFTER, fail_stale_jobs
from lianfang.testing import UserFactory

pytestmark = pytest.mark.django_db

STOPPED = "The job stopped without finishing; start it again."
HALF_AN_HOUR = datetime.timedelta(minutes=30)


@pytest.fixture(autouse=True)
def own_data_dir(settings, tmp_path):
    """Progress files go to a folder of this test's own (the data folder is shared by test workers)."""
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def user(db):
    return UserFactory()


def silent_since(job: Job, minutes: int) -> Job:
    """The job as if nothing had written its row for ``minutes`` (``update`` leaves auto_now alone)."""
    Job.objects.filter(pk=job.pk).update(updated=timezone.now() - datetime.timedelta(minutes=minutes))
    job.refresh_from_db()
    return job


def a_job(user, *, status=JobStatus.RUNNING, language="en", minutes_silent=0) -> Job:
    job = Job.objects.create(
        kind="roster_import", created_by=user, status=status, language=language, file_name="花名册.xlsx", payload=b"x"
    )
    return silent_since(job, minutes_silent) if minutes_silent else job


# --- language -------------------------------------------------------------------------------------


def test_a_job_remembers_the_language_of_the_person_who_started_it(user):
    with translation.override("en"):
        english = job_create(actor=user, kind="anything")
    with translation.override("zh-hans"):
        chinese = job_create(actor=user, kind="anything")

    assert (english.language, chinese.language) == ("en", "zh-hans")
    assert english.result == {}


def test_the_runner_speaks_the_starters_language_and_the_result_holds_only_what_it_returned(user, monkeypatch):
    monkeypatch.setitem(jobs._RUNNERS, "test-language", lambda job: {"spoken": translation.get_language()})
    with translation.override("en"):
        job = job_create(actor=user, kind="test-language")

    with translation.override("zh-hans"):  # the worker's own language does not matter
        job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result == {"spoken": "en"}
    assert job.language == "en"


def test_the_api_shows_the_jobs_language(user):
    job = a_job(user, status=JobStatus.SUCCEEDED, language="zh-hans")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)

    body = client.get(f"/api/v1/jobs/{job.pk}/").json()

    assert body["language"] == "zh-hans"


# --- jobs whose worker died -----------------------------------------------------------------------


def test_a_running_job_silent_for_longer_than_the_limit_is_failed_and_told_to_start_again(user):
    job = a_job(user, minutes_silent=31)

    assert job_fail_stale(older_than=HALF_AN_HOUR) == 1

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.is_finished and job.finished is not None
    assert [e["message"] for e in job.errors] == [STOPPED]
    assert job.payload is None  # the uploaded personal data is not kept


def test_a_pending_job_nobody_picked_up_is_failed_and_a_late_worker_leaves_it_alone(user, monkeypatch):
    job = a_job(user, status=JobStatus.PENDING, minutes_silent=45)
    ran = []
    monkeypatch.setitem(jobs._RUNNERS, "roster_import", lambda job: ran.append(job.pk) or {})

    job_fail_stale(older_than=HALF_AN_HOUR)
    job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and ran == []


def test_a_job_that_reported_progress_within_the_limit_is_slow_not_dead(user):
    job = a_job(user, minutes_silent=90)
    job_report_progress(job=job, done=4000, total=100_000, phase="Writing")

    assert job_fail_stale(older_than=HALF_AN_HOUR) == 0

    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert job_progress(job=job).done == 4000


def test_a_job_whose_last_progress_is_older_than_the_limit_is_failed_keeping_how_far_it_came(user, own_data_dir):
    job = a_job(user, minutes_silent=90)
    job_report_progress(job=job, done=4000, total=100_000, phase="Writing")
    progress_file = jobs._progress_file(job)
    an_hour_ago = time.time() - 3600  # the last report, as the worker wrote it before it died
    progress_file.write_text(f'{{"done": 4000, "total": 100000, "phase": "Writing", "at": {an_hour_ago}}}')

    assert job_fail_stale(older_than=HALF_AN_HOUR) == 1

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert (job.progress, job.total) == (4000, 100_000)
    assert not progress_file.exists()


def test_jobs_within_the_limit_and_finished_jobs_are_left_alone(user):
    fresh = a_job(user, minutes_silent=29)
    pending = a_job(user, status=JobStatus.PENDING)
    done = a_job(user, status=JobStatus.SUCCEEDED, minutes_silent=600)
    failed = a_job(user, status=JobStatus.FAILED, minutes_silent=600)

    assert job_fail_stale(older_than=HALF_AN_HOUR) == 0

    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses == {
        fresh.pk: JobStatus.RUNNING,
        pending.pk: JobStatus.PENDING,
        done.pk: JobStatus.SUCCEEDED,
        failed.pk: JobStatus.FAILED,
    }


def test_the_message_is_in_the_language_of_the_person_who_started_the_job(user):
    job = a_job(user, language="zh-hans", minutes_silent=31)
    with translation.override("zh-hans"):
        chinese = gettext(STOPPED)
    assert chinese != STOPPED  # the catalogue has it

    with translation.override("en"):
        job_fail_stale(older_than=HALF_AN_HOUR)

    job.refresh_from_db()
    assert job.errors[0]["message"] == chinese


def test_the_page_of_a_stale_job_stops_waiting(user):
    job = a_job(user, minutes_silent=31)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    assert client.get(f"/api/v1/jobs/{job.pk}/").json()["is_finished"] is False

    job_fail_stale(older_than=HALF_AN_HOUR)

    body = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert (body["status"], body["is_finished"], body["errors"][0]["message"]) == ("failed", True, STOPPED)


def test_leftover_progress_files_older_than_the_limit_are_removed(user, own_data_dir):
    folder = own_data_dir / "jobs"
    folder.mkdir()
    old = [folder / "lianfang-job-1-123.json", folder / "tmpab12cd.tmp"]
    recent = folder / "lianfang-job-2-456.json"
    for path in [*old, recent]:
        path.write_text("{}")
    an_hour_ago = time.time() - 3600
    for path in old:
        os.utime(path, (an_hour_ago, an_hour_ago))

    job_fail_stale(older_than=HALF_AN_HOUR)

    assert [p.name for p in folder.iterdir()] == [recent.name]


# --- the periodic task ----------------------------------------------------------------------------


def test_the_periodic_task_runs_every_five_minutes_and_fails_jobs_silent_for_half_an_hour(user):
    assert STALE_AFTER == HALF_AN_HOUR
    due = {task.name for task in HUEY.read_periodic(datetime.datetime(2026, 3, 2, 10, 5))}
    not_due = {task.name for task in HUEY.read_periodic(datetime.datetime(2026, 3, 2, 10, 7))}
    name = fail_stale_jobs.s().name
    assert name in due and name not in not_due
    stuck = a_job(user, minutes_silent=31)
    busy = a_job(user, minutes_silent=20)

    assert fail_stale_jobs.call_local() == 1

    assert Job.objects.get(pk=stuck.pk).status == JobStatus.FAILED
    assert Job.objects.get(pk=busy.pk).status == JobStatus.RUNNING
