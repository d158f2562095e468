"""Commented starter files that ``perfsim new rule FILE`` and ``perfsim new world FILE`` write.

Both are valid as written (a test validates and runs them): the rule runs on the bundled world
``hangzhou-2011`` and on the starter world, whose names match it. scenarios/README.md documents
every key they use.
"""

from __future__ import annotations

import json
from collections.abc import Callable

RULE = """\
# A rule to test, written by `perfsim new rule`. Every key is explained in scenarios/README.md
# (key reference); keep a comment on each number that says where it comes from.
#
#   perfsim validate {file}                          check the rule
#   perfsim score units.csv --rule {file}            score a real table (one row per department)
#   perfsim run {file} --world hangzhou-2011         simulate how departments respond
#   perfsim run {file} --world my-world.toml         ... on your own world (perfsim new world)
#
# A world is fitted to the rule BY NAME: each indicator below needs a measurement of the same name
# in the world ([world.indicators."<name>"]), each component that no indicator names (a survey, a
# panel) a rater group of the same name ([world.raters."<name>"]). Hangzhou's world measures
# 职能工作目标, 重点工作目标, 公共服务, 自主创新 and 目标管理要素 and has the rater groups 社会评价
# (a survey) and 领导考评 (a panel); an indicator of your own gets its measurement at the end of
# this file.

[meta]
name = "my rule"
description = "Two target indicators and a satisfaction survey."
sources = []                     # the documents the rule comes from
assumptions = ["Every number is a placeholder: replace it and say where it comes from."]

[rule.indicators."公共服务"]      # the name of a measurement in Hangzhou's world
label = "Public-service targets, % completed"
component = "目标考核"
direction = "benefit"            # benefit: higher is better; cost: lower is better
bad = 60                         # efficacy method (功效系数法): 60 % completed scores 60 ...
good = 100                       # ... and 100 % scores 100

[rule.indicators."按时办结率"]    # an indicator of your own: measured as said at the end
label = "Cases closed on time, %"
component = "目标考核"
bad = 80
good = 100

[rule.weights]                   # within 目标考核; rescaled to sum to 1
"公共服务" = 0.5
"按时办结率" = 0.5

[rule.components."目标考核"]      # computed from the indicators that name it
share = 0.6

[rule.components."社会评价"]      # no indicator names it: a score per department (a survey)
share = 0.4
full_marks = 100                 # the survey score is out of 100 points

[rule.grading]
bands = ["优秀", "合格", "不合格"]  # best first

[rule.grading.quota]
"优秀" = 0.2                      # at most 20 % of the departments

[rule.grading.thresholds]
"合格" = 70                       # a pass line

[rule.rewards."优秀"]
bonus = 1.0                      # what a grade is worth to a department (reward units)

[rule.rewards."合格"]
bonus = 0.5                      # bands not named (不合格) are worth 0

# How the simulated world measures your own indicator (used with --world; ignored by
# `perfsim score`). m = offset + scale · (Σ loading · output + gameability · gaming + noise · ε):
# one unit of output of the task 公共服务 (a task of Hangzhou's world and of the starter world)
# closes 4 % more cases on time, at most 100 %.
[world.indicators."按时办结率"]
tasks = {{ "公共服务" = 1.0 }}     # loadings on the world's tasks
offset = 88                      # % at zero output
scale = 4                        # % per unit of output
noise = 0.5                      # measurement noise (output units)
gameability = 0.5                # how far a unit of gaming inflates it (0 = cannot be gamed)
gaming_cost = 0.05
ceiling = 100
"""

