"""The agents of yrdsim: cities, firms and talent (Mesa agents over shared numpy state)."""

from agents.city import CityAgent, CityState
from agents.firm import FirmAgent, FirmArrays
from agents.talent import TalentAgent, TalentArrays

__all__ = ["CityAgent", "CityState", "FirmAgent", "FirmArrays", "TalentAgent", "TalentArrays"]
