"""The explorer's page (Solara), served by ``yrdsim-explorer``.

The sidebar holds Mesa's SolaraViz model controls (:func:`mesa.visualization.solara_viz.
ModelController`: Reset, play/pause, Step) over an :class:`~sim.explorer.model.ExplorerModel`,
the run's progress, and the levers with the scenario presets. Mesa's controller rebuilds the
model from the levers on Reset, as SolaraViz does with its model parameters. The main area
has two tabs: **Run** (the map of the 41 cities coloured by a chosen indicator, with the links
and the ones that opened this year highlighted; the headline indicators against the baseline
preset run with the same seed, scale and horizon; the year's largest migration flows) and
**Sweep** (a sweep folder's comparison: each indicator by scenario with 95 % bands, and maps of
the final-year differences from the baseline).

Run it with ``yrdsim-explorer`` (or ``solara run sim.explorer.app``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import solara
import solara.lab
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from scenarios import SCENARIO_NAMES
from scenarios.types import SIZE_CLASSES
from sim.config.schema import ConfigError
from sim.core.recording import HEADLINE_INDICATORS
from sim.explorer.levers import (
    LATEST_PAGE_YEAR,
    SCALES,
    LeverSettings,
    portability_options,
    project_catalogue,
)
from sim.explorer.model import MAP_INDICATORS, ExplorerModel, baseline_metrics, region_data
from sim.explorer.server import default_scale, default_sweep
from sim.explorer.svg import (
    BASELINE_COLOUR,
    SERIES_COLOURS,
    ColourScale,
    Series,
    line_chart_svg,
    map_geometry,
    map_svg,
)
from sim.explorer.sweep import CITY_METRICS, SweepError, SweepView, load_sweep_view

#: Headline indicators drawn on the Run tab (columns of ``metrics.csv``).
RUN_INDICATORS: tuple[str, ...] = (
    "population",
    "gdp",
    "gdp_per_capita",
    "migrants",
    "innovations",
    "voucher_spend",
    "share_pop_within_60min_shanghai",
    "theil_gdp_per_capita",
)
SIZE_CLASS_LABELS: dict[str, str] = {
    "megacity": "megacity (Shanghai)",
    "super_large": "super-large",
    "large_1": "large I",
    "large_2": "large II",
    "medium": "medium",
    "small": "small",
}


def _link_names() -> dict[str, str]:
    links = region_data().links
    return dict(zip(links["link_id"], links["name_en"], strict=True))


# ------------------------------------------------------------------------------- levers
@solara.component
def LeverPanel(
    settings: solara.Reactive[LeverSettings], apply: Callable[[LeverSettings], None]
) -> None:
    """The levers and presets; every change is checked against the schema before it is kept."""
    s = settings.value
    error = solara.use_reactive("")

    def change(new: LeverSettings) -> None:
        try:
            new.to_config()
        except ConfigError as exc:
            error.set(str(exc))
            return
        error.set("")
        apply(new)

    with solara.Card("Scenario"):
        solara.Select(
            "Scenario preset",
            values=list(SCENARIO_NAMES),
            value=s.preset,
            on_value=lambda name: change(s.with_preset(name)),
        )
        solara.Text(f"Levers: {s.describe()}", style={"font-size": "0.85em"})
        solara.InputInt("Seed", value=s.seed, on_value=lambda v: change(replace(s, seed=v)))
        solara.Select(
            "Persons per agent",
            values=[str(v) for v in sorted({*SCALES, s.persons_per_agent})],
            value=str(s.persons_per_agent),
            on_value=lambda v: change(replace(s, persons_per_agent=int(v))),
        )
        solara.SliderInt(
            f"End year: {s.end_year}",
            value=s.end_year,
            min=2021,
            max=LATEST_PAGE_YEAR,
            on_value=lambda v: change(replace(s, end_year=v)),
        )
    with solara.Card("Transport projects (Action Plan)"):
        names = _link_names()
        for project in project_catalogue():
            link, year = project.link_id, s.projects.get(project.link_id)
            solara.Checkbox(
                label=str(names.get(link, link)),
                value=year is not None,
                on_value=lambda on, link=link, default=project.year: change(
                    s.with_project(link, default if on else None)
                ),
            )
            if year is not None:
                solara.SliderInt(
                    f"opens in {year}",
                    value=year,
                    min=2021,
                    max=LATEST_PAGE_YEAR,
                    on_value=lambda v, link=link: change(s.with_project(link, v)),
                )
    with solara.Card("Innovation vouchers"):
        solara.SliderInt(
            f"Budget: RMB {s.voucher_budget_rmb_million:,.0f} million a year",
            value=round(s.voucher_budget_rmb_million),
            min=0,
            max=5000,
            step=50,
            on_value=lambda v: change(replace(s, voucher_budget_rmb_million=float(v))),
        )
        solara.SliderFloat(
            f"Subsidy rate: {s.subsidy_rate:.2f}",
            value=s.subsidy_rate,
            min=0.0,
            max=1.0,
            step=0.05,
            on_value=lambda v: change(replace(s, subsidy_rate=float(v))),
        )
        solara.Select(
            "Portability",
            values=list(portability_options()),
            value=s.portability,
            on_value=lambda v: change(replace(s, portability=v)),
        )
    with solara.Card("Residency (hukou)"):
        for size_class in SIZE_CLASSES:
            solara.SliderFloat(
                f"Barrier, {SIZE_CLASS_LABELS.get(size_class, size_class)}: "
                f"{s.settlement_barriers[size_class]:.2f}",
                value=s.settlement_barriers[size_class],
                min=0.0,
                max=4.0,
                step=0.05,
                on_value=lambda v, c=size_class: change(s.with_barrier(c, float(v))),
            )
        solara.Checkbox(
            label="Flexible talent",
            value=s.flexible_talent,
            on_value=lambda v: change(replace(s, flexible_talent=bool(v))),
        )
    if error.value:
        solara.Error(error.value)


@solara.component
def RunStatus(model: ExplorerModel, draft: LeverSettings) -> None:
    """Year, progress bar, scale note, and whether the levers shown are the ones running."""
    update_counter.get()
    config = model.config
    solara.Text(
        f"Year {model.year} ({config.start_year}-{config.end_year})",
        classes=["yrd-year"],
    )
    solara.ProgressLinear(value=100.0 * model.progress)
    solara.Text(
        f"Running: {model.settings.describe()}, seed {config.seed}, 1 agent = "
        f"{config.persons_per_agent:,} persons (yrdsim's default is 1,000; the explorer runs "
        "coarser for speed, results are per person either way).",
        style={"font-size": "0.8em"},
    )
    if draft != model.settings:
        solara.Warning("The levers have changed: press RESET to run them.", dense=True)


# ------------------------------------------------------------------------------- run view
def _map_html(model: ExplorerModel, indicator: str) -> str:
    values = model.city_values(indicator)
    label, unit = MAP_INDICATORS[indicator]
    scale = ColourScale.for_values(values.tolist(), diverging=indicator == "population_change")
    return map_svg(
        map_geometry(model.data),
        values.to_dict(),
        scale,
        title=label,
        unit=unit,
        year=model.year,
        links=model.links(),
    )


def _series_html(model: ExplorerModel, baseline: pd.DataFrame | None) -> str:
    metrics = model.metrics()
    config = model.config
    indicators = {i.column: i for i in HEADLINE_INDICATORS}
    charts = []
    for column in RUN_INDICATORS:
        indicator = indicators[column]
        lines = []
        for name, frame, colour, dashed in (
            ("this run", metrics, SERIES_COLOURS[0], False),
            ("baseline", baseline, BASELINE_COLOUR, True),
        ):
            if frame is None:
                continue
            rows = frame[frame["year"] > config.start_year] if indicator.flow else frame
            lines.append(
                Series(
                    name,
                    rows["year"].tolist(),
                    (rows[column] * indicator.scale).tolist(),
                    colour,
                    dashed,
                )
            )
        charts.append(
            line_chart_svg(
                indicator.title,
                indicator.ylabel,
                lines,
                x_range=(config.start_year, config.end_year),
                width=290,
                height=165,
                key=column,
            )
        )
    return (
        '<div id="yrd-series" style="display:flex;flex-wrap:wrap;gap:6px">'
        + "".join(charts)
        + "</div>"
    )


def _flows_html(model: ExplorerModel) -> str:
    flows = model.top_flows(10)
    if flows.empty:
        return (
            f'<table id="yrd-flows" data-year="{model.year}"><tr><td>No migration yet: the '
            "start year is the census state. Step the model.</td></tr></table>"
        )
    rows = "".join(
        f"<tr><td>{html.escape(str(r.origin))}</td><td>&rarr;</td>"
        f"<td>{html.escape(str(r.destination))}</td>"
        f'<td style="text-align:right">{r.migrants:,}</td></tr>'
        for r in flows.itertuples(index=False)
    )
    return (
        f'<table id="yrd-flows" data-year="{model.year}" style="font-size:0.85em">'
        f'<tr><th colspan="3" style="text-align:left">Largest flows, {model.year}</th>'
        f'<th style="text-align:right">persons</th></tr>{rows}</table>'
    )


@solara.component
def RunView(model: ExplorerModel) -> None:
    """Map, series against the baseline, and the year's largest flows."""
    update_counter.get()
    indicator = solara.use_reactive("population_change")
    s = model.settings
    key = (s.seed, s.persons_per_agent, s.end_year)
    baseline = solara.use_thread(lambda: baseline_metrics(*key), dependencies=[key])
    ready = baseline.state == solara.ResultState.FINISHED
    with solara.Columns([3, 2]):
        with solara.Column():
            labels = {label: key for key, (label, _) in MAP_INDICATORS.items()}
            solara.Select(
                "Colour the cities by",
                values=list(labels),
                value=MAP_INDICATORS[indicator.value][0],
                on_value=lambda label: indicator.set(labels[label]),
            )
            solara.HTML(tag="div", unsafe_innerHTML=_map_html(model, indicator.value))
            solara.Text(
                "Links: solid open, dashed planned in this run, magenta opened this year. "
                "Hover a city for its value.",
                style={"font-size": "0.8em"},
            )
        with solara.Column():
            solara.HTML(tag="div", unsafe_innerHTML=_flows_html(model))
    if not ready:
        solara.Info(
            "Running the baseline with the same seed for comparison..."
            if baseline.state != solara.ResultState.ERROR
            else f"The baseline run failed: {baseline.error}",
            dense=True,
        )
    solara.HTML(tag="div", unsafe_innerHTML=_series_html(model, baseline.value if ready else None))


