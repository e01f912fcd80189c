"""Benchmark: every page each demo persona can reach from the menu, the home page and the Manage hub,
at the demo's size (2,000 people, two weeks of records), on the embedded SQLite database.

    .venv/bin/python bench/bench_pages.py                 # 5 runs per page after a warm-up
    .venv/bin/python bench/bench_pages.py --runs 9 --slowest 15

Loads the demo group into a fresh data folder (``load_demo``), then for each persona requests every
link of the menu, the home page and the Manage hub through Django's whole stack (middleware, session,
view, template) with the test client, and prints each page's median and maximum in milliseconds,
slowest first, and how many pages exceed the 300 ms target. Benchmarks are not tests: nothing here
gates CI on a time (STYLE.md).
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PERSONAS = ("admin", "leader", "liaison", "duty", "checkpoint", "inspector", "epi", "keeper", "employee")
LINK = re.compile(r'href="(/[^"#?]*(?:\?[^"#]*)?)"')
SKIP = re.compile(r"^/(static|logout|i18n|api)/|\.(xlsx|pdf|csv)$|/export|/print/|/note")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slowest", type=int, default=20)
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="lianfang-bench-pages-")
    os.environ["LIANFANG_DATA_DIR"] = data
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_demo", verbosity=0)
    setup_test_environment()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the expected 403s are not news

    timings: dict[tuple[str, str], list[float]] = {}
    statuses: dict[tuple[str, str], int] = {}
    for persona in PERSONAS:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        # force_login: the sign-in page is throttled per account and address (django-axes) and is not measured.
        client.force_login(get_user_model().objects.get(username=persona))
        home = client.get("/").content.decode()
        manage = client.get("/manage/")  # 403 for the personas without a Manage hub
        links = {html.unescape(link) for link in LINK.findall(home)} | ({"/"} if home else set())
        if manage.status_code == 200:
            links |= {html.unescape(link) for link in LINK.findall(manage.content.decode())}
        for url in sorted(u for u in links if not SKIP.search(u)):
            client.get(url)  # warm-up
            runs = []
            for _ in range(args.runs):
                start = time.perf_counter()
                response = client.get(url)
                runs.append((time.perf_counter() - start) * 1000)
            timings[(persona, url)] = runs
            statuses[(persona, url)] = response.status_code

    rows = sorted(timings.items(), key=lambda kv: -statistics.median(kv[1]))
    print(f"{'persona':<11} {'page':<48} {'status':>6} {'median ms':>10} {'max ms':>8}")
    for (persona, url), runs in rows[: args.slowest]:
        median, slowest = statistics.median(runs), max(runs)
        print(f"{persona:<11} {url[:48]:<48} {statuses[(persona, url)]:>6} {median:>10.1f} {slowest:>8.1f}")
    over = [key for key, runs in rows if statistics.median(runs) > 300]
    medians = [statistics.median(runs) for _key, runs in rows]
    print(
        f"\n{len(rows)} persona × page pairs; median of medians {statistics.median(medians):.1f} ms; "
        f"{len(over)} over 300 ms; answers other than 200: "
        f"{sorted({(p, u, s) for (p, u), s in statuses.items() if s != 200})}"
    )


if __name__ == "__main__":
    main()
