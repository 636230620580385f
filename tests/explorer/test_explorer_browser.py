"""The explorer in a real browser: Debian's Chromium driven by Playwright.

``yrdsim-explorer`` is started on a free local port with a small sweep folder; the test loads
the page, changes a lever (the preset), resets, steps, plays and pauses, and checks that the
map, the series, the flows and the sweep view changed as they should. Screenshots go to
``outputs/explorer_screenshots/`` (look at them; ``docs/figures/explorer_*.png`` are copies).

Needs the ``explorer`` extra, Playwright (``explorer-test`` extra) and ``/usr/bin/chromium``
(``apt-get install chromium``); without them the test is skipped, except under CI (``CI`` set),
where it fails, so that CI cannot pass without running it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.explorer.server import (
    HEADLESS_CHROMIUM_ARGS,
    free_port,
    missing_packages,
    wait_until_listening,
)
from sim.runs.output import write_run

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "outputs" / "explorer_screenshots"
CHROMIUM = os.environ.get("YRDSIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SWEEP_BASE = ["end_year=2022", "persons_per_agent=20000", "output.figures=false"]


def _missing() -> list[str]:
    missing = list(missing_packages())
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright")
    if not Path(CHROMIUM).exists():
        missing.append(f"chromium ({CHROMIUM})")
    return missing


MISSING = _missing()
if not MISSING:
    from playwright.sync_api import Page, expect, sync_playwright

    expect.set_options(timeout=60_000)  # the machine may be busy (CI, other jobs)


@pytest.fixture(scope="module", autouse=True)
def _browser_available() -> None:
    """Skip without Chromium or the extras, but fail under CI, which must install them.

    Checked when a test of this module runs (not when it is collected), so that a run that
    deselects the slow tests (``-m "not slow"``) is not failed by a missing browser.
    """
    if MISSING:
        message = "explorer browser test needs " + ", ".join(MISSING)
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must install them: see .ci/run)", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="module")
def sweep_dir(run, tmp_path_factory) -> Path:
    """baseline and integrated, two seeds each, 2020-2022, written as a sweep writes them."""
    root = tmp_path_factory.mktemp("sweep")
    for scenario in ("baseline", "integrated"):
        for seed in (0, 1):
            overrides = [f"scenario={scenario}", f"seed={seed}"]
            result = run(*SWEEP_BASE, *overrides)
            write_run(
                result, root / f"{scenario}_seed{seed}", extra_provenance={"overrides": overrides}
            )
    return root


@pytest.fixture(scope="module")
def server(sweep_dir, tmp_path_factory):
    """``yrdsim-explorer --port PORT --sweep DIR`` (the console command's module) on a free port."""
    port = free_port()
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    command = [
        sys.executable,
        "-m",
        "sim.cli.explorer",
        "--port",
        str(port),
        "--sweep",
        str(sweep_dir),
    ]
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
    )
    try:
        wait_until_listening(port, process)
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def page(server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=list(HEADLESS_CHROMIUM_ARGS)
        )
        page = browser.new_page(viewport={"width": 1500, "height": 1150})
        page.set_default_timeout(60_000)
        failed: list[str] = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(server)
        page.locator("#yrd-map").wait_for()
        page.failed_requests = failed  # type: ignore[attr-defined]
        yield page
        browser.close()


def _fills(page: Page) -> list[str]:
    return page.locator("#yrd-map path.city").evaluate_all(
        "els => els.map(e => e.getAttribute('fill'))"
    )


def _series(page: Page, metric: str, name: str) -> list[float]:
    line = page.locator(
        f'svg.yrd-series[data-metric="{metric}"] polyline.series[data-name="{name}"]'
    )
    text = line.get_attribute("data-values") or ""
    return [float(v) for v in text.split(",") if v]


def _year(page: Page) -> int:
    return int(page.locator("#yrd-map").get_attribute("data-year"))


def _step(page: Page) -> float:
    """Click STEP and wait for the map's year to move on; the seconds it took."""
    year = _year(page)
    start = time.perf_counter()
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator("#yrd-map")).to_have_attribute("data-year", str(year + 1))
    return time.perf_counter() - start


def _choose(page: Page, label: str, option: str) -> None:
    """Open the select labelled ``label`` and pick ``option``."""
    field = page.locator(".v-select").filter(has=page.get_by_text(label, exact=True))
    field.locator(".v-select__slot").click()
    page.locator(".menuable__content__active .v-list-item").filter(
        has=page.get_by_text(option, exact=True)
    ).click()


