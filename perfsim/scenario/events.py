"""The ``[world.events."<name>"]`` table: how the rule's bonus items, deduction items and veto
columns happen in a simulated year (``perfsim/world/events.py`` states the equations).

An event is named after a rule adjustment (``rule.adjustments``) or a veto column
(``rule.veto.columns``):

* a **bonus** item (加分, e.g. 创新创优) is *claimed* with probability
  ``q = 1 − (1 − p₀) exp(−r y)``, where ``y`` is the department's output on ``task`` (effort
  times productivity): departments work towards it at the task's effort cost;
* a **deduction** item (减分) and a **veto** column (一票否决) are *incidents* with probability
  ``q = logistic(logit p₀ − r y + γ G)``: groundwork on ``task`` makes them rarer, gaming (total
  gaming effort G) more frequent.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .schema_base import Strict

Share = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]


class Event(Strict):
    probability: Share = Field(
        description="p₀: chance per year at zero output on `task` and no gaming (a bonus item: "
        "of being claimed; a deduction item or a veto column: of an incident)."
    )
    points: NonNegative | None = Field(
        None,
        description="Bonus or deduction item: points the item brings when it happens (capped by "
        "the item's rule cap); default: the cap. Not used by a veto column.",
    )
    task: str | None = Field(
        None,
        description="The task whose output y raises a claim's chance (bonus) or lowers an "
        "incident's (deduction, veto); none: the chance does not depend on effort.",
    )
    effect: NonNegative = Field(
        0.0,
        description="r: per unit of output on `task`; a claim's chance is 1 − (1 − p₀)e^(−r y), an "
        "incident's logit falls by r y.",
    )
    gaming: NonNegative = Field(
        0.0,
        description="γ: a deduction or veto incident's logit rises by γ G, G the department's total "
        "gaming effort (a bonus item: must be 0).",
    )
