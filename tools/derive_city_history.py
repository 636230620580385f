"""City history 2000-2020 of the 41 YRD cities on 2020 prefecture boundaries.

``city_history.csv`` gives GDP (2000, 2005, 2010) and the 2000 census population on **2010**
prefecture boundaries; ``cities.csv`` gives the 2010 census both on 2010 boundaries
(``pop_2010_as_published_persons``) and re-cut to 2020 boundaries (``pop_2010_persons``), and
the 2020 census. This module maps the 2010-boundary series to 2020 boundaries.

Boundary changes between 2010 and 2020 (the cities whose two 2010 figures differ by more than
rounding):

* 2011 split of the former Chaohu prefecture (not one of the 41 cities): Juchao district and
  Lujiang county to Hefei, Wuwei county to Wuhu, Hanshan and He counties to Ma'anshan. The gains
  (2010 census, persons) are Hefei +1,755,027, Wuhu +1,282,067, Ma'anshan +836,899; together
  3,873,993 = the former Chaohu prefecture, all of which went to YRD cities.
* 2015-16 transfers inside the 41: Shou county Lu'an -> Huainan (+1,008,012 / -1,008,415) and
  Zongyang county Anqing -> Tongling (+838,670 / -838,333). The two sides differ by a few
  hundred persons because the as-published series is rounded to 100 persons; the moved
  population ``m`` used below is the mean of the two absolute differences, so that the pair's
  totals are preserved exactly.
* All other cities differ by less than 0.06 % (rounding, minor adjustments); their 2000 and GDP
  values are used unchanged.

Method (for each moved territory with 2010 census population ``m`` taken from a source
prefecture ``s`` with 2010-boundary population ``P_s,2010``):

* Population: the territory had the same 2000-2010 growth as its source prefecture, so it had
  ``m * P_s,2000 / P_s,2010`` persons in 2000. That amount is added to the receiving city's and
  (inside the 41) subtracted from the source city's 2000 census population.
* GDP: the territory had the source prefecture's GDP per capita in every year. Under the
  same-growth assumption the territory's share of the source's population is
  ``m / P_s,2010`` in every year, so the moved GDP in year ``t`` is
  ``GDP_s,t * m / P_s,2010``. (No 2005 population is needed.)
* 2010 and 2020 populations are taken directly from ``cities.csv`` (``pop_2010_persons`` is the
  2010 census re-cut to 2020 boundaries). ``urban_share_2010`` is
  ``pop_urban_towns_2010_persons / pop_2010_persons`` (census urban incl. towns, 2010 on 2020
  boundaries), in percent.

The former Chaohu prefecture is not in the data directory except for its 2010 GDP. Its other
inputs are constants here, with sources (:data:`CHAOHU`):

* GDP 2000 = 190.23 and 2005 = 301.87 (100 m CNY, nominal): the same CSMAR CRE city panel
  (``CRE_Gdpct.csv``, Gdpct01, city 341400) from which ``city_history.csv`` takes the other
  Anhui values and Chaohu's 2010 GDP of 629.73. (If these were not used, the stated fallback is
  ``chaohu_gdp="anhui_growth"``: Chaohu's 2000 and 2005 GDP backcast from 2010 at the growth of
  the 16 Anhui cities' summed GDP on 2010 boundaries.)
* Population 2010 = 3,873,993 (sum of the three gains above; 2010 census).
* Population 2000: the 2000 census figure of Chaohu is not in the data. It is estimated as the
  population implied by the same CSMAR panel (GDP / GDP per capita 2000 = 190.23e8 / 4254 =
  4,471,791), divided by the median ratio of that implied population to the 2000 census over
  the 15 other Anhui cities (Anqing, whose census 2000 value is flagged weak, excluded). The
  implied population is closer to a registered (hukou) count and overstates the resident count
  in out-migration prefectures; the median ratio is 1.030. Result: 4.340 million, i.e.
  Chaohu lost 10.7 % of its residents 2000-2010. This is an estimate, not a census value.
  Sensitivity: with the ratio of the most out-migrating neighbour (Lu'an 1.106) the 2000
  figure would be 4.04 M; with no correction 4.47 M. This moves Hefei's 2000 population on
  2020 boundaries by about -2 % / +1 %.

Known input caveats carried through: Anqing's 2000 census value (5,180,000) looks rounded
(flagged weak in the data) and enters Tongling's and Anqing's 2000 figures; Huai'an has no GDP
for 2000 (left missing); Shanghai's 2000 census value is the county tabulation (16.41 M, the
bulletin gives 16.74 M); Shanghai's GDP is the NBS figure as first published.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: Former Chaohu prefecture (dissolved 2011). GDP in 100 m CNY, nominal; persons.
CHAOHU: dict[str, float] = {
    "gdp_2000": 190.23,  # CSMAR CRE_Gdpct.csv, 2000, Ctnm_id 341400, Gdpct01
    "gdp_2005": 301.87,  # same file, 2005
    "gdp_2010": 629.73,  # same file, 2010 (also quoted in city_history.csv)
    "gdp_per_capita_2000": 4254.0,  # same file, 2000, GDP_PerCapita (CNY)
}

#: Receiving cities of the former Chaohu prefecture (2011 split).
CHAOHU_RECEIVERS: tuple[str, ...] = ("hefei", "wuhu", "maanshan")

#: Transfers between two of the 41 cities: (source, receiver).
INTERNAL_TRANSFERS: tuple[tuple[str, str], ...] = (("luan", "huainan"), ("anqing", "tongling"))

#: Relative difference of the two 2010 figures above which a city counts as changed.
CHANGE_THRESHOLD: float = 0.01

#: Anhui cities left out of the Chaohu 2000 correction ratio (weak 2000 census value).
_RATIO_EXCLUDED: tuple[str, ...] = ("anqing",)

#: Anhui per-capita-implied 2000 populations (CSMAR CRE_Gdpct.csv 2000: Gdpct01*1e8 /
#: GDP_PerCapita), 2010 boundaries, persons. Used only for the Chaohu 2000 estimate.
ANHUI_IMPLIED_POP_2000: dict[str, float] = {
    "hefei": 324.73e8 / 7481.0,
    "wuhu": 200.58e8 / 9224.0,
    "bengbu": 159.66e8 / 4786.0,
    "huainan": 126.00e8 / 6162.0,
    "maanshan": 126.17e8 / 10640.0,
    "huaibei": 98.95e8 / 5125.0,
    "tongling": 73.30e8 / 10664.0,
    "anqing": 252.44e8 / 4210.0,
    "huangshan": 81.31e8 / 5547.0,
    "chuzhou": 255.73e8 / 6060.0,
    "fuyang": 200.50e8 / 2299.0,
    "suzhou_ah": 178.03e8 / 3101.0,
    "luan": 170.90e8 / 2594.0,
    "bozhou": 160.10e8 / 3059.0,
    "chizhou": 58.12e8 / 3789.0,
    "xuancheng": 160.44e8 / 5846.0,
}

OUTPUT_COLUMNS: tuple[str, ...] = (
    "province",
    "pop_2000",
    "pop_2010",
    "pop_2020",
    "gdp_2000",
    "gdp_2005",
    "gdp_2010",
    "urban_share_2010",
)


@dataclass(frozen=True)
class Transfer:
    """One moved territory: ``moved_2010`` persons (2010 census) from ``source`` to ``receiver``.

    ``source`` is a city id or ``"chaohu"``; ``share`` is ``moved_2010 / P_source,2010`` (2010
    boundaries), the territory's constant share of its source's population and GDP.
    """

    source: str
    receiver: str
    moved_2010: float
    share: float


def chaohu_pop_2000_estimate(history: pd.DataFrame) -> float:
    """Former Chaohu prefecture's 2000 resident population (estimate, persons).

    Implied population from CSMAR (GDP / GDP per capita, 2000) divided by the median ratio
    implied / census-2000 over the other Anhui cities (see the module docstring).
    """
    ratios = [
        ANHUI_IMPLIED_POP_2000[c] / float(history.loc[c, "pop_2000_census_persons"])
        for c in ANHUI_IMPLIED_POP_2000
        if c not in _RATIO_EXCLUDED
    ]
    implied = CHAOHU["gdp_2000"] * 1e8 / CHAOHU["gdp_per_capita_2000"]
    return implied / float(np.median(ratios))


def changed_cities(cities: pd.DataFrame, threshold: float = CHANGE_THRESHOLD) -> pd.Series:
    """Relative difference (2020-boundary minus 2010-boundary 2010 census) of changed cities."""
    diff = cities["pop_2010_persons"] / cities["pop_2010_as_published_persons"] - 1.0
    return diff[diff.abs() > threshold]


def _transfers(cities: pd.DataFrame) -> list[Transfer]:
    """The moved territories, from the two 2010 census figures of ``cities``."""
    gained = cities["pop_2010_persons"] - cities["pop_2010_as_published_persons"]
    out: list[Transfer] = []
    chaohu_2010 = float(sum(gained[r] for r in CHAOHU_RECEIVERS))
    for receiver in CHAOHU_RECEIVERS:
        m = float(gained[receiver])
        out.append(Transfer("chaohu", receiver, m, m / chaohu_2010))
    for source, receiver in INTERNAL_TRANSFERS:
        m = 0.5 * (abs(float(gained[receiver])) + abs(float(gained[source])))
        p_src = float(cities.loc[source, "pop_2010_as_published_persons"])
        out.append(Transfer(source, receiver, m, m / p_src))
    return out


def _chaohu_gdp(history: pd.DataFrame, method: str) -> dict[int, float]:
    """Chaohu GDP by year (100 m CNY): CSMAR values or backcast at Anhui's growth."""
    if method == "csmar":
        return {2000: CHAOHU["gdp_2000"], 2005: CHAOHU["gdp_2005"], 2010: CHAOHU["gdp_2010"]}
    if method == "anhui_growth":
        anhui = history[history["province"] == "Anhui"]
        g10 = anhui["gdp_2010_100m_cny"].sum()
        return {
            year: CHAOHU["gdp_2010"] * anhui[f"gdp_{year}_100m_cny"].sum() / g10
            for year in (2000, 2005, 2010)
        }
    raise ValueError(f"unknown chaohu_gdp method {method!r}")