def _shot(page: Page, name: str, height: int = 1150) -> Path:
    """Save a screenshot of the window, ``height`` pixels tall (then back to 1150)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"explorer_{name}.png"
    page.set_viewport_size({"width": 1500, "height": height})
    time.sleep(0.5)  # let the layout settle
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1500, "height": 1150})
    return path


def test_page_loads_offline_with_the_start_year(page):
    assert _year(page) == 2020
    assert page.locator("#yrd-map path.city").count() == 41
    assert page.locator("#yrd-map polyline.link").count() > 10
    # the start year is the census state: no change anywhere yet
    values = page.locator("#yrd-map path.city").evaluate_all(
        "els => els.map(e => parseFloat(e.getAttribute('data-value')))"
    )
    assert values == [0.0] * 41
    # every file the page needs came from the local server (solara-assets, no CDN)
    assert page.failed_requests == [], page.failed_requests
    expect(
        page.locator(
            'svg.yrd-series[data-metric="population"] polyline.series[data-name="baseline"]'
        )
    ).to_have_count(1)
    _shot(page, "start")


def test_lever_reset_steps_change_map_series_and_links(page):
    fills_before = _fills(page)
    baseline = _series(page, "population", "baseline")
    assert len(baseline) == 16  # 2020-2035, run in the background with the same seed

    _choose(page, "Scenario preset", "integrated")
    expect(page.get_by_text("press RESET")).to_be_visible()
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.get_by_text("Running: integrated")).to_be_visible()
    assert _year(page) == 2020

    seconds = [_step(page) for _ in range(4)]
    print("seconds from STEP click to the redrawn map:", [round(s, 3) for s in seconds])
    assert _year(page) == 2024

    fills_after = _fills(page)
    assert fills_after != fills_before
    assert len(set(fills_after)) > 10  # cities differ from each other after four years
    run = _series(page, "population", "this run")
    assert len(run) == 5
    assert run[0] == pytest.approx(baseline[0])  # same census start
    assert run[-1] != pytest.approx(baseline[4], rel=1e-4)  # the levers moved people
    # integrated opens the Jinhua-Ningbo railway in 2024: highlighted in the year it opens
    expect(page.locator('#yrd-map polyline.link.new[data-link="plan_jinyong_rail"]')).to_have_count(
        1
    )
    expect(page.locator("#yrd-map text.new-link-label")).not_to_have_count(0)
    # the year's largest flows
    expect(page.locator("#yrd-flows")).to_have_attribute("data-year", "2024")
    assert page.locator("#yrd-flows tr").count() == 11
    _shot(page, "run", height=1750)

    # one more step: the railway is open now, no longer new
    _step(page)
    expect(
        page.locator('#yrd-map polyline.link.open[data-link="plan_jinyong_rail"]')
    ).to_have_count(1)


def test_play_runs_on_with_progress_and_pause_stops(page):
    year = _year(page)
    page.get_by_role("button", name="▶", exact=True).click()
    # Played steps can come faster than a poller sees each year (the map may go 2026, 2028):
    # wait, every animation frame, until it is at least two years on, then pause at once.
    page.wait_for_function(
        f"Number(document.querySelector('#yrd-map').getAttribute('data-year')) >= {year + 2}",
        polling="raf",
        timeout=30_000,
    )
    page.get_by_role("button", name="❚❚", exact=True).click()
    time.sleep(1.0)
    paused = _year(page)
    time.sleep(1.5)
    assert _year(page) == paused  # paused: no more steps
    assert year + 2 <= paused < 2035  # paused before the run's end
    expect(page.get_by_text(f"Year {paused} (2020-2035)")).to_be_visible()
    assert len(_series(page, "gdp", "this run")) == paused - 2020 + 1


def test_a_single_lever_marks_the_run_as_stale_until_reset(page):
    expect(page.get_by_text("press RESET")).to_have_count(0)
    page.get_by_text("Flexible talent", exact=True).click()
    expect(page.get_by_text("Levers: integrated with flexible_talent changed")).to_be_visible()
    expect(page.get_by_text("press RESET")).to_be_visible()
    year = _year(page)
    _step(page)  # the running model goes on with its own levers
    assert _year(page) == year + 1
    expect(page.get_by_text("Running: integrated, seed 0")).to_be_visible()


def test_sweep_view_shows_bands_and_difference_map(page):
    page.get_by_role("tab", name="Sweep").click()
    expect(page.locator("#yrd-map")).to_be_hidden()  # the Run tab has slid away
    chart = page.locator("#yrd-sweep-series svg.yrd-series")
    expect(chart).to_have_count(1)
    expect(chart.locator("polyline.series")).to_have_count(2)  # baseline, integrated
    expect(chart.locator("polygon.band")).to_have_count(2)  # 95 % bands across the two seeds
    assert page.locator("#yrd-sweep-map path.city").count() == 41
    assert page.locator("#yrd-sweep-map").get_attribute("data-year") == "2022"
    expect(page.get_by_text("4 complete runs in 2 groups")).to_be_visible()
    values = page.locator("#yrd-sweep-map path.city").evaluate_all(
        "els => els.map(e => e.getAttribute('data-value'))"
    )
    assert len({v for v in values if v != "n/a"}) > 10
    _shot(page, "sweep")