WORLD = """\
# A simulated world to test rules on, written by `perfsim new world`: departments, the tasks they
# spend effort on, how each indicator measures the tasks, and who rates them. Every key is
# explained in scenarios/README.md ([world] key reference).
#
#   perfsim run my-rule.toml --world {file}
#
# A rule is fitted to this world BY NAME: each rule indicator uses the [world.indicators] entry of
# the same name, each column component (a survey, a panel) the [world.raters] entry of the same
# name; entries the rule does not use are left out. The names below match `perfsim new rule`.

[meta]
name = "my world"
description = "Service windows and back offices; three tasks, one of them unmeasured."
assumptions = ["Every number is a placeholder: replace it and say where it comes from."]

[world]
departments = 40                 # departments per replication
periods = 1                      # evaluation periods (years)
policy = "best_response"         # naive (no response) | best_response | adaptive
motivation = 0.5                 # λ: how much a department values the social value of its work
samples = 16                     # draws of the others' scores (fewer: faster, noisier)
tolerance = 0.001                # best response: when the fixed point has converged
max_iterations = 120

# Department classes (optional; a rule with rule.classes must name the same ones).
[world.classes."窗口类"]
share = 0.5                      # share of the departments
ability_sd = 0.2                 # spread of log ability
visibility = 1.0                 # how visible the work is to survey raters

[world.classes."机关类"]
share = 0.5
ability_sd = 0.2
visibility = 0.7                 # back offices: less visible to the public

# Tasks: what departments spend effort on, including valued work that nothing measures.
[world.tasks."公共服务"]
value = 1.0                      # social value of one unit of output
cost = 0.5                       # effort cost ½ · cost · e² / ability

[world.tasks."服务作风"]
value = 1.0
cost = 0.5

[world.tasks."基础工作"]          # long-term groundwork: no indicator, no rater sees it
value = 1.0
cost = 0.5

# How each indicator is measured: m = offset + scale · (Σ loading · output + gameability · gaming
# + noise · ε), at most ceiling (indicator units: here % completed).
[world.indicators."公共服务"]
tasks = {{ "公共服务" = 1.0 }}     # loadings on the tasks above
offset = 90
scale = 5
noise = 0.5
gameability = 0.5
gaming_cost = 0.05
ceiling = 100

[world.indicators."按时办结率"]
tasks = {{ "公共服务" = 0.5, "服务作风" = 0.5 }}
offset = 88
scale = 4
noise = 0.5
gameability = 0.5
gaming_cost = 0.05
ceiling = 100

# Rater groups: one per column component of the rule, of the same name.
[world.raters."社会评价"]
kind = "survey"                  # answers on 满意 / 比较满意 / 基本满意 / 不满意
sees = {{ "服务作风" = 0.5, "公共服务" = 0.5 }}
offset = 60                      # perceived quality (0-100) at zero output
scale = 8                        # quality points per unit of output seen
noise = 15                       # respondents' spread (latent points)
respondents = 100                # per department
"""

#: The starter files by kind: ``perfsim new KIND FILE``. Written in English; in another language
#: (``--lang zh``) their comments and texts are said again from the message catalogue
#: (:func:`perfsim.i18n.files.translated_file`), the keys and numbers unchanged.
TEMPLATES = {"rule": RULE, "world": WORLD}


def starter(kind: str, file: str, translate: Callable[[str], str] | None = None) -> str:
    """The text of the starter file of ``kind`` (rule or world), naming itself as ``file``, its
    comments and texts passed through ``translate`` first (None: English)."""
    text = TEMPLATES[kind]
    return (translate(text) if translate else text).format(file=file)


#: the class of a world written for a rule without classes (departments must differ: identical
#: ones contesting a quota need not settle)
_ONE_CLASS = "单位"

#: tasks of a world written for a rule: one per indicator up to this many indicators, else one per
#: component (the effort solve is exact up to 8 tasks: perfsim.world.response)
_TASK_PER_INDICATOR = 7


def _q(name: str) -> str:
    """``name`` as a TOML key or string (a JSON string is a TOML basic string)."""
    return json.dumps(name, ensure_ascii=False)


def _range(ind) -> tuple[float, float]:
    """The indicator's worst and best values as the rule scores it (placeholders without them).

    Around a target: 0.6 and 1.1 times it (1.4 and 0.9 for a cost), the best at output 2. With a
    cap on the attainment ratio the best is drawn in so that the capped value lies at output 4
    or beyond, past where departments that work for the rule stand (output 2 to 3): with the cap
    at output 2.4, a new user's rule with a 20 % quota had most departments at the cap, contesting
    the top grade by the last points they could still move, and no replication settled."""
    cost = ind.direction == "cost"
    if ind.bad is not None and ind.good is not None and ind.bad != ind.good:
        return float(ind.bad), float(ind.good)
    if ind.target is not None and ind.target > 0:
        t = float(ind.target)
        worst, best = (1.4 * t, 0.9 * t) if cost else (0.6 * t, 1.1 * t)
        if ind.cap is not None:
            capped = t / ind.cap if cost else t * ind.cap  # the value whose score is capped
            if (capped - worst) * (best - worst) > 0:  # (a cap below the worst value: no kink)
                half = (capped - worst) / 2  # the capped value at output 4
                best = worst + (half if abs(half) < abs(best - worst) else best - worst)
        return worst, best
    return (50.0, 10.0) if cost else (50.0, 90.0)


def _tasks_named(world) -> list[str]:
    """The tasks a rule file's partial ``[world]`` names (its indicators' loadings, its raters'
    ``sees``): the world written for the rule must have them."""
    found = []
    for key, field in (("indicators", "tasks"), ("raters", "sees")):
        for entry in ((world or {}).get(key) or {}).values():
            if isinstance(entry, dict) and isinstance(entry.get(field), dict):
                found += list(entry[field])
    return list(dict.fromkeys(found))