# ------------------------------------------------------------------------------- sweep view
def _load(folder: str) -> tuple[SweepView | None, str]:
    if not folder.strip():
        return None, ""
    try:
        return load_sweep_view(folder), ""
    except SweepError as exc:
        return None, str(exc)


@solara.component
def SweepPanel() -> None:
    """Open a sweep folder and browse its comparison (no run is repeated)."""
    folder = solara.use_reactive(default_sweep())
    metric = solara.use_reactive("population")
    group = solara.use_reactive("")
    city_metric = solara.use_reactive("population")
    view, error = solara.use_memo(lambda: _load(folder.value), [folder.value])
    solara.InputText(
        "Sweep folder (as given to yrdsim-compare)", value=folder, continuous_update=False
    )
    if error:
        solara.Error(error)
    if view is None:
        solara.Text("Give the folder of a sweep (yrdsim -m ... or experiment=...).")
        return
    solara.Text(
        f"{view.n_runs} complete runs in {len(view.labels)} groups; differences from "
        f"{view.reference}" + (f"; {len(view.skipped)} runs left out" if view.skipped else "")
    )
    metrics = view.metrics()
    chosen = metric.value if metric.value in metrics else metrics[0]
    labels = [label for label in view.labels.values() if label != view.reference]
    label = group.value if group.value in labels else (labels[-1] if labels else "")
    with solara.Row():
        solara.Select("Indicator", values=metrics, value=chosen, on_value=metric.set)
        if labels:
            solara.Select("Map: scenario", values=labels, value=label, on_value=group.set)
            solara.Select(
                "Map: city indicator",
                values=list(CITY_METRICS),
                value=city_metric.value,
                on_value=city_metric.set,
            )
    first, last = view.years()
    titles = {i.column: i.title for i in HEADLINE_INDICATORS}
    chart = line_chart_svg(
        titles.get(chosen, chosen),
        view.unit(chosen),
        view.series(chosen),
        x_range=(first, last),
        width=560,
        height=320,
        key=chosen,
    )
    with solara.Columns([1, 1]):
        with solara.Column():
            solara.HTML(tag="div", unsafe_innerHTML=f'<div id="yrd-sweep-series">{chart}</div>')
            solara.Text(
                "Mean over seeds with the 95 % t-interval (band), as yrdsim-compare reports.",
                style={"font-size": "0.8em"},
            )
        with solara.Column():
            _difference_map(view, label, city_metric.value)


