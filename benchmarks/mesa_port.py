"""An idiomatic Mesa 3 port of perfsim's naive model, for ``benchmarks/bench_mesa.py``.

One replication is one :class:`EvaluationModel` run by ``mesa.batch_run`` (one run per seed):
departments are :class:`Department` agents holding their own ability, productivities, effort,
outputs, indicators, ratings and scores as Python floats; each model step is one evaluation period
(``agents.do`` of each stage, then the model ranks and grades everybody and its ``DataCollector``
records the metrics). The equations are those of docs/model.md and ``perfsim/world/model.py``
(naive policy: baseline effort, no gaming).

Choices, to keep the comparison fair and honest:

- The scenario is read with ``perfsim.load_scenario`` (parsing and validating the TOML, defaults
  included) and flattened once into plain Python values (:class:`Params`); nothing of perfsim's
  engine, rule functions or metrics is used in a replication.
- Scoring is written out per agent in plain Python (efficacy coefficient, class weights, weighted
  sums, quota and threshold grading): that is what a Mesa user would do, perfsim's rule functions
  work on ``(rep, dept)`` arrays, not on one agent. Only the rules the Hangzhou scenario uses are
  ported (:func:`params_from_scenario` refuses others).
- Surveys of at least 50 respondents draw their mean score from the normal approximation of the
  ordered-probit answers with their exact mean and variance, as perfsim does (smaller surveys draw
  each respondent's answer); this makes the port faster, not slower, than drawing the ~219 answers.
- Rank correlations come from ``scipy.stats`` (what a Mesa user would call). The model computes
  its metrics in ``step`` and the ``DataCollector`` records them by attribute name (reporters that
  are functions would each run twice per replication: Mesa 3.3 validates a reporter by calling it
  on the first ``collect``, and every replication is a new model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mesa
import numpy as np
from scipy import stats

SURVEY_EXACT_BELOW = 50  # as perfsim.world.model.SURVEY_EXACT_BELOW
#: the metrics each replication reports, as perfsim names them
METRICS = (
    "kendall_tau", "spearman_rho", "mean_total", "top_missed", "class_bias", "reward_gini"
)  # fmt: skip


@dataclass(frozen=True)
class Params:
    """The scenario as plain Python values (dicts keyed by task, indicator and rater names)."""

    departments: int
    periods: int
    classes: (
        list  # [(name, count, ability_mean, ability_sd, {task: θ̄}, productivity_sd, visibility)]
    )
    tasks: dict  # task → (value, baseline effort)
    common_shock: float
    indicators: dict  # name → dict(loadings, offset, scale, noise, ceiling, bad, good, component)
    raters: dict  # name → dict(kind, sees, offset, scale, halo, leniency, noise, respondents, ...)
    weights: dict  # class → {indicator: weight within its component}
    # component → (share, rater or None, full marks): the simulated rater of a column component has
    # the component's name (as in perfsim.engine)
    components: dict
    bands: list
    quotas: list  # per band but the last: share or None
    thresholds: list  # per band but the last: score or None
    bonus: list  # per band
    per_point: float  # pay per point of the total
    audit_probability: float


def params_from_scenario(scenario) -> Params:
    """Flatten a perfsim scenario (``perfsim.load_scenario``) into :class:`Params`."""
    rule, w = scenario.rule, scenario.world
    _check_supported(rule, w)
    names = list(rule.classes) or list(w.classes)
    shares = [w.classes[c].share for c in names]
    counts = _largest_remainder(shares, w.departments)
    classes = [
        (c, k, w.classes[c].ability_mean, w.classes[c].ability_sd, dict(w.classes[c].productivity),
         w.classes[c].productivity_sd, w.classes[c].visibility)
        for c, k in zip(names, counts, strict=True)
    ]  # fmt: skip
    comps = rule.resolved_components()
    total_share = sum(c.share for c in comps.values())
    components = {
        name: (c.share / total_share, name if c.source == "column" else None, c.full_marks)
        for name, c in comps.items()
    }  # fmt: skip
    indicators = {
        name: dict(
            loadings=dict(w.indicators[name].tasks), offset=w.indicators[name].offset,
            scale=w.indicators[name].scale, noise=w.indicators[name].noise,
            ceiling=math.inf if w.indicators[name].ceiling is None else w.indicators[name].ceiling,
            bad=spec.bad, good=spec.good, component=rule.component_of(name),
        )
        for name, spec in rule.indicators.items()
    }  # fmt: skip
    raters = {name: _rater(w.raters[name]) for name, (_, col, _) in components.items() if col}
    bands = list(rule.grading.bands)
    return Params(
        departments=w.departments,
        periods=w.periods,
        classes=classes,
        tasks={t: (spec.value, spec.baseline_effort) for t, spec in w.tasks.items()},
        common_shock=w.common_shock,
        indicators=indicators,
        raters=raters,
        weights={c: _class_weights(rule, c, indicators) for c in names},
        components=components,
        bands=bands,
        quotas=[rule.grading.quota.get(b) for b in bands[:-1]],
        thresholds=[rule.grading.thresholds.get(b) for b in bands[:-1]],
        bonus=[rule.rewards[b].bonus if b in rule.rewards else 0.0 for b in bands],
        per_point=rule.pay.per_point,
        audit_probability=rule.audit.probability,
    )


def _check_supported(rule, w) -> None:
    problems = []
    if w.policy != "naive":
        problems.append(f"world.policy = {w.policy!r} (only 'naive')")
    if any((i.normalize or rule.normalize.method) != "efficacy" for i in rule.indicators.values()):
        problems.append("indicators not normalised by the efficacy coefficient")
    if any(i.bad is None or i.good is None for i in rule.indicators.values()):
        problems.append("efficacy bounds taken from the data")
    if rule.weights.method != "fixed" or rule.aggregate.components != "weighted_sum":
        problems.append("weights other than fixed, or components not summed")
    if any((c.aggregate or rule.aggregate.indicators) != "weighted_sum"
           for c in rule.resolved_components().values()):  # fmt: skip
        problems.append("a component not aggregated by weighted sum")
    if rule.grading.scope != "global" or rule.grading.ties != "exclude":
        problems.append("grading other than global with ties excluded")
    if rule.targets.mode == "ratchet" or w.early_warning or rule.audit.veto:
        problems.append("ratchet targets, early warning or veto")
    if any(r.kind == "self" for r in w.raters.values()):
        problems.append("self-evaluation raters")
    if w.events or w.periods > 1 or w.common_shock:
        problems.append("world.events (bonus items, veto events), several years or common shocks")
    if problems:
        raise ValueError("the Mesa port does not model: " + "; ".join(problems))


def _largest_remainder(shares: list[float], n: int) -> list[int]:
    """Departments per class, as perfsim.world.model.class_counts."""
    raw = [s / sum(shares) * n for s in shares]
    counts = [math.floor(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: -(raw[i] - counts[i]))
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _rater(spec) -> dict:
    return dict(
        kind=spec.kind, sees=dict(spec.sees), offset=spec.offset, scale=spec.scale,
        halo=spec.halo, leniency=spec.leniency, noise=spec.noise,
        respondents=spec.respondents if spec.kind == "survey" else 0,
        cutpoints=list(spec.cutpoints), points=list(spec.points),
    )  # fmt: skip


def _class_weights(rule, cls: str, indicators: dict) -> dict:
    """Indicator weights of a class, rescaled to sum to 1 within each component."""
    table = rule.weights.by_class.get(cls, {})
    raw = {k: table.get(k, rule.weights.values.get(k, 1.0)) for k in indicators}
    sums: dict = {}
    for k, v in raw.items():
        sums[indicators[k]["component"]] = sums.get(indicators[k]["component"], 0.0) + v
    return {k: v / sums[indicators[k]["component"]] for k, v in raw.items()}


def _phi(z: float) -> float:
    """Standard normal distribution function."""
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


class Department(mesa.Agent):
    """A department: true ability and productivities, baseline effort (naive), its outputs, measured
    indicators, ratings and scores."""

    def __init__(self, model: EvaluationModel, department_class: str, spec: tuple) -> None:
        super().__init__(model)
        _, _, ability_mean, ability_sd, productivity, productivity_sd, visibility = spec
        p = model.params
        self.department_class = department_class
        self.visibility = visibility
        self.ability = math.exp(self.random.gauss(ability_mean, ability_sd))
        self.productivity = {
            t: productivity.get(t, 1.0) * math.exp(self.random.gauss(0.0, productivity_sd))
            for t in p.tasks
        }
        self.effort = {t: baseline for t, (_, baseline) in p.tasks.items()}
        self.gaming = dict.fromkeys(p.indicators, 0.0)  # the naive policy never games

    def work(self) -> None:
        """Outputs ``y = θ e + shock`` and true value ``V = Σ v y``."""
        shock = self.model.shock
        self.output = {t: self.productivity[t] * e + shock for t, e in self.effort.items()}
        self.value = sum(v * self.output[t] for t, (v, _) in self.model.params.tasks.items())

    def report(self) -> None:
        """Measured indicators ``offset + scale (Σ L y + κ g + σ ε)``, at most the ceiling."""
        self.measured = {}
        for name, ind in self.model.params.indicators.items():
            true = sum(load * self.output[t] for t, load in ind["loadings"].items())
            noisy = true + ind["noise"] * self.random.gauss(0.0, 1.0)
            self.measured[name] = min(ind["offset"] + ind["scale"] * noisy, ind["ceiling"])

    def be_rated(self) -> None:
        """Each rater's score (0-100) of what it perceives of the outputs."""
        mean_output = sum(self.output.values()) / len(self.output)
        self.ratings = {}
        for name, r in self.model.params.raters.items():
            seen = sum(s * self.output[t] for t, s in r["sees"].items())
            seen = (1 - r["halo"]) * seen + r["halo"] * mean_output
            vis = self.visibility if r["kind"] == "survey" else 1.0
            latent = r["offset"] + r["scale"] * vis * seen + r["leniency"]
            if r["kind"] == "survey":
                self.ratings[name] = self._survey(r, latent)
            else:
                noisy = latent + r["noise"] * self.random.gauss(0.0, 1.0)
                self.ratings[name] = min(max(noisy, 0.0), 100.0)

    def _survey(self, r: dict, latent: float) -> float:
        """Mean points of the respondents' answers (ordered probit on the survey's levels)."""
        sd, pts, n = max(r["noise"], 1e-9), r["points"], r["respondents"]
        below = [_phi((cut - latent) / sd) for cut in r["cutpoints"]]
        probs = [b - a for a, b in zip([0.0, *below], [*below, 1.0], strict=True)]
        if n < SURVEY_EXACT_BELOW:  # every respondent answers
            answers = self.random.choices(pts, weights=probs, k=n)
            return sum(answers) / n
        mean = sum(p * x for p, x in zip(probs, pts, strict=True))
        var = max(sum(p * x * x for p, x in zip(probs, pts, strict=True)) - mean**2, 0.0)
        return mean + math.sqrt(var / n) * self.random.gauss(0.0, 1.0)

    def score(self) -> None:
        """Efficacy-coefficient indicator scores, weighted component scores and the total."""
        p = self.model.params
        weights = p.weights[self.department_class]
        self.components = {}
        for comp, (_, rater, _) in p.components.items():
            if rater is not None:  # read from the rater's column, already on 0-100
                self.components[comp] = self.ratings[rater]
                continue
            total = 0.0
            for name, ind in p.indicators.items():
                if ind["component"] == comp:
                    z = 60.0 + 40.0 * (self.measured[name] - ind["bad"]) / (
                        ind["good"] - ind["bad"]
                    )
                    total += weights[name] * min(max(z, 60.0), 100.0)
            self.components[comp] = total
        self.total = sum(share * self.components[c] for c, (share, _, _) in p.components.items())
        self.audited = self.random.random() < p.audit_probability  # no gaming: nothing to find


