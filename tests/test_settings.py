"""Settings come from the environment; with nothing set Lianfang runs on an SQLite file."""

from __future__ import annotations

import importlib.util
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_FILE = ROOT / "lianfang" / "settings.py"
ENV_NAMES = (
    "DATABASE_URL",
    "DB_CONN_MAX_AGE",
    "REDIS_URL",
    "TIME_ZONE",
    "SECRET_KEY",
    "LIANFANG_FIELD_KEY",
    "LIANFANG_PRODUCTION",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
)


@pytest.fixture
def load_settings(monkeypatch, tmp_path):
    """Execute settings.py afresh under another module name with the given environment.

    The running Django keeps its own settings; only the fresh module sees the changed variables.
    """

    def load(**env: str):
        for name in ENV_NAMES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("LIANFANG_DATA_DIR", str(tmp_path / "data"))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        spec = importlib.util.spec_from_file_location("lianfang_settings_under_test", SETTINGS_FILE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def test_with_nothing_set_the_database_is_an_sqlite_file_in_the_data_folder(load_settings, tmp_path):
    settings = load_settings()
    db = settings.DATABASES["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(db["NAME"]) == tmp_path / "data" / "lianfang.sqlite3"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert settings.HUEY["huey_class"] == "huey.SqliteHuey"
    assert settings.HUEY["filename"] == str(tmp_path / "data" / "jobs.sqlite3")


def test_database_url_selects_postgresql_with_every_part(load_settings):
    settings = load_settings(DATABASE_URL="postgres://lf:s3cret@db.internal:6543/lianfang", DB_CONN_MAX_AGE="120")
    db = settings.DATABASES["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "lianfang",
        "lf",
        "s3cret",
        "db.internal",
        6543,
    )
    assert db["CONN_MAX_AGE"] == 120
    assert "init_command" not in db.get("OPTIONS", {})


def test_the_group_time_zone_defaults_to_shanghai_and_can_be_changed(load_settings):
    assert load_settings().TIME_ZONE == "Asia/Shanghai"
    assert load_settings(TIME_ZONE="Asia/Urumqi").TIME_ZONE == "Asia/Urumqi"
    assert load_settings().USE_TZ is True


def test_simplified_chinese_is_the_default_language_and_english_is_offered(load_settings):
    settings = load_settings()
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]


def test_redis_url_moves_the_cache_and_the_job_queue_to_redis(load_settings):
    settings = load_settings(REDIS_URL="redis://127.0.0.1:6379/2")
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings.HUEY["huey_class"] == "huey.RedisHuey"
    assert settings.HUEY["url"] == "redis://127.0.0.1:6379/2"


def test_generated_keys_are_kept_private_in_the_data_folder_and_survive_a_restart(load_settings, tmp_path):
    first = load_settings()
    key_file = tmp_path / "data" / "field_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data" / "secret_key").stat().st_mode) == 0o600
    second = load_settings()
    assert (first.SECRET_KEY, first.FIELD_ENCRYPTION_KEY) == (second.SECRET_KEY, second.FIELD_ENCRYPTION_KEY)
    assert first.SECRET_KEY != first.FIELD_ENCRYPTION_KEY


def test_keys_in_the_environment_win_over_generated_ones(load_settings):
    settings = load_settings(SECRET_KEY="k" * 60, LIANFANG_FIELD_KEY="nB6o5yq3m4rO7n0vS2Qd0tP8hGx1YH3o6bq0n0U9cG8=")
    assert settings.SECRET_KEY == "k" * 60
    assert settings.FIELD_ENCRYPTION_KEY == "nB6o5yq3m4rO7n0vS2Qd0tP8hGx1YH3o6bq0n0U9cG8="


def test_debug_is_off_unless_asked_for(load_settings):
    assert load_settings().DEBUG is False
    assert load_settings(DEBUG="1").DEBUG is True


PRODUCTION_KEYS = {"SECRET_KEY": "k" * 60, "LIANFANG_FIELD_KEY": "nB6o5yq3m4rO7n0vS2Qd0tP8hGx1YH3o6bq0n0U9cG8="}


def test_production_turns_on_https_only_cookies_and_hsts(load_settings):
    assert not getattr(load_settings(), "SESSION_COOKIE_SECURE", False)
    settings = load_settings(
        LIANFANG_PRODUCTION="1", ALLOWED_HOSTS="lianfang.example.org, www.example.org", **PRODUCTION_KEYS
    )
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE and settings.SECURE_SSL_REDIRECT
    assert settings.SECURE_HSTS_SECONDS >= 31536000
    assert settings.ALLOWED_HOSTS == ["lianfang.example.org", "www.example.org"]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "LIANFANG_FIELD_KEY"])
def test_production_refuses_to_start_without_its_keys(load_settings, missing):
    from django.core.exceptions import ImproperlyConfigured

    keys = {k: v for k, v in PRODUCTION_KEYS.items() if k != missing}
    with pytest.raises(ImproperlyConfigured, match=missing):
        load_settings(LIANFANG_PRODUCTION="1", **keys)


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")
def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # Only what a production host would have: none of the test run's own switches.
    leave_out = {"DATABASE_URL", "LIANFANG_TESTING", "LIANFANG_JOBS_IMMEDIATE", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in leave_out}
    env.update(
        LIANFANG_DATA_DIR=str(tmp_path),
        LIANFANG_PRODUCTION="1",
        SECRET_KEY="prod-" + "Zq8#kLm2" * 8,
        LIANFANG_FIELD_KEY=PRODUCTION_KEYS["LIANFANG_FIELD_KEY"],
        ALLOWED_HOSTS="lianfang.example.org",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-m", "lianfang.cli", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
