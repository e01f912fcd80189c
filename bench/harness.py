"""What the benchmarks share: a fresh database per run, and the run itself in a child process.

A child process per run keeps runs independent (no warm caches, its own peak memory), and lets one
benchmark script time SQLite and PostgreSQL side by side.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432"


def recreate_pg_database(pg_url: str, name: str) -> str:
    """Drop and create ``name`` on the server at ``pg_url``; return the database's URL."""
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{pg_url}/{name}"


def drop_pg_database(pg_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_child(script: str, args: list[str], *, backend: str, pg_url: str, db_name: str) -> dict:
    """Run ``script --child ARGS`` on a fresh ``backend`` database; return the JSON it prints last."""
    env = dict(os.environ)
    env["LIANFANG_DATA_DIR"] = tempfile.mkdtemp(prefix=f"lf-{db_name}-")
    env.pop("DATABASE_URL", None)
    if backend == "postgresql":
        env["DATABASE_URL"] = recreate_pg_database(pg_url, db_name)
    try:
        out = subprocess.run(  # noqa: S603  (our own interpreter and script, fixed arguments)
            [sys.executable, script, "--child", *args],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        if backend == "postgresql":
            drop_pg_database(pg_url, db_name)
    return json.loads(out.stdout.strip().splitlines()[-1])
