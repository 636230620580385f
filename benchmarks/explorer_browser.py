"""How responsive the explorer is in a real browser, and the screenshots of docs/EXPLORER.md.

Run from the repository root with the ``explorer`` and ``explorer-test`` extras and Debian's
Chromium installed::

    .venv/bin/python benchmarks/explorer_browser.py [--steps 10] [--scale 2000]
        [--preset integrated] [--sweep outputs/sweeps/paper_main] [--screenshots DIR]

It starts ``yrdsim-explorer`` on a free local port, loads the page in headless Chromium
(Playwright) and measures: seconds from opening the address to the first drawn map (the
first model is built then), from RESET with a preset to the rebuilt model, from each STEP
click to the redrawn map (the model's year advanced on the page), and years per second while
playing. It prints the figures and writes them with the machine's load to
``benchmarks/results/explorer.json`` (``--out``). With ``--screenshots`` it saves
``explorer_run.png`` (and ``explorer_sweep.png`` with ``--sweep``) there.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from sim.explorer.server import (  # noqa: E402
    HEADLESS_CHROMIUM_ARGS,
    free_port,
    wait_until_listening,
)

expect.set_options(timeout=120_000)


def _year(page) -> int:
    return int(page.locator("#yrd-map").get_attribute("data-year"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--scale", type=int, default=None, help="persons per agent of the page")
    parser.add_argument("--preset", default="integrated")
    parser.add_argument("--sweep", type=Path, default=None)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/explorer.json")
    args = parser.parse_args()

    port = free_port()
    command = [sys.executable, "-m", "sim.cli.explorer", "--port", str(port)]
    if args.sweep:
        command += ["--sweep", str(args.sweep)]
    if args.scale:
        command += ["--scale", str(args.scale)]
    load_before = os.getloadavg()
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    results: dict = {}
    try:
        try:
            wait_until_listening(port, server)
        except (RuntimeError, TimeoutError) as exc:
            raise SystemExit(str(exc)) from None
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=args.chromium, args=list(HEADLESS_CHROMIUM_ARGS)
            )
            page = browser.new_page(viewport={"width": 1500, "height": 1750})
            page.set_default_timeout(120_000)
            start = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator("#yrd-map").wait_for()
            results["first_map_seconds"] = time.perf_counter() - start
            scale_text = page.get_by_text("1 agent =").first.inner_text()
            results["scale"] = scale_text.split("1 agent = ")[1].split(" persons")[0]

            field = page.locator(".v-select").filter(
                has=page.get_by_text("Scenario preset", exact=True)
            )
            field.locator(".v-select__slot").click()
            page.locator(".menuable__content__active .v-list-item").filter(
                has=page.get_by_text(args.preset, exact=True)
            ).click()
            start = time.perf_counter()
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(page.get_by_text(f"Running: {args.preset}")).to_be_visible()
            results["reset_seconds"] = time.perf_counter() - start
            time.sleep(5)  # let the baseline run of the new seed finish in the background

            steps = []
            for _ in range(args.steps):
                year = _year(page)
                start = time.perf_counter()
                page.get_by_role("button", name="Step", exact=True).click()
                expect(page.locator("#yrd-map")).to_have_attribute("data-year", str(year + 1))
                steps.append(time.perf_counter() - start)
            results["step_seconds"] = steps
            results["step_seconds_median"] = statistics.median(steps)
            results["step_seconds_max"] = max(steps)
            if args.screenshots:
                args.screenshots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.screenshots / "explorer_run.png"))

            year = _year(page)
            if year + 3 <= 2035:
                start = time.perf_counter()
                page.get_by_role("button", name="▶", exact=True).click()
                expect(page.locator("#yrd-map")).to_have_attribute("data-year", str(year + 3))
                results["play_years_per_second"] = 3 / (time.perf_counter() - start)
                page.get_by_role("button", name="❚❚", exact=True).click()

            if args.sweep and args.screenshots:
                page.set_viewport_size({"width": 1500, "height": 1100})
                page.get_by_role("tab", name="Sweep").click()
                expect(page.locator("#yrd-map")).to_be_hidden()
                page.locator("#yrd-sweep-map").wait_for()
                time.sleep(1.0)
                page.screenshot(path=str(args.screenshots / "explorer_sweep.png"))
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    record = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "preset": args.preset,
        **results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"first map after loading the page: {results['first_map_seconds']:.2f} s")
    print(f"RESET to {args.preset}: {results['reset_seconds']:.2f} s")
    print(
        f"STEP to redrawn map: median {results['step_seconds_median']:.2f} s, "
        f"max {results['step_seconds_max']:.2f} s over {len(results['step_seconds'])} steps "
        f"(1 agent = {results['scale']} persons)"
    )
    if "play_years_per_second" in results:
        print(f"playing: {results['play_years_per_second']:.1f} years per second")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
