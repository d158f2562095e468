"""The scenario language: TOML files validated into typed objects, with dotted-path overrides."""

from .errors import DataError, PerfsimError, Problem, ScenarioError
from .loader import (
    load_scenario,
    read_toml,
    resolve_path,
    scenario_from_dict,
    scenario_hash,
    scenario_raw,
    scenario_source,
    scenario_world,
    without_translations,
)
from .overrides import apply_overrides, parse_assignment
from .schema import Rule, Scenario
from .worlds import WorldSpec, load_world, no_world_error, resolve_scenario

__all__ = [
    "DataError",
    "PerfsimError",
    "Problem",
    "Rule",
    "Scenario",
    "ScenarioError",
    "WorldSpec",
    "apply_overrides",
    "load_scenario",
    "load_world",
    "no_world_error",
    "parse_assignment",
    "read_toml",
    "resolve_path",
    "resolve_scenario",
    "scenario_from_dict",
    "scenario_hash",
    "scenario_raw",
    "scenario_source",
    "scenario_world",
    "without_translations",
]