def _difference_map(view: SweepView, label: str, metric: str) -> None:
    if not label:
        solara.Text("Only the reference group is present: no differences to map.")
        return
    delta, unclear, year = view.differences(label, metric)
    if year is None:
        solara.Text(f"{label} has no {view.reference} run to compare with.")
        return
    svg = map_svg(
        map_geometry(region_data()),
        delta,
        ColourScale.for_values(list(delta.values()), diverging=True),
        title=f"{CITY_METRICS[metric]}: {label} minus {view.reference}",
        unit="% of reference",
        year=year,
        faded=unclear,
        svg_id="yrd-sweep-map",
    )
    solara.HTML(tag="div", unsafe_innerHTML=svg)
    solara.Text(
        "Mean difference over paired seeds; hatched where its 95 % interval includes zero.",
        style={"font-size": "0.8em"},
    )


# ------------------------------------------------------------------------------- the page
@solara.component
def Page() -> None:
    """The explorer: controls and levers in the sidebar, Run and Sweep tabs."""
    initial = solara.use_memo(
        lambda: LeverSettings.from_preset(persons_per_agent=default_scale()), []
    )
    draft = solara.use_reactive(initial)
    parameters = solara.use_reactive({"settings": initial})
    first_model = solara.use_memo(lambda: ExplorerModel(initial), [])
    model = solara.use_reactive(first_model)
    play_interval = solara.use_reactive(150)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)

    def apply(new: LeverSettings) -> None:
        draft.set(new)
        parameters.set({"settings": new})

    solara.Title("yrdsim explorer")
    with solara.AppBar():
        solara.AppBarTitle("yrdsim explorer: Yangtze River Delta integration")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            ModelController(
                model,
                model_parameters=parameters,
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=use_threads,
            )
            RunStatus(model.value, draft.value)
        LeverPanel(draft, apply)
    with solara.lab.Tabs():
        with solara.lab.Tab("Run"):
            RunView(model.value)
        with solara.lab.Tab("Sweep"):
            SweepPanel()
