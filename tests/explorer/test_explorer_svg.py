"""The explorer's SVG drawings: a shape per city and link; colours and lines follow the data."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from sim.explorer.svg import (
    DIVERGING,
    MISSING_COLOUR,
    SEQUENTIAL,
    ColourScale,
    LinkDrawing,
    Series,
    line_chart_svg,
    map_geometry,
    map_svg,
    nice_ticks,
    ramp,
)

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(text: str) -> ET.Element:
    return ET.fromstring(text)


def test_ramp_ends_and_scales():
    assert ramp(DIVERGING, 0.0) == DIVERGING[0]
    assert ramp(DIVERGING, 1.0) == DIVERGING[-1]
    assert ramp(SEQUENTIAL, -3) == SEQUENTIAL[0]
    scale = ColourScale.for_values([-2.0, 5.0], diverging=True)
    assert (scale.low, scale.high) == (-5.0, 5.0)
    assert scale.colour(0.0) == DIVERGING[3]  # white at zero
    assert scale.colour(float("nan")) == MISSING_COLOUR
    flat = ColourScale.for_values([3.0, 3.0])
    assert flat.high > flat.low


def test_map_has_every_city_coloured_by_its_value_and_links_by_state(region):
    geometry = map_geometry(region)
    assert map_geometry(region) is geometry  # projected once
    values = {c: float(k) for k, c in enumerate(region.city_ids)}
    links = [
        LinkDrawing("a", "Old line", ("shanghai", "suzhou"), "open", 2010),
        LinkDrawing("b", "New line", ("ningbo", "zhoushan"), "new", 2028),
        LinkDrawing("c", "Later", ("hangzhou", "shaoxing"), "planned", 2031),
    ]
    scale = ColourScale.for_values(list(values.values()))
    root = _parse(map_svg(geometry, values, scale, title="T", unit="u", year=2028, links=links))
    assert root.get("data-year") == "2028"
    cities = root.findall(".//s:path[@class='city']", NS)
    assert [c.get("data-city") for c in cities] == region.city_ids
    fills = {c.get("data-city"): c.get("fill") for c in cities}
    assert fills["shanghai"] == scale.colour(0.0) and fills[region.city_ids[-1]] == scale.colour(
        40.0
    )
    assert len(set(fills.values())) == 41
    drawn = {p.get("data-link"): p.get("class") for p in root.findall(".//s:polyline", NS)}
    assert drawn == {"a": "link open", "b": "link new", "c": "link planned"}
    labels = [t.text for t in root.findall(".//s:text[@class='new-link-label']", NS)]
    assert labels == ["new: New line"]
    # every city's outline lies inside the drawing
    width, height = float(root.get("width")), float(root.get("height"))
    numbers = [float(v) for c in cities for v in re.findall(r"-?\d+\.\d", c.get("d"))]
    assert min(numbers) >= 0 and max(numbers[0::2]) <= width and max(numbers[1::2]) <= height


def test_map_hatches_only_the_faded_cities(region):
    geometry = map_geometry(region)
    faded = {"shanghai": True, "nanjing": False}
    text = map_svg(geometry, {}, ColourScale(0, 1), title="T", unit="u", year=1, faded=faded)
    root = _parse(text)
    assert len(root.findall(".//s:path[@class='hatched']", NS)) == 1
    assert {c.get("fill") for c in root.findall(".//s:path[@class='city']", NS)} == {MISSING_COLOUR}


def test_line_chart_places_points_in_order_and_draws_bands():
    series = [
        Series("run", [2020, 2021, 2022], [1.0, 2.0, 4.0], "#000000"),
        Series(
            "ref", [2020, 2021], [1.0, 1.5], "#555555", dashed=True, low=[0.5, 1.0], high=[1.5, 2.0]
        ),
    ]
    root = _parse(line_chart_svg("T", "u", series, x_range=(2020, 2030), key="gdp"))
    assert root.get("data-metric") == "gdp"
    lines = {p.get("data-name"): p for p in root.findall(".//s:polyline", NS)}
    assert lines["run"].get("data-values") == "1,2,4"
    points = [tuple(map(float, p.split(","))) for p in lines["run"].get("points").split()]
    xs, ys = zip(*points, strict=True)
    assert xs[0] < xs[1] < xs[2] and ys[0] > ys[1] > ys[2]  # later years right, larger values up
    assert lines["ref"].get("stroke-dasharray") == "4 3"
    assert len(root.findall(".//s:polygon[@class='band']", NS)) == 1


@pytest.mark.parametrize(("low", "high"), [(0, 1), (235.2, 262.9), (-3.5, 12.0), (0.05, 0.09)])
def test_nice_ticks_are_round_and_inside(low, high):
    ticks = nice_ticks(low, high)
    assert 2 <= len(ticks) <= 8
    assert all(low - 1e-9 <= t <= high + 1e-9 for t in ticks)
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