def city_history_2020_boundaries(
    data_dir: str | Path, chaohu_gdp: str = "csmar", chaohu_pop_2000: float | None = None
) -> pd.DataFrame:
    """Population 2000/2010/2020, GDP 2000/2005/2010 and urban share 2010 on 2020 boundaries.

    Args:
        data_dir: Directory with ``cities.csv`` and ``city_history.csv``.
        chaohu_gdp: ``"csmar"`` (Chaohu's published 2000/2005 GDP, default) or
            ``"anhui_growth"`` (backcast from its 2010 GDP at Anhui's summed growth).
        chaohu_pop_2000: Chaohu's 2000 population; default :func:`chaohu_pop_2000_estimate`.

    Returns:
        Frame indexed by city id (order of ``cities.csv``) with columns ``province``,
        ``pop_2000``, ``pop_2010``, ``pop_2020`` (persons), ``gdp_2000``, ``gdp_2005``,
        ``gdp_2010`` (100 m CNY, nominal), ``urban_share_2010`` (percent). Huai'an's
        ``gdp_2000`` is missing in the source and stays NaN. The method is in the module
        docstring.
    """
    data_dir = Path(data_dir)
    cities = pd.read_csv(data_dir / "cities.csv", index_col="id")
    history = pd.read_csv(data_dir / "city_history.csv", index_col="id").loc[cities.index]

    out = pd.DataFrame(index=cities.index)
    out["province"] = cities["province"]
    out["pop_2000"] = history["pop_2000_census_persons"].astype(float)
    out["pop_2010"] = cities["pop_2010_persons"].astype(float)
    out["pop_2020"] = cities["pop_2020_persons"].astype(float)
    for year in (2000, 2005, 2010):
        out[f"gdp_{year}"] = history[f"gdp_{year}_100m_cny"].astype(float)
    out["urban_share_2010"] = 100.0 * cities["pop_urban_towns_2010_persons"] / out["pop_2010"]

    if chaohu_pop_2000 is None:
        chaohu_pop_2000 = chaohu_pop_2000_estimate(history)
    chaohu_gdp_by_year = _chaohu_gdp(history, chaohu_gdp)
    chaohu_pop_2010 = sum(t.moved_2010 for t in _transfers(cities) if t.source == "chaohu")

    base_pop_2000 = out["pop_2000"].copy()  # 2010-boundary values, read before any update
    base_gdp = {y: out[f"gdp_{y}"].copy() for y in (2000, 2005, 2010)}
    for t in _transfers(cities):
        if t.source == "chaohu":
            growth = chaohu_pop_2000 / chaohu_pop_2010  # P_2000 / P_2010 of the source
            moved_2000 = t.moved_2010 * growth
            moved_gdp = {y: g * t.share for y, g in chaohu_gdp_by_year.items()}
        else:
            p_src_2010 = float(cities.loc[t.source, "pop_2010_as_published_persons"])
            moved_2000 = t.moved_2010 * float(base_pop_2000[t.source]) / p_src_2010
            moved_gdp = {y: float(base_gdp[y][t.source]) * t.share for y in base_gdp}
            out.loc[t.source, "pop_2000"] -= moved_2000
            for y, g in moved_gdp.items():
                out.loc[t.source, f"gdp_{y}"] -= g
        out.loc[t.receiver, "pop_2000"] += moved_2000
        for y, g in moved_gdp.items():
            out.loc[t.receiver, f"gdp_{y}"] += g
    return out[list(OUTPUT_COLUMNS)]


