"""The teaching cases of ``scenarios/teaching/``: simulating them and drawing the standard figures,
in English or Chinese (notebook 02 and its Chinese version share this code).

Build one :class:`Teaching` per notebook and use its methods::

    teaching = Teaching(ROOT, reps=40, lang="zh")
    teaching.three_panels("audit", "rule.audit.probability=0.3", suptitle="抽查比例 30 %")
    table = teaching.sweep("audit", "rule.audit.probability", [0, 0.2], ["gaming_share"])
    teaching.translated(table)  # the same table with Chinese headings, for showing

Every label the figures draw goes through the gettext catalogue (:mod:`perfsim.i18n`): in
English they are exactly the texts below, in Chinese the catalogue's translations (metric names
as the catalogue says them: 排名保真度（Kendall τ）, 指标操纵占投入比例 …). The keys of the
scenarios (task, class and indicator names, ``--set`` overrides, metric names in tables) stay
as they are; ``names`` gives task and class keys a display name in the figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..i18n import N_, language, metric_label, translations
from ..i18n import gettext as _
from ..plotting.display import Figure
from ..plotting.fonts import font_context
from ..simulation import SimulationResult, simulate

__all__ = ["FAIRNESS_METRICS", "Teaching"]

#: the metrics of the fairness panel (more can be added per call)
FAIRNESS_METRICS = ("kendall_tau", "gaming_share")

#: the headings of the helpers' tables and of the notebooks' (:meth:`Teaching.effort_by_group`,
#: :meth:`Teaching.sweep`, nominal against effective weights, a comparison's table): kept as keys
#: in English, said in the catalogue's words in another language
_HEADINGS = {
    "with": N_("with the incentive"),
    "without": N_("without the incentive"),
    "extra": N_("extra effort the incentive buys"),
    "setting": N_("setting"),
    "class": N_("class"),
    "metric": N_("metric"),
    "rule": N_("rule"),
    "nominal": N_("nominal share"),
    "effective": N_("effective weight"),
}


class Teaching:
    """The teaching scenarios of a repository checkout, simulated with ``reps`` replications and
    drawn with labels in ``lang`` (``"en"`` or ``"zh"``).

    ``root`` is the repository (the folder that holds ``scenarios/teaching/``); ``names`` maps
    task and class keys of the scenarios (``core``, ``paperwork``, ``all`` …) to the names the
    figures show (by default the keys themselves). Results are cached, so moving a slider back
    redraws at once."""

    def __init__(
        self,
        root: str | Path,
        *,
        reps: int = 40,
        lang: str = "en",
        names: Mapping[str, str] | None = None,
    ) -> None:
        translations(lang)  # an unknown language is a PerfsimError naming the available ones
        self.root = Path(root)
        self.folder = self.root / "scenarios" / "teaching"
        self.reps = reps
        self.lang = lang
        self.names = dict(names or {})
        self._cached = lru_cache(maxsize=256)(self._simulate)

    # --- simulating ----------------------------------------------------------------------------

    def _simulate(self, case: str, overrides: tuple[str, ...], reps: int) -> SimulationResult:
        path = self.folder / f"{case}.toml"
        return simulate(path, reps=reps, seed=0, overrides=list(overrides))

    def run(self, case: str, *overrides: str, reps: int | None = None) -> SimulationResult:
        """Simulate ``scenarios/teaching/<case>.toml`` with ``--set``-style overrides, always with
        the same seed: two settings are compared on the same simulated departments and the same
        luck (common random numbers)."""
        return self._cached(case, tuple(overrides), self.reps if reps is None else reps)

    def one_year(self, case: str, *overrides: str) -> SimulationResult:
        """One simulated year (one replication): the departments as drawn, for scatter plots."""
        return self.run(case, *overrides, reps=1)

    def sweep(self, case: str, path: str, values: Iterable, metrics: list[str], *fixed: str):
        """One row per value of ``path`` (index ``setting``): the mean of each metric."""
        rows = []
        for v in values:
            r = self.run(case, f"{path}={v}", *fixed)
            rows.append({"setting": v, **{m: r.metric(m) for m in metrics}})
        return pd.DataFrame(rows).set_index("setting")

    def effort_by_group(self, case: str, prize_off: str, *overrides: str) -> pd.DataFrame:
        """Effort per ability group (class) with the incentive, without it (``prize_off``: the
        override that removes it), and the difference (columns ``with``, ``without``, ``extra``)."""
        with_it = self.run(case, *overrides).departments.groupby("class")["effort:work"].mean()
        without = (
            self.run(case, *overrides, prize_off).departments.groupby("class")["effort:work"].mean()
        )
        return pd.DataFrame({"with": with_it, "without": without, "extra": with_it - without})

    # --- words ---------------------------------------------------------------------------------

    def label(self, name: str) -> str:
        """A metric name or a heading of these tables as the figures say it: in English the name
        itself (``kendall_tau``), in another language the catalogue's words (排名保真度（Kendall
        τ）); a task or class key by ``names``; anything else unchanged."""
        if name in self.names:
            return self.names[name]
        if self.lang == "en" or not isinstance(name, str):
            return name
        with language(self.lang):
            return _(_HEADINGS[name]) if name in _HEADINGS else metric_label(name)

    def translated(self, table: pd.DataFrame) -> pd.DataFrame:
        """The table with its column headings, axis names and index labels said by
        :meth:`label`, for showing (the numbers and the table itself are unchanged)."""
        shown = table.rename(columns=self.label, index=self.label)
        axes = {"index": table.index.name, "columns": table.columns.name}
        return shown.rename_axis(**{k: v and self.label(v) for k, v in axes.items()})

    # --- drawing -------------------------------------------------------------------------------

    def plot_effort_gaming(self, ax, result: SimulationResult, title: str | None = None) -> None:
        """Mean effort per task (blue) and gaming per indicator (red) of the departments."""
        deps = result.departments
        effort = {c.split(":", 1)[1]: deps[c].mean() for c in deps if c.startswith("effort:")}
        gaming = {c.split(":", 1)[1]: deps[c].mean() for c in deps if c.startswith("gaming:")}
        gaming = {k: v for k, v in gaming.items() if v > 1e-9} or gaming
        with language(self.lang):
            labels = [_("effort\n{task}").format(task=self.label(k)) for k in effort]
            labels += [_("gaming\n{indicator}").format(indicator=self.label(k)) for k in gaming]
            ax.bar(
                labels,
                list(effort.values()) + list(gaming.values()),
                color=["tab:blue"] * len(effort) + ["tab:red"] * len(gaming),
            )
            ax.set_ylabel(_("per department (task units)"))
            ax.set_title(_("effort and gaming") if title is None else title)

    def plot_measured_vs_true(self, ax, year: SimulationResult, title: str | None = None) -> None:
        """One dot per department of one year: total score against the true value it delivered."""
        deps = year.departments
        for cls, group in deps.groupby("class"):
            ax.scatter(group["true_value"], group["total"], s=18, label=self.label(cls))
        if deps["class"].nunique() > 1:
            ax.legend(fontsize=8)
        with language(self.lang):
            ax.set_xlabel(_("true value delivered"))
            ax.set_ylabel(_("total score"))
            ax.set_title(_("measured vs true value (one year)") if title is None else title)

    def plot_fairness(self, ax, result: SimulationResult, extra: Iterable[str] = ()) -> None:
        """Rank fidelity and gaming share (and ``extra`` metrics) with 95 % intervals; class bias
        and inflation in the title."""
        names = [*FAIRNESS_METRICS, *extra]
        table = result.metrics.set_index("metric")
        means = [table.loc[n, "mean"] for n in names]
        errors = [1.96 * table.loc[n, "se"] for n in names]
        ax.barh([self.label(n) for n in names], means, xerr=errors, color="tab:gray")
        ax.set_xlim(min(0, *means) - 0.05, 1.05)
        bias = result.metric("class_bias")  # undefined (NaN) with one class of units
        with language(self.lang):
            said = (
                _("class bias {bias:.1f} pts").format(bias=bias)
                if bias == bias
                else _("one class: no class bias")
            )
            inflation = result.metric("inflation")
            ax.set_title(
                _("{said} · inflation {inflation:.2f}").format(said=said, inflation=inflation)
            )

    def panels(
        self, case: str, *overrides: str, suptitle: str = ""
    ) -> tuple[Figure, SimulationResult]:
        """The standard figure of a case (effort and gaming, measured vs true value, fairness)
        and the simulated result, without showing the figure."""
        result, year = self.run(case, *overrides), self.one_year(case, *overrides)
        with font_context(), language(self.lang):  # texts made with the CJK font they need
            fig = Figure(figsize=(13, 3.6))
            axes = fig.subplots(1, 3)
            self.plot_effort_gaming(axes[0], result)
            self.plot_measured_vs_true(axes[1], year)
            self.plot_fairness(axes[2], result)
            said = ", ".join(overrides) or _("as written")
            fig.suptitle(suptitle or f"{case}: {said}")
            fig.tight_layout()
        return fig, result

    def three_panels(self, case: str, *overrides: str, suptitle: str = "") -> SimulationResult:
        """Show the standard figure of a case (:meth:`panels`) and return the result."""
        fig, result = self.panels(case, *overrides, suptitle=suptitle)
        show(fig)
        return result

    def controls(self, draw: Callable, **sliders):
        """Sliders and toggles that redraw ``draw(**values)`` live (needs a Jupyter front end and
        ipywidgets)."""
        import ipywidgets as widgets

        for s in sliders.values():
            s.continuous_update = False
            s.style = {"description_width": "initial"}
            s.layout = widgets.Layout(width="420px")
        return widgets.interactive(draw, **sliders)


def show(fig: Figure) -> None:
    """Show a figure in the running notebook (in a slider's output when a slider redraws it);
    nothing outside IPython."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # no IPython: a plain script
        return
    if get_ipython() is not None:
        display(fig)
