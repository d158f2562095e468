"""The command that reproduces a run or comparison folder, checked against the scenario files as
they are now (:func:`rerun_command`)."""

from __future__ import annotations

import itertools
import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..i18n import current_language
from ..i18n import gettext as _
from ..io import final_folder
from ..scenario.bundled import bundled_name
from .runs import RunFolder

__all__ = [
    "Rerun",
    "differences",
    "format_command",
    "given_args",
    "report_command",
    "scenario_arg",
    "rerun_command",
    "toml_value",
]


def _leaves(d: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(d, Mapping) and (d or not prefix):
        out: dict[tuple[str, ...], Any] = {}
        for k, v in d.items():
            out.update(_leaves(v, (*prefix, str(k))))
        return out
    return {prefix: d}


def differences(a: Mapping, b: Mapping) -> tuple[list[tuple[tuple[str, ...], Any]], list[str]]:
    """(path, value) where ``b`` differs from ``a`` or adds a key; and paths only ``a`` has."""
    la, lb = _leaves(a), _leaves(b)
    changed = [(p, v) for p, v in lb.items() if p not in la or la[p] != v]
    removed = [".".join(p) for p in la if p not in lb]
    return changed, removed


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        short = f"{v:.12g}"
        return short if float(short) == v and ("." in short or "e" in short) else repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Sequence):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    return json.dumps(str(v), ensure_ascii=False)


def _key(k: str) -> str:
    return k if re.fullmatch(r"[^\s.\"'=,:\[\]{}]+", k) else json.dumps(k, ensure_ascii=False)


def _assignment(path: tuple[str, ...], value: Any) -> str:
    return ".".join(_key(p) for p in path) + "=" + toml_value(value)


@dataclass
class Rerun:
    """A command that reproduces a folder, and what checking it against the files found."""

    command: str
    rebuilds: bool  # the command rebuilds every recorded scenario (meta aside) from the files
    same_hash: bool  # ... and this perfsim version gives them the recorded scenario hashes
    file_changes: int  # settings where the run's scenario differs from the file as it is now
    notes: list[str]
    settings: list[str]  # those settings, as --set assignments (PATH=VALUE)


def _file_raw(source: str, world: str | None = None) -> dict | None:
    """The scenario file's table as it is now (fitted to ``world`` when the run used --world)."""
    try:
        from ..scenario import read_toml, resolve_path, resolve_scenario, scenario_raw

        path = resolve_path(source)
        if not path.is_file():
            return None
        return scenario_raw(resolve_scenario(path, world=world)) if world else read_toml(path)
    except Exception:  # unreadable (or no longer fits the world) now: the report says so
        return None


def _without_meta(d: Mapping) -> dict:
    return {k: v for k, v in d.items() if k != "meta"}


def _rebuilds(raw: Mapping, overrides: list[str], resolved: Mapping) -> bool:
    """Do the overrides, applied to a file's table, give the recorded scenario (meta aside: it
    does not change the numbers)?"""
    try:
        from ..scenario import apply_overrides

        rebuilt = apply_overrides(raw, overrides) if overrides else dict(raw)
    except Exception:  # an override no longer applies
        return False
    canon = lambda d: json.dumps(_without_meta(d), sort_keys=True, default=str)  # noqa: E731
    return canon(rebuilt) == canon(resolved)


#: up to this many assignments, :func:`_fewest` tries every subset of one or two of them first
_SUBSETS_UP_TO = 12


def _fewest(raw: Mapping, fixed: list[str], args: list[str], resolved: Mapping) -> list[str]:
    """Drop the assignments that the others imply: members of a group that sums to one are
    rescaled when another member is set, so ``survey.share=0.2`` alone gives back
    ``target.share=0.8``. One or two assignments that rebuild the scenario are looked for first,
    the shortest values first (so ``社会评价.share=0.6`` rather than the other two members at
    their rescaled 0.36000000000000004 and 0.04000000000000001, which a drop of the longest
    values first left); else long (unrounded) values are dropped first, then later ones."""
    if not _rebuilds(raw, fixed + args, resolved):
        return args
    if len(args) <= _SUBSETS_UP_TO:
        by_length = sorted(range(len(args)), key=lambda i: (len(args[i]), i))
        for size in (1, 2):
            for combo in itertools.combinations(by_length, size):
                trial = [args[i] for i in sorted(combo)]
                if len(trial) < len(args) and _rebuilds(raw, fixed + trial, resolved):
                    return trial
    order = sorted(range(len(args)), key=lambda i: (-len(args[i].split("=", 1)[1]), -i))
    keep = list(args)
    for i in order:
        trial = [a for a in keep if a != args[i]]
        if _rebuilds(raw, fixed + trial, resolved):
            keep = trial
    return keep


def _hash_of(raw: Mapping, overrides: list[str]) -> str | None:
    try:
        from ..scenario import scenario_from_dict, scenario_hash

        return scenario_hash(scenario_from_dict(raw, overrides=overrides))
    except Exception:  # does not validate any more
        return None


def scenario_arg(scenario: object) -> str:
    """A recorded scenario file as a command line gives it: a bundled one by its name (the path
    it was recorded with is where one machine keeps it, e.g. a checkout's
    /work/main/scenarios/hangzhou-2011.toml), any other as recorded."""
    if not scenario:
        return "SCENARIO.toml"
    return bundled_name(str(scenario)) or str(scenario)


