"""Booking page: navigation start → first free time visible, production build, over N loads (prints JSON).

Baseline in the same run: the same browser loading the app's landing page
(`/`), so the ratio shows what the booking flow adds on top of a bare Reflex page.
    python bench/booking_page_bench.py [--loads 20]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results_file import publish  # noqa: E402
from tests.conftest import configure, create_pg_database, drop_pg_database, free_port  # noqa: E402
from tests.support.servers import start_full_app  # noqa: E402

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def timed_loads(browser, url: str, ready_selector: str, loads: int) -> list[float]:
    times = []
    for _ in range(loads):
        context = browser.new_context(timezone_id="America/New_York")  # a cold visitor each time
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.locator(ready_selector).first.wait_for(state="visible", timeout=30_000)
        times.append(time.perf_counter() - started)
        context.close()
    return times


def summary(times: list[float]) -> dict:
    return {"p50_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "max_s": round(max(times), 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    name, url = create_pg_database(ADMIN_DSN)
    try:
        configure(database_url=url)
        from booking_app.demo import seed_demo
        from booking_app.migrate import upgrade

        upgrade()
        seed_demo()
        port = free_port()
        log = Path(tempfile.mkdtemp()) / "app.log"
        with start_full_app({"DATABASE_URL": url, "REDIS_URL": ""}, port, log) as app, sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            timed_loads(browser, f"{app.base_url}/book/harbor-physio", "[aria-label='Free times'] button", 2)  # warm
            slots = timed_loads(browser, f"{app.base_url}/book/harbor-physio", "[aria-label='Free times'] button",
                                args.loads)
            landing = timed_loads(browser, f"{app.base_url}/", "h1, h2, .rt-Heading", args.loads)
            browser.close()
        result = {"loads": args.loads, "first_slots_visible": summary(slots), "landing_page_baseline": summary(landing),
                  "ratio_to_landing_p50": round(statistics.median(slots) / statistics.median(landing), 2),
                  "target_p50_s": 1.0}
        publish("booking_page", result)
    finally:
        drop_pg_database(ADMIN_DSN, name)


if __name__ == "__main__":
    main()
