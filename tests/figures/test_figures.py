"""Tests for sim.figures.run: files are written, edge cases do not crash, no figure leaks."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from sim.core.recording import HEADLINE_INDICATORS
from sim.figures import geometry
from sim.figures import run as figures

DATA_DIR = Path(__file__).parents[2] / "sim" / "data"
YEARS = np.arange(2020, 2036)
STEMS = ("population_change_map", "headline_indicators", "population_change_by_city")


@pytest.fixture(scope="module")
def boundaries() -> dict:
    with open(DATA_DIR / "yrd_cities.geojson", encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def city_table() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "cities.csv")


def make_cities(city_table: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Synthetic city panel: population growing at a random city-specific rate."""
    rng = np.random.default_rng(seed)
    rates = rng.normal(0.002, 0.008, len(city_table))
    t = YEARS - YEARS[0]
    frames = [
        pd.DataFrame(
            {
                "year": YEARS,
                "city_id": row.id,
                "name_en": row.name_en,
                "province": row.province,
                "population": np.round(row.pop_2020_persons * (1 + rate) ** t),
                "gdp": 1.0,
            }
        )
        for row, rate in zip(city_table.itertuples(), rates, strict=True)
    ]
    return pd.concat(frames, ignore_index=True)


def make_metrics(cities: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Synthetic headline indicators; flow indicators are 0/NaN in the start year."""
    rng = np.random.default_rng(seed)
    t = YEARS - YEARS[0]
    pop = cities.groupby("year")["population"].sum().to_numpy()
    gdp = 24_500 * 1.045**t
    flows = len(t) - 1
    return pd.DataFrame(
        {
            "year": YEARS,
            "population": pop,
            "gdp": gdp,
            "gdp_per_capita": gdp * 1e9 / pop,
            "migrants": np.r_[0, rng.normal(1.2e6, 1e5, flows)],
            "innovations": np.r_[0, rng.poisson(300, flows)],
            "voucher_spend": np.r_[np.nan, 50 + 5 * t[1:]],
            "voucher_cross_region_share": np.r_[np.nan, 0.1 + 0.01 * t[1:]],
            "mean_travel_time_min": 140 - 2.5 * t,
            "theil_gdp_per_capita": 0.08 - 0.001 * t,
            "central_area_gdppc_ratio": 1.9 - 0.02 * t,
            "share_pop_within_60min_shanghai": 0.22 + 0.004 * t,
        }
    )


def assert_written(paths: list[Path], stem: Path) -> None:
    for suffix in (".png", ".pdf"):
        path = stem.with_name(stem.name + suffix)
        assert path in paths
        assert path.is_file()
        assert path.stat().st_size > 1000
    assert stem.with_name(stem.name + ".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stem.with_name(stem.name + ".pdf").read_bytes()[:5] == b"%PDF-"


@pytest.fixture(autouse=True)
def no_open_figures():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a figure was left open"


def test_write_run_figures_writes_png_and_pdf(tmp_path, boundaries, city_table):
    cities = make_cities(city_table)
    metrics = make_metrics(cities)
    out = tmp_path / "run" / "figures"
    paths = figures.write_run_figures(metrics, cities, boundaries, out)
    assert out.is_dir()
    assert len(paths) == 2 * len(STEMS)
    for stem in STEMS:
        assert_written(paths, out / stem)
    assert plt.get_fignums() == []


def test_headline_with_missing_and_empty_columns(tmp_path, city_table):
    cities = make_cities(city_table)
    metrics = make_metrics(cities)[
        ["year", "population", "gdp", "migrants", "theil_gdp_per_capita"]
    ]
    metrics = metrics.assign(theil_gdp_per_capita=np.nan)  # all-NaN column
    stem = tmp_path / "headline"
    assert_written(figures.plot_headline_timeseries(metrics, stem), stem)


def test_headline_with_only_year_column(tmp_path):
    stem = tmp_path / "headline"
    metrics = pd.DataFrame({"year": YEARS})
    assert_written(figures.plot_headline_timeseries(metrics, stem), stem)


def test_headline_ratio_below_target(tmp_path):
    metrics = pd.DataFrame({"year": YEARS, "central_area_gdppc_ratio": np.linspace(1.1, 1.0, 16)})
    stem = tmp_path / "headline"
    assert_written(figures.plot_headline_timeseries(metrics, stem), stem)


def test_map_with_unchanged_and_missing_city(tmp_path, boundaries, city_table):
    cities = make_cities(city_table)
    first = cities.loc[cities["city_id"] == "hefei", "population"].iloc[0]
    cities.loc[cities["city_id"] == "hefei", "population"] = first  # no change
    cities = cities[cities["city_id"] != "zhoushan"]  # no data for one polygon
    stem = tmp_path / "map"
    assert_written(figures.plot_population_change_map(cities, boundaries, stem), stem)


def test_map_with_no_change_anywhere_and_no_names(tmp_path, boundaries, city_table):
    cities = make_cities(city_table).drop(columns=["name_en", "province"])
    cities["population"] = cities.groupby("city_id")["population"].transform("first")
    stem = tmp_path / "map"
    assert_written(figures.plot_population_change_map(cities, boundaries, stem), stem)


def test_population_change_values(city_table):
    cities = make_cities(city_table)
    change, first, last = figures._population_change(cities)
    assert (first, last) == (2020, 2035)
    sh = cities[cities["city_id"] == "shanghai"].set_index("year")["population"]
    assert change.loc["shanghai", "change"] == pytest.approx(sh[2035] - sh[2020])
    assert change.loc["shanghai", "change_pct"] == pytest.approx(100 * (sh[2035] / sh[2020] - 1))


def test_net_migration_chart(tmp_path, city_table):
    cities = make_cities(city_table)
    stem = tmp_path / "bars"
    assert_written(figures.plot_net_migration(cities, stem), stem)


def test_holes_are_cut_out():
    outer = np.array([[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], dtype=float)
    hole = np.array([[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]], dtype=float)  # same orientation
    path = geometry.compound_path([[outer, hole]])
    fig = Figure(figsize=(1, 1), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.add_patch(PathPatch(path, facecolor="black", linewidth=0))
    ax.set_xlim(0, 4)
    ax.set_ylim(0, 4)
    ax.set_axis_off()
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())
    assert pixels[50, 50, :3].tolist() == [255, 255, 255]  # hole (centre) stays empty
    assert pixels[10, 10, :3].tolist() == [0, 0, 0]  # ring is filled


def test_province_outlines_are_the_union_of_their_cities(boundaries):
    import shapely
    from shapely.geometry import shape

    outlines = geometry.province_outlines(boundaries["features"])
    city_rings = sum(
        len(rings)
        for f in boundaries["features"]
        for rings in geometry.geometry_polygons(f["geometry"])
    )
    assert 4 <= len(outlines) < city_rings  # internal borders are gone
    for province in ("Anhui", "Zhejiang"):
        cities = [
            shape(f["geometry"])
            for f in boundaries["features"]
            if f["properties"]["province"] == province
        ]
        area = sum(c.area for c in cities)
        largest = max(shapely.Polygon(o).area for o in outlines)
        rings = [shapely.Polygon(o) for o in outlines]
        # the province's outline encloses (about) the area of its cities, not more
        inside = [r for r in rings if r.representative_point().within(shapely.union_all(cities))]
        assert any(abs(r.area - area) / area < 0.02 for r in inside), province
        assert largest < 1.5 * max(
            sum(shape(f["geometry"]).area for f in boundaries["features"]
                if f["properties"]["province"] == p)
            for p in ("Anhui", "Jiangsu", "Zhejiang", "Shanghai")
        )


def test_label_point_lies_inside_a_concave_city():
    # A "U": its centroid (in the gap) lies outside the polygon.
    u = np.array([[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]], float)
    x, y = geometry.label_point([[u]])
    assert MplPath(u).contains_point((x, y))
    assert not MplPath(u).contains_point((1.5, 1.5 + 0.6))  # the gap really is outside


def test_map_geometry_is_prepared_once(boundaries):
    first = geometry.map_geometry(boundaries)
    assert geometry.map_geometry(boundaries) is first
    assert len(first.paths) == len(boundaries["features"])
    assert first.names["shanghai"] == ("Shanghai", "上海市")


def test_missing_columns_raise(tmp_path, boundaries):
    with pytest.raises(ValueError, match="population"):
        figures.plot_net_migration(pd.DataFrame({"year": [2020], "city_id": ["x"]}), tmp_path / "x")
    with pytest.raises(ValueError, match="year"):
        figures.plot_headline_timeseries(pd.DataFrame({"gdp": [1.0]}), tmp_path / "x")


def test_a_runs_figures_are_the_same_bytes_however_busy_the_machine(
    tmp_path, boundaries, city_table, monkeypatch
):
    # Labels are placed by a fixed number of adjustText iterations (not a time limit), so a
    # slow drawing (here: a clock that jumps a second at every reading) places them alike.
    import itertools

    import adjustText

    cities = make_cities(city_table)
    metrics = make_metrics(cities)
    first = figures.write_run_figures(metrics, cities, boundaries, tmp_path / "a")
    ticks = itertools.count()
    monkeypatch.setattr(adjustText, "timer", lambda: float(next(ticks)))
    again = figures.write_run_figures(metrics, cities, boundaries, tmp_path / "b")
    for one, other in zip(first, again, strict=True):
        assert one.read_bytes() == other.read_bytes(), one.name


def test_the_grid_of_panels_leaves_room_for_every_label(tmp_path, city_table):
    # fit_panel_grid measures the panels once instead of constrained layout: no panel's ticks,
    # labels or title reach into another panel or out of the figure.
    from matplotlib.ticker import MaxNLocator
    from matplotlib.transforms import Bbox

    from sim.figures.style import fit_panel_grid, new_figure, year_locator

    metrics = make_metrics(make_cities(city_table))
    metrics["innovations"] *= 1e4  # wide tick labels
    fig = new_figure((7.2, 7.4), layout=None)
    axes = fig.subplots(4, 3, squeeze=False)
    for k, (ax, ind) in enumerate(zip(axes.flat, HEADLINE_INDICATORS, strict=False)):
        ax.plot(metrics["year"], metrics[ind.column])
        ax.xaxis.set_major_locator(year_locator(2020, 2035))  # as the run figure: the ticks
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))  # do not depend on the panel's size
        ax.set_ylabel(ind.ylabel)
        ax.set_title(f"({k}) {ind.title}")
    axes.flat[11].set_axis_off()
    fit_panel_grid(fig, axes, 11)
    renderer = fig.canvas.get_renderer()
    # As laid out: axis labels longer than their panel may reach past it along the axis.
    boxes = [ax.get_tightbbox(renderer, for_layout_only=True) for ax in axes.flat[:11]]
    whole = Bbox.from_bounds(0, 0, *fig.bbox.size)
    for k, box in enumerate(boxes):
        assert whole.contains(box.x0, box.y0) and whole.contains(box.x1, box.y1), k
        for other in boxes[k + 1 :]:
            assert not box.overlaps(other), k