def report_command(folder: object) -> str:
    """The ``perfsim report`` command that rewrites this report (in its language), naming the
    folder the user has (:func:`perfsim.io.final_folder`: not the temporary folder a report
    written with its results is built in)."""
    lang = current_language()
    shown = final_folder(folder) if isinstance(folder, str | Path) else folder
    return f"perfsim report {shlex.quote(str(shown))}" + (f" --lang {lang}" if lang != "en" else "")


def given_args(meta: Mapping) -> list[str]:
    """The ``--world`` and each ``--set`` a folder records its command gave
    (:func:`perfsim.scenario.arguments.given`), as command-line arguments."""
    args = ["--world", scenario_arg(meta["world_given"])] if meta.get("world_given") else []
    for setting in meta.get("overrides") or []:
        args += ["--set", setting]
    return args


def format_command(args: list[str]) -> str:
    """Shell-quoted, one option (with its value) per continued line."""
    lines: list[str] = []
    for arg in args:
        q = shlex.quote(arg)
        if arg.startswith("--") or not lines:
            lines.append(q)
        elif lines[-1].startswith("--") and " " not in lines[-1]:
            lines[-1] += f" {q}"
        else:
            lines[0 if len(lines) == 1 else -1] += f" {q}"
    return " \\\n    ".join(lines)


def _world_of(run: RunFolder, rule: str) -> str | None:
    """The --world a rule of the folder ran on (recorded by perfsim.simulate), if any."""
    try:
        return run.run_metadata(run.worlds[0], rule).get("world")
    except OSError:
        return None


def _shown(source: str) -> str:
    """A scenario file as a command shows it: a bundled scenario by its name (its path inside an
    installed perfsim names one Python environment), any other as recorded."""
    return (bundled_name(source) if source else None) or source


def rerun_command(run: RunFolder) -> Rerun:
    """The ``perfsim run`` or ``perfsim compare`` command that reproduces a folder, rebuilt from
    the recorded resolved scenarios: ``--set`` for each setting (outside ``meta``) where the run's
    scenario differs from the file as it is now (the run's own ``--set``, or later edits of the
    file), ``--variant`` for each variant of the reference, ``--across`` from the world names.

    The command is checked by applying it to the files: ``rebuilds`` says that it gives back
    every recorded scenario, ``same_hash`` that this perfsim version also gives the recorded
    scenario hashes (a new default in the scenario schema, or an edited ``meta``, changes them)."""
    meta, notes = run.metadata, []
    seed, reps = str(meta.get("seed", 0)), str(meta.get("reps", 100))
    sources = {}
    for rule in run.rules:
        try:
            sources[rule] = str(run.run_metadata(run.worlds[0], rule).get("scenario", ""))
        except OSError:
            sources[rule] = ""
    ref = run.reference
    resolved = run.scenarios
    world = _world_of(run, ref)
    ref_raw = _file_raw(sources[ref], world)
    if ref_raw is None:
        notes.append(
            _(
                "The scenario file {file} is not readable from here; the exact input is the "
                "resolved scenario in metadata.json."
            ).format(file=sources[ref] or _("(unknown)"))
        )
    base = ref_raw if ref_raw is not None else resolved[ref]
    sets, removed = differences(_without_meta(base), _without_meta(resolved[ref]))
    set_args = [_assignment(p, v) for p, v in sets]
    if ref_raw is not None:
        set_args = _fewest(ref_raw, [], set_args, resolved[ref])
    if removed:
        notes.append(
            _(
                "The scenario file now has settings the run did not have ({settings}); overrides "
                "cannot remove them."
            ).format(settings=", ".join(removed[:5]))
        )
    hashes = meta.get("scenario_hashes") or {ref: meta.get("scenario_hash")}
    ok = ref_raw is not None and _rebuilds(ref_raw, set_args, resolved[ref])
    same = ref_raw is not None and _hash_of(ref_raw, set_args) == hashes.get(ref)
    files, variants = [_shown(sources[ref]) or "SCENARIO.toml"], []
    for rule in run.rules[1:]:
        if sources[rule] == sources[ref]:
            extra, gone = differences(resolved[ref], resolved[rule])
            if gone:
                notes.append(
                    _("Variant {rule} removes settings ({settings}).").format(
                        rule=rule, settings=", ".join(gone[:5])
                    )
                )
            extra_args = [_assignment(p, v) for p, v in extra]
            if ref_raw is not None:
                extra_args = _fewest(ref_raw, set_args, extra_args, resolved[rule])
            variants.append(f"{rule}:" + ",".join(extra_args))
            ok = ok and _rebuilds(ref_raw, set_args + extra_args, resolved[rule])
            same = same and _hash_of(ref_raw, set_args + extra_args) == hashes.get(rule)
        else:
            files.append(_shown(sources[rule]) or f"{rule}.toml")
            raw = _file_raw(sources[rule], world)
            ok = ok and raw is not None and _rebuilds(raw, set_args, resolved[rule])
            same = same and raw is not None and _hash_of(raw, set_args) == hashes.get(rule)
    across: dict[str, list[str]] = {}
    for name in run.worlds if run.kind == "comparison" and run.worlds != ["base"] else []:
        for item in name.split(", "):
            path, _sep, value = item.partition("=")
            values = across.setdefault(path, [])
            if value not in values:
                values.append(value)
    args = ["perfsim", run.kind if run.kind == "run" else "compare", *files]
    args += ["--world", world] if world else []
    for v in variants:
        args += ["--variant", v]
    for path, values in across.items():
        args += ["--across", f"{path}={','.join(values)}"]
    for s in set_args:
        args += ["--set", s]
    args += ["--seed", seed, "--reps", reps, "--out", str(run.path)]
    return Rerun(format_command(args), bool(ok), bool(same), len(set_args), notes, set_args)
