"""The house style: provenance in every figure file, Chinese labels, the new figure kinds."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sim.analysis.compare import Reference
from sim.figures import comparison, sensitivity, style
from sim.figures import run as figures
from sim.figures.style import new_figure, save_figure, styled
from sim.runs.datapackage import figure_stamp

DATA_DIR = Path(__file__).parents[2] / "sim" / "data"
STAMP = {"config_hash": "abc123", "seed": 7, "scenario": "transport", "version": "9.9"}


@styled
def _tiny(stem: Path) -> list[Path]:
    fig = new_figure((style.ONE_COLUMN, 2.0))
    fig.add_subplot().plot([0, 1], [0, 1])
    return save_figure(fig, stem)


def test_png_and_pdf_carry_the_stamp_of_the_tables(tmp_path):
    with figure_stamp(STAMP):
        png, pdf = _tiny(tmp_path / "f")
    text = Image.open(png).text
    described = json.loads(text["Description"])
    assert described["config_hash"] == "abc123" and described["seed"] == 7
    assert described["version"] == "9.9"  # the tables' stamp wins over the drawing code's
    assert "git commit" in text["Source"]
    raw = pdf.read_bytes()
    assert b"abc123" in raw and b"/Keywords (scenario=transport, seed=7" in raw
    assert b"/CreationDate" not in raw  # no date: the same figure gives the same bytes


def test_without_a_stamp_figures_still_name_the_code(tmp_path):
    png, _ = _tiny(tmp_path / "f")
    described = json.loads(Image.open(png).text["Description"])
    assert described["package"] == "yrdsim"
    assert "git_commit" in described
    assert "config_hash" not in described


def test_city_labels_fall_back_to_english_with_a_warning(monkeypatch):
    monkeypatch.setattr(style, "cjk_font", lambda: None)
    with pytest.warns(RuntimeWarning, match="fonts-noto-cjk"):
        assert style.city_label_font("zh") == ("en", {})
    assert style.city_label_font("en") == ("en", {})
    with pytest.raises(ValueError, match="allowed: en, zh"):
        style.city_label_font("fr")


def test_chinese_map_labels_render_with_a_cjk_font(tmp_path):
    font = style.cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    boundaries = json.loads((DATA_DIR / "yrd_cities.geojson").read_text(encoding="utf-8"))
    city_table = pd.read_csv(DATA_DIR / "cities.csv")
    cities = pd.concat(
        [
            pd.DataFrame(
                {"year": [2020, 2021], "city_id": row.id, "population": [100.0, 101.0]}
            )
            for row in city_table.itertuples()
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would warn
        paths = figures.plot_population_change_map(
            cities, boundaries, tmp_path / "map", labels="zh"
        )
    assert paths[0].stat().st_size > 10_000


def test_symmetric_limit_rounds_up_to_a_round_number():
    assert comparison.symmetric_limit(np.array([0.3, -4.2, np.nan])) == 5.0
    assert comparison.symmetric_limit(np.array([12.0])) == 20.0
    assert comparison.symmetric_limit(np.array([-2.5])) == 2.5
    assert comparison.symmetric_limit(np.array([np.nan])) == 1.0


def test_difference_timeseries_draws_absolute_and_percent(tmp_path):
    years = np.arange(2020, 2026)
    rows = []
    for metric in ("population", "gdp", "voucher_cross_region_share"):
        for year in years:
            delta = 1000.0 * (year - 2020)
            rows.append(
                {
                    "scenario": "transport",
                    "metric": metric,
                    "year": year,
                    "delta": delta,
                    "delta_ci_low": delta - 10,
                    "delta_ci_high": delta + 10,
                    "reference_mean": 1e6,
                    "delta_pct": np.nan if metric.startswith("voucher") else delta / 1e4,
                    "delta_pct_ci_low": np.nan,
                    "delta_pct_ci_high": np.nan,
                }
            )
    paths = comparison.plot_difference_timeseries(
        pd.DataFrame(rows), ["scenario"], Reference("scenario", "baseline"), tmp_path / "ts"
    )
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    assert comparison.plot_difference_timeseries(
        pd.DataFrame(), ["scenario"], Reference("scenario", "baseline"), tmp_path / "none"
    ) == []


def test_sensitivity_figure_uses_plain_names(tmp_path):
    morris = pd.DataFrame(
        {
            "outcome": "theil_gdppc_2035",
            "factor": ["migration.trend_decay", "hukou_barrier_reduction", "new.thing_x"],
            "mu_star": [0.2, 0.1, 0.05],
            "mu_star_conf": [0.02, 0.01, 0.01],
            "mu_star_relative": [2.0, 1.0, 0.5],
        }
    )
    paths = sensitivity.plot_indices(morris, None, tmp_path / "sensitivity_indices.png")
    assert {p.name for p in paths} == {"sensitivity_indices.png", "sensitivity_indices.pdf"}
    assert sensitivity.factor_label("migration.trend_decay") == "Decay of the amenity trend"
    assert sensitivity.factor_label("new.thing_x") == "Thing x"


def test_the_compact_text_font_renders_exactly_like_dejavu_sans():
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    families = style.text_font()
    assert families[0] == style.TEXT_FONT

    def render(family: list[str], text: str) -> np.ndarray:
        with matplotlib.rc_context({"font.family": family}):
            fig = Figure(figsize=(4, 1), dpi=200)
            FigureCanvasAgg(fig)
            fig.text(0.02, 0.4, text, fontsize=10)
            fig.canvas.draw()
            return np.asarray(fig.canvas.buffer_rgba()).copy()

    texts = ("AVATAR Wo To", "\u2264 60 min \u2014 2020\u20132035 (%)", "\u00b5\u00b2\u00b0 Hefei")
    for text in texts:
        assert (render(["DejaVu Sans"], text) == render(families, text)).all(), text