def _indicator_lines(name: str, ind, task: str) -> list[str]:
    """The ``[world.indicators."<name>"]`` table of :func:`world_for_rule`, loading on ``task``,
    with a comment on what to add or watch (a rate's ceiling; a cost indicator's fall below 0)."""
    worst, best = _range(ind)
    offset, scale = worst, 0.5 * (best - worst)
    out = [
        "",
        f"[world.indicators.{_q(name)}]",
        f"tasks = {{ {_q(task)} = 1.0 }}",
        f"{f'offset = {offset:.6g}':<33}# the value at zero output",
        f"{f'scale = {scale:.6g}':<33}# per unit of output",
        "noise = 0.5                      # measurement noise (output units)",
        "gameability = 0.5                # 0 = cannot be gamed",
        "gaming_cost = 0.5",
    ]
    if best > worst:  # higher is better: a rate cannot pass its maximum
        out.append("# ceiling = 100                # if no report can exceed 100 (a rate in %)")
    elif worst > 0:  # lower is better: nothing keeps the value at 0 or above
        out.append(
            f"# nothing keeps this at 0 or above: with these numbers it falls below 0 past "
            f"output {-offset / scale:.3g} (outputs run to about 3)"
        )
    return out


def world_for_rule(rule, rule_file: str, file: str, partial=None) -> str:
    """A starter world fitted to ``rule`` by name (``perfsim new world FILE --rule RULE``): one
    measurement per rule indicator, one survey rater group per column component, the rule's
    classes (one class without them: departments differ in ability and productivity), a task per indicator (per component beyond :data:`_TASK_PER_INDICATOR` indicators) and
    an unmeasured groundwork task. Each indicator is placed in the range the rule scores: at
    zero output it is at its worst value, at output 1 (about the baseline) half way to its best
    (``bad``/``good``, or around its ``target``), at output 2 at the best. The tasks
    that the rule file's own partial ``[world]`` names (``partial``) are added, so that its
    entries, merged in when the rule runs on this world, fit."""
    names = list(rule.indicators)
    per_indicator = len(names) <= _TASK_PER_INDICATOR
    task_of = {
        n: (n if per_indicator else (rule.component_of(n) or "综合")) + "工作" for n in names
    }
    tasks = list(dict.fromkeys([*task_of.values(), *_tasks_named(partial)]))
    groundwork = "基础工作" if "基础工作" not in tasks else "其他基础工作"
    columns = [n for n, c in rule.resolved_components().items() if c.source == "column"]
    out = [
        f"# A simulated world written by `perfsim new world` for the rule in {rule_file}: every name",
        "# below is one of the rule's, so it runs as written; every number is a placeholder to",
        "# replace (scenarios/README.md explains each key):",
        "#",
        f"#   perfsim run {rule_file} --world {file}",
        "#",
        "# Not simulated until you add [world.events] (scenarios/README.md): the rule's bonus and",
        "# deduction items and veto columns (a run names them in a warning).",
        "",
        "[meta]",
        f"name = {_q('world for ' + (rule.name or rule_file))}",
        'description = "Placeholders fitted to the rule by name: replace every number."',
        'assumptions = ["Every number is a placeholder: replace it and say where it comes from."]',
        "",
        "[world]",
        "departments = 40                 # departments per replication",
        "periods = 1                      # evaluation periods (years)",
        'policy = "best_response"         # naive (no response) | best_response | adaptive',
        "motivation = 0.5                 # λ: how much a department values the social value of its work",
        "samples = 16                     # draws of the others' scores (fewer: faster, noisier)",
        "tolerance = 0.001                # best response: when the fixed point has converged",
        "max_iterations = 200",
    ]
    if not rule.classes:
        out += ["", "# One class (the rule ranks all departments together); departments differ."]
    for cls in rule.classes or [_ONE_CLASS]:
        out += [
            "",
            f"[world.classes.{_q(cls)}]",
            "share = 1.0                      # shares are rescaled to sum to 1",
            "ability_sd = 0.2                 # spread of log ability",
            "productivity_sd = 0.1            # spread of log productivity per task",
            "visibility = 1.0                 # how visible the work is to survey raters",
        ]
    out += ["", "# Tasks: what departments spend effort on (the last is measured by nothing)."]
    for task in [*tasks, groundwork]:
        out += ["", f"[world.tasks.{_q(task)}]", "value = 1.0", "cost = 0.5"]
    out += [
        "",
        "# How each indicator is measured: m = offset + scale · (Σ loading · output + gameability ·",
        "# gaming + noise · ε), in the indicator's own units.",
    ]
    for name in names:
        out += _indicator_lines(name, rule.indicators[name], task_of[name])
    if columns:
        out += ["", "# Rater groups: one per column component of the rule (a survey, a panel)."]
    seen = tasks + [groundwork]  # each task's share of what the raters see, summing to 1: with
    # weight 1 each, a rater seeing many tasks added them all and sat at the top of its scale
    sees = "{ " + ", ".join(f"{_q(t)} = {1 / len(seen):.3g}" for t in seen) + " }"
    for name in columns:
        out += [
            "",
            f"[world.raters.{_q(name)}]",
            'kind = "survey"                  # survey | panel | self',
            f"sees = {sees}",
            "offset = 60                      # perceived quality (0-100) at zero output",
            "scale = 8                        # quality points per unit of output seen",
            "noise = 15                       # respondents' spread (latent points)",
            "respondents = 100                # per department",
        ]
    return "\n".join(out) + "\n"