def check_totals(data_dir: str | Path, new: pd.DataFrame | None = None) -> pd.DataFrame:
    """Totals on 2010 boundaries (41 cities + former Chaohu) against the mapped 2020-boundary sums.

    Territory only moved between YRD units (Chaohu's parts all went to Hefei, Wuhu and
    Ma'anshan), so the sums must agree: exactly for GDP 2010 and population 2010 (up to the
    rounding of the as-published series), and by construction for 2000/2005.
    """
    data_dir = Path(data_dir)
    new = city_history_2020_boundaries(data_dir) if new is None else new
    cities = pd.read_csv(data_dir / "cities.csv", index_col="id")
    history = pd.read_csv(data_dir / "city_history.csv", index_col="id").loc[cities.index]
    chaohu_2010 = sum(t.moved_2010 for t in _transfers(cities) if t.source == "chaohu")
    old = {
        "pop_2000": history["pop_2000_census_persons"].sum() + chaohu_pop_2000_estimate(history),
        "pop_2010": cities["pop_2010_as_published_persons"].sum() + chaohu_2010,
        "gdp_2000": history["gdp_2000_100m_cny"].sum() + CHAOHU["gdp_2000"],
        "gdp_2005": history["gdp_2005_100m_cny"].sum() + CHAOHU["gdp_2005"],
        "gdp_2010": history["gdp_2010_100m_cny"].sum() + CHAOHU["gdp_2010"],
    }
    rows = []
    for col, value in old.items():
        mapped = float(new[col].sum())
        rows.append({"series": col, "2010_boundaries_plus_chaohu": value,
                     "2020_boundaries": mapped, "rel_diff": mapped / value - 1.0})
    return pd.DataFrame(rows).set_index("series")


if __name__ == "__main__":
    import sys

    directory = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"
    pd.set_option("display.width", 200)
    frame = city_history_2020_boundaries(directory)
    print(frame.round(2).to_string())
    print(check_totals(directory, frame).to_string())
