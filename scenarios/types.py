"""The validated types the levers, the configuration and the data share, declared once.

City-size classes, provinces and their capitals, transport modes, voucher portability, the
census years, the bounds of a year, and the number types of the configuration (finite numbers,
whole numbers, shares...) with the strict base model of every configuration section.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

#: City-size classes of the State Council 2014 standard (国发〔2014〕51号), as used by the levers.
SizeClass = Literal["megacity", "super_large", "large_1", "large_2", "medium", "small"]
SIZE_CLASSES: tuple[str, ...] = get_args(SizeClass)

Province = Literal["Shanghai", "Jiangsu", "Zhejiang", "Anhui"]
#: Provincial capitals (Shanghai is a province-level city and its own capital).
PROVINCIAL_CAPITALS: dict[str, str] = {
    "Shanghai": "shanghai",
    "Jiangsu": "nanjing",
    "Zhejiang": "hangzhou",
    "Anhui": "hefei",
}
PROVINCES: tuple[str, ...] = get_args(Province)

Portability = Literal["city", "province", "yrd"]

#: Transport modes a new link can have, and whether each runs on rails (access time applies).
LinkMode = Literal["hsr", "rail", "road", "expressway", "road+rail"]

#: Earliest and latest year a lever may name (the data's opening years start in the 1800s).
EARLIEST_YEAR = 1800
LATEST_YEAR = 2100

#: Census years for which ``cities.csv`` holds resident populations (on 2020 boundaries).
CENSUS_YEARS: tuple[int, ...] = (2010, 2020)


def mode_kind(mode: str) -> str:
    """Map a data or config mode onto ``hsr``, ``road+rail``, ``rail`` or ``road``."""
    text = mode.lower()
    if "hsr" in text:
        return "hsr"
    if "road+rail" in text:
        return "road+rail"
    if "rail" in text:
        return "rail"
    return "road"


def _not_boolean(value: Any) -> Any:
    """Refuse ``true``/``false`` where a number is expected (pydantic would read them as 1/0)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, not the boolean {str(value).lower()}")
    return value


#: A finite number (NaN, inf, text and booleans refused).
Number = Annotated[float, BeforeValidator(_not_boolean), Field(allow_inf_nan=False)]
#: A whole number (fractions, NaN, text and booleans refused).
Whole = Annotated[int, BeforeValidator(_not_boolean)]
NonNegative = Annotated[Number, Field(ge=0)]
Positive = Annotated[Number, Field(gt=0)]
Share = Annotated[Number, Field(ge=0, le=1)]
Year = Annotated[Whole, Field(ge=EARLIEST_YEAR, le=LATEST_YEAR)]


class StrictModel(BaseModel):
    """Base for all configuration models: unknown keys refused, immutable once validated."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)