def rule_for_world(world, world_label: str, file: str) -> str:
    """A starter rule fitted to ``world`` by name (``perfsim new rule FILE --world WORLD``): every
    measured indicator in one component, 目标考核 (scored by the efficacy method over four units
    of output either side of the value at zero output, at most the ceiling: past where
    departments that work for the rule stand, output 2 to 3, so that they do not contest a grade
    at the score's cap, where no best response settles), every rater group a column component of its name, a 20 % quota on 优秀 and a pass
    line. The starter rule of :data:`RULE` names Hangzhou's indicators and raters, so on another
    world (the ministry's) it failed at once."""
    names, raters = list(world.indicators), list(world.raters)
    target_share = 0.6 if raters else 1.0
    out = [
        f"# A rule written by `perfsim new rule` for the world {world_label}: its indicators and",
        "# rater groups by name, so it runs as written; every number is a placeholder to replace",
        "# (scenarios/README.md explains each key):",
        "#",
        f"#   perfsim validate {file} --world {world_label}",
        f"#   perfsim run {file} --world {world_label}",
        "",
        "[meta]",
        f"name = {_q('rule for ' + world_label)}",
        'description = "Placeholders fitted to the world by name: replace every number."',
        'assumptions = ["Every number is a placeholder: replace it and say where it comes from."]',
    ]
    for name in names:
        m = world.indicators[name]
        # four units of output either side of zero output, at most the ceiling (departments that
        # work for the rule stand at output 2 to 3: a scale narrower than this pushed them to
        # its cap, where the best response does not settle)
        worst, best = m.offset - 4 * m.scale, m.offset + 4 * m.scale
        if m.ceiling is not None:
            best = min(best, m.ceiling)
        cost = best < worst
        out += [
            "",
            f"[rule.indicators.{_q(name)}]",
            'component = "目标考核"',
            f'direction = "{"cost" if cost else "benefit"}"',
            f"{f'bad = {worst:.6g}':<33}# 4 units of output below the world's zero scores 60 ...",
            f"{f'good = {best:.6g}':<33}# ... its value at output 4 (or its ceiling) scores 100",
        ]
    if names:
        out += [
            "",
            "[rule.weights]                   # within 目标考核, relative: rescaled to sum to 1",
        ]
        out += [f"{_q(name)} = 1" for name in names]
        out += ["", '[rule.components."目标考核"]      # computed from the indicators that name it',
                f"share = {target_share:.4g}"]  # fmt: skip
    # the raters' shares to 4 decimals, the last one the remainder: they sum to 1 exactly
    # (rounded alike, three shares of 0.4 summed to 0.9999 and the file warned its reader)
    left = round((1 - target_share) if names else 1.0, 4)
    each = [round(left / len(raters), 4) for _ in raters[:-1]]
    last = [round(left - sum(each), 4)] if raters else []
    for name, share in zip(raters, [*each, *last], strict=True):
        out += [
            "",
            f"[rule.components.{_q(name)}]       # the world's rater group of this name",
            f"share = {share:g}",
            "full_marks = 100",
        ]
    out += [
        "",
        "[rule.grading]",
        'bands = ["优秀", "合格", "不合格"]  # best first',
        "",
        "[rule.grading.quota]",
        '"优秀" = 0.2                      # at most 20 % of the departments',
        "",
        "[rule.grading.thresholds]",
        '"合格" = 70                       # a pass line',
        "",
        '[rule.rewards."优秀"]',
        "bonus = 1.0                      # what a grade is worth to a department (reward units)",
        "",
        '[rule.rewards."合格"]',
        "bonus = 0.5                      # bands not named (不合格) are worth 0",
    ]
    return "\n".join(out) + "\n"
