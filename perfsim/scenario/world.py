"""The ``[world]`` part of a scenario: departments, tasks, measurement and raters (docs/model.md).

Units: effort and output are in task units; indicators in their own units
(``m = offset + scale · (Σ_k L_jk y_k + κ_j g_j + σ_j ε)``); rater scores on a 0–100 scale before
they are expressed in the component's full marks; rewards and costs in reward units.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from .errors import LocatedValueError, error
from .events import Event
from .names import no_blank_names
from .scales import mixed_scale
from .schema_base import Strict

LOG_MEAN_LIMIT = 5.0
"""Largest |mean| of log ability: e⁵ ≈ 148 times the baseline department."""
LOG_SD_LIMIT = 2.0
"""Largest sd of log ability or productivity (a 3-sd department is e⁶ ≈ 400 times the baseline)."""
#: the smallest effort cost a task takes (effort ≈ value / cost)
COST_FLOOR = 1e-6
PRODUCTIVITY_LIMIT = 1e3
"""Largest mean productivity per task (output units per unit of effort)."""

NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class DepartmentClass(Strict):
    share: NonNegative = Field(
        1.0, description="Share of departments in this class (rescaled to sum to 1)."
    )
    ability_mean: float = Field(0.0, description="Mean of log ability (a = exp(N(mean, sd))).")
    ability_sd: NonNegative = Field(0.0, description="Spread of log ability across departments.")
    productivity: dict[str, Positive] = Field(
        default_factory=dict,
        description="Mean productivity θ per task (output per unit of effort); tasks not named: 1.",
    )
    productivity_sd: NonNegative = Field(
        0.0,
        description="Spread of log productivity around the class mean, per department and task.",
    )
    visibility: NonNegative = Field(
        1.0,
        description="How visible the class's work is to outside raters (multiplies what survey "
        "raters perceive above their offset): front-line units high, back offices low.",
    )

    @model_validator(mode="after")
    def _finite_ability(self) -> DepartmentClass:
        # ability and productivity are exp(normal): beyond these the model's numbers overflow
        limits = {
            "ability_mean": (abs(self.ability_mean), LOG_MEAN_LIMIT),
            "ability_sd": (self.ability_sd, LOG_SD_LIMIT),
            "productivity_sd": (self.productivity_sd, LOG_SD_LIMIT),
        }
        for key, (value, limit) in limits.items():
            if value > limit:
                times = f"{np.exp(limit):,.0f}"
                said = error("log_scale", name=key, limit=f"{limit:g}", times=times)
                raise LocatedValueError(key, getattr(self, key), said)
        for task, theta in self.productivity.items():
            if theta > PRODUCTIVITY_LIMIT:
                raise LocatedValueError(
                    f"productivity.{task}",
                    theta,
                    f"must be ≤ {PRODUCTIVITY_LIMIT:g} output units per unit of effort (1 = the "
                    "baseline); larger values overflow the model",
                )
        return self


class Task(Strict):
    value: float = Field(1.0, description="Social value v_k of one unit of output.")
    cost: Positive = Field(
        1.0,
        description="Effort cost coefficient c_k in ½ Σ c_kl e_k e_l / a (at least "
        f"{COST_FLOOR:g}: effort is about value / cost).",
    )
    substitutes: dict[str, NonNegative] = Field(
        default_factory=dict,
        description="Cost interaction c_kl with other tasks (> 0: tasks compete for effort).",
    )
    baseline_effort: NonNegative = Field(
        1.0, description="Effort of the naive policy (no response to the rule), task units."
    )

    @model_validator(mode="after")
    def _cost_not_tiny(self) -> Task:
        if self.cost < COST_FLOOR:  # effort ≈ value / cost: a tiny cost overflows the model
            said = error("cost_floor", floor=f"{COST_FLOOR:g}")
            raise LocatedValueError("cost", self.cost, said)
        return self


class Measurement(Strict):
    tasks: dict[str, float] = Field(
        description="Loadings L_jk: how much one unit of output of task k moves the indicator."
    )
    offset: float = Field(0.0, description="Indicator value at zero output (indicator units).")
    scale: float = Field(1.0, description="Indicator units per unit of output.")
    noise: NonNegative = Field(0.0, description="Measurement noise σ_j (output units).")
    gameability: NonNegative = Field(
        0.0, description="κ_j: how far one unit of gaming effort inflates the indicator (0 = none)."
    )
    gaming_cost: Positive = Field(1.0, description="c_gj in the gaming cost ½ Σ c_gj g_j².")
    ceiling: float | None = Field(
        None, description="Largest value the indicator can report (e.g. 100 % completed)."
    )


class Rater(Strict):
    kind: Literal["survey", "panel", "self"] = Field(
        "panel",
        description="survey: n respondents answer on the 4-level scale (满意/比较满意/基本满意/不满意); "
        "panel: a group's noisy score; self: self-evaluation, inflated.",
    )
    sees: dict[str, NonNegative] = Field(
        default_factory=dict,
        description="知情人评知情事: weight of each task's true output in what the rater perceives.",
    )
    offset: float = Field(50.0, description="Perceived quality (0-100) at zero output.")
    scale: float = Field(10.0, description="Quality points per unit of seen output.")
    halo: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0,
        description="Weight of the department's overall output (mean of all tasks) in perception.",
    )
    leniency: float = Field(
        0.0, description="Leniency b_r added to the score (points, 0-100 scale)."
    )
    noise: NonNegative = Field(
        0.0, description="Panel/self: score noise (points); survey: respondent noise (points)."
    )
    respondents: Annotated[int, Field(ge=1, le=10_000_000)] = Field(
        100, description="Survey: respondents per department (sampling noise ~ 1/√n; ≤ 10⁷)."
    )
    cutpoints: list[float] = Field(
        default_factory=lambda: [40.0, 60.0, 80.0],
        description="Survey: latent-quality cutpoints between 不满意|基本满意|比较满意|满意.",
    )
    points: list[float] = Field(
        default_factory=lambda: [0.0, 60.0, 80.0, 100.0],
        description="Survey: points of 不满意, 基本满意, 比较满意, 满意 (0-100 scale).",
    )
    self_inflation: float = Field(0.0, description="Self: points added by self-evaluation.")
    unit_cost: NonNegative = Field(
        0.0, description="Evaluation cost per respondent (survey) or per department rated."
    )

    @model_validator(mode="after")
    def _check(self) -> Rater:
        if len(self.points) != len(self.cutpoints) + 1:
            raise LocatedValueError(
                "points",
                self.points,
                f"needs one more entry than cutpoints ({len(self.cutpoints)})",
            )
        if any(b <= a for a, b in zip(self.cutpoints, self.cutpoints[1:], strict=False)):
            raise LocatedValueError("cutpoints", self.cutpoints, "must be strictly increasing")
        return self


class World(Strict):
    """The simulated world the rule is tested on."""

    departments: Annotated[int, Field(ge=2)] = Field(50, description="Departments per replication.")
    periods: Annotated[int, Field(ge=1, le=500)] = Field(
        1, description="Evaluation periods (years; at most 500)."
    )
    policy: Literal["naive", "best_response", "adaptive"] = Field(
        "best_response",
        description="naive: fixed baseline effort, no gaming; best_response: smoothed best response "
        "iterated to a fixed point; adaptive: departments learn the cut-offs from past periods.",
    )
    motivation: NonNegative = Field(
        0.0, description="λ: intrinsic (public-service) motivation, utility per unit of true value."
    )
    discount: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.0, description="δ: discount factor of forward-looking departments (ratcheted targets)."
    )
    horizon: Literal["stationary", "finite"] = Field(
        "stationary",
        description="How forward-looking departments value the future under ratcheted targets: "
        "stationary: the evaluation goes on for ever, every period discounts the marginal reward "
        "by (1 − δ)/(1 − δ + δλ) (Weitzman 1980); finite: it ends after `periods` periods, and "
        "period t discounts it by 1 − δλ(1 − q^(T−t))/(1 − q), q = δ(1 − λ): 1 in the last year.",
    )
    early_warning: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.0,
        description="预警提示: share ρ of its own measurement-noise variance that a department sees "
        "at mid-period, before it settles effort and gaming (0 = no warning).",
    )
    promotion_value: NonNegative = Field(
        1.0,
        description="干部选拔任用: what a leader puts on one unit of a grade's "
        "`promotion_weight` (reward units; 1 = a unit of promotion weight is worth a unit of bonus): "
        "the career-concern term of the leader's utility (perfsim/world/careers.py).",
    )
    budget_value: NonNegative = Field(
        1.0,
        description="预算绩效: what a leader puts now on next year's budget, reward units per unit "
        "of log budget (a grade's `budget_factor` f is worth budget_value · ln f, times the years "
        "the change lasts, discounted by δ; perfsim/world/careers.py).",
    )
    budget_persistence: Annotated[float, Field(ge=0, le=1)] = Field(
        1.0,
        description="ρ in ln B_{t+1} = ρ ln B_t + ln f_g: 1 = budget changes compound year after "
        "year (基数加增长), 0 = a grade sets next year's budget only.",
    )
    budget_elasticity: NonNegative = Field(
        0.5,
        description="η: a department's productivity scales with its budget as B^η (resources feed "
        "back into results over `periods` years; 0 = the budget buys nothing).",
    )
    reputation: float = Field(
        0.0,
        description="Points (0–100 scale) by which raters' perceived quality follows last year's "
        "grade: + reputation for the best band, − reputation for the worst, linear between "
        "(0 = raters ignore last year's grade).",
    )
    common_shock: NonNegative = Field(
        0.0, description="不可抗力: sd of a per-period shock common to all outputs (output units)."
    )
    samples: Annotated[int, Field(ge=2, le=65_536)] = Field(
        16,
        description="Common-random-number draws used to estimate expected rewards (16 Latin "
        "hypercube draws give equilibria that agree with 256 independent draws within Monte Carlo "
        "error: benchmarks/bench_crn.py).",
    )
    sampling: Literal["lhs", "mc", "antithetic"] = Field(
        "lhs",
        description="How the common random numbers are drawn: lhs: Latin hypercube, each "
        "department's draws of each noise spread one per stratum of equal probability (several "
        "times less error than mc at the same samples); mc: independent draws; antithetic: "
        "half the draws and their negatives.",
    )
    damping: Annotated[float, Field(gt=0, le=1)] = Field(
        0.5,
        description="Best response: starting weight of the new response in each iteration (per "
        "department; shrunk by 30 % when its step turns back, grown back by 10 % otherwise).",
    )
    tolerance: Positive = Field(
        1e-4,
        description="Best response: a replication has converged when its residual "
        "max |BR(x) − x| over departments, effort and gaming is at most this.",
    )
    max_iterations: Annotated[int, Field(ge=1, le=100_000)] = Field(
        200, description="Best response: most iterations."
    )
    learning_rate: Annotated[float, Field(gt=0, le=1)] = Field(
        0.5, description="Adaptive: weight of the latest period in the learned cut-offs."
    )
    classes: dict[str, DepartmentClass] = Field(
        default_factory=dict, description="Department classes; names as in rule.classes."
    )
    tasks: dict[str, Task] = Field(
        description="Tasks, including valued tasks no indicator measures."
    )
    indicators: dict[str, Measurement] = Field(
        default_factory=dict, description="How each rule indicator is measured."
    )
    raters: dict[str, Rater] = Field(
        default_factory=dict, description="Rater groups, one per column component of the rule."
    )
    events: dict[str, Event] = Field(
        default_factory=dict,
        description="How the rule's bonus and deduction items (加减分) and veto columns (一票否决) "
        "happen in a simulated year, by item or column name (perfsim/world/events.py).",
    )
    relief_lobbying: NonNegative = Field(
        0.0,
        description="不可抗力, discretionary relief: per unit of total gaming effort G, how much a "
        "department raises its chance of being granted relief (grant + lobbying·G, at most 1).",
    )

    @model_validator(mode="before")
    @classmethod
    def _names(cls, data):
        return no_blank_names(data, ("classes", "tasks", "indicators", "raters", "events"))

    @model_validator(mode="after")
    def _check(self) -> World:
        if self.classes and sum(c.share for c in self.classes.values()) <= 0:
            raise LocatedValueError(
                "classes",
                {k: c.share for k, c in self.classes.items()},
                error("class_shares_zero"),
            )
        found = mixed_scale({n: c.share for n, c in self.classes.items()})
        if found is not None:  # a percentage among fractions (scales.py)
            name, value, message = found
            raise LocatedValueError(f"classes.{name}.share", value, message)
        tasks = list(self.tasks)
        for name, cls in self.classes.items():
            for task in cls.productivity:
                if task not in self.tasks:
                    raise LocatedValueError(
                        f"classes.{name}.productivity.{task}",
                        task,
                        _unknown_task(task, tasks),
                        False,
                    )
        for name, task in self.tasks.items():
            for other in task.substitutes:
                if other not in self.tasks or other == name:
                    raise LocatedValueError(
                        f"tasks.{name}.substitutes.{other}",
                        other,
                        _unknown_task(other, tasks),
                        False,
                    )
        for name, m in self.indicators.items():
            if not m.tasks:
                raise LocatedValueError(f"indicators.{name}.tasks", {}, "name at least one task")
            if not any(m.tasks.values()):  # (it measured nothing: the run overflowed)
                raise LocatedValueError(
                    f"indicators.{name}.tasks", dict(m.tasks), error("loads_nothing")
                )
            for task in m.tasks:
                if task not in self.tasks:
                    raise LocatedValueError(
                        f"indicators.{name}.tasks.{task}", task, _unknown_task(task, tasks), False
                    )
        for name, ev in self.events.items():
            if ev.task is not None and ev.task not in self.tasks:
                raise LocatedValueError(
                    f"events.{name}.task", ev.task, _unknown_task(ev.task, tasks), False
                )
        for name, r in self.raters.items():
            for task in r.sees:
                if task not in self.tasks:
                    raise LocatedValueError(
                        f"raters.{name}.sees.{task}", task, _unknown_task(task, tasks), False
                    )
        return self


def _unknown_task(task: str, tasks: list[str]) -> str:
    return error("no_name", kind="task", allowed=", ".join(tasks))