class EvaluationModel(mesa.Model):
    """One replication: ``params.departments`` departments evaluated for ``params.periods``."""

    def __init__(self, params: Params, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self.params = params
        self.shock = 0.0
        for spec in params.classes:
            for _ in range(spec[1]):
                Department(self, spec[0], spec)
        # reporters name model attributes that step() sets (a lambda or function reporter would be
        # called twice in each replication: DataCollector validates it on the first collect)
        reporters = {k: k for k in METRICS if k != "class_bias"}
        self.datacollector = mesa.DataCollector(
            model_reporters={**reporters, "class_intercepts": "class_intercepts"}
        )

    def step(self) -> None:
        self.shock = self.params.common_shock * self.random.gauss(0.0, 1.0)
        for stage in ("work", "report", "be_rated", "score"):
            self.agents.do(stage)
        self.grade()
        self.measure()
        self.datacollector.collect(self)
        if self.steps >= self.params.periods:
            self.running = False

    def grade(self) -> None:
        """Bands filled from the best: a department joins band g if it reaches the band's threshold
        and its block of tied scores fits in the band's quota (ties excluded)."""
        p, agents = self.params, list(self.agents)
        n = len(agents)
        ranked = sorted(agents, key=lambda a: -a.total)
        at_least = {}  # score → number of departments scoring at least that much
        for i, a in enumerate(ranked):
            at_least[a.total] = i + 1
        for a in agents:
            a.grade = len(p.bands) - 1
        placed = 0
        for g, (quota, threshold) in enumerate(zip(p.quotas, p.thresholds, strict=True)):
            limit = math.floor(quota * n + 1e-9) if quota is not None else None
            taken = [
                a for a in ranked
                if a.grade == len(p.bands) - 1
                and (threshold is None or a.total >= threshold)
                and (limit is None or at_least[a.total] - placed <= limit)
            ]  # fmt: skip
            for a in taken:
                a.grade = g
            placed += len(taken)
        for a in agents:  # no gaming, so no sanctions
            a.reward = p.bonus[a.grade] + p.per_point * a.total

    def measure(self) -> None:
        """The period's metrics: rank correlations (τ-b, ρ) between true values and totals, the
        mean total, and the share of the true top (the top quota's size by true value, ties by
        department order) not graded in the top band."""
        agents = list(self.agents)
        values, totals = [a.value for a in agents], [a.total for a in agents]
        self.kendall_tau = stats.kendalltau(values, totals).statistic
        self.spearman_rho = stats.spearmanr(values, totals).statistic
        self.mean_total = sum(totals) / len(totals)
        q = max(1, math.floor((self.params.quotas[0] or 0.15) * len(agents) + 1e-9))
        best = sorted(agents, key=lambda a: -a.value)[:q]
        self.top_missed = sum(a.grade > 0 for a in best) / q
        self.class_intercepts = self._class_intercepts(agents, values, totals)
        self.reward_gini = _gini([a.reward for a in agents])

    def _class_intercepts(self, agents, values, totals) -> list[float]:
        """The class intercepts of the OLS fit ``total = β_class + b·value`` (class_bias is read
        from those of every replication: :func:`run`)."""
        names = [c[0] for c in self.params.classes]
        if len(names) < 2:
            return [0.0]
        design = [
            [float(a.department_class == c) for c in names] + [v]
            for a, v in zip(agents, values, strict=True)
        ]
        return list(np.linalg.lstsq(np.array(design), np.array(totals), rcond=None)[0][:-1])


def _gini(x: list[float]) -> float:
    """Gini coefficient (rewards shifted by their minimum when some are negative)."""
    low = min(x)
    xs = sorted(v - low for v in x) if low < 0 else sorted(x)
    n, total = len(xs), sum(xs)
    if total <= 0:
        return 0.0
    return sum((2 * i - n - 1) * v for i, v in enumerate(xs, start=1)) / (n * total)


def run(params: Params, reps: int, seed: int = 0) -> list[dict]:
    """``reps`` replications with ``mesa.batch_run`` (one run per seed ``seed``, ``seed + 1``, …):
    one row of :data:`METRICS` per replication, at the final period."""
    rows = mesa.batch_run(
        EvaluationModel,
        parameters={"params": [params], "seed": range(seed, seed + reps)},
        iterations=1,
        max_steps=params.periods,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    # class_bias: in each replication, the gap between the two classes of highest and lowest mean
    # intercept over all replications (perfsim's definition: the systematic gap, not the noise)
    mean = np.mean([row["class_intercepts"] for row in rows], axis=0)
    hi, lo = int(np.argmax(mean)), int(np.argmin(mean))
    for row in rows:
        row["class_bias"] = float(row["class_intercepts"][hi] - row["class_intercepts"][lo])
    return [{k: row[k] for k in METRICS} for row in rows]
