"""perfsim's figures display in Jupyter without pyplot, show what the report saves, are freed when
dropped, and draw silently without a CJK font (perfsim.plotting.display)."""

from __future__ import annotations

import ast
import gc
import io
import shutil
import warnings
import weakref
from pathlib import Path

import matplotlib as mpl
import matplotlib.figure
import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, notebook_client
from matplotlib import _pylab_helpers

from perfsim.plotting import display, fonts
from perfsim.report.figures import confusion_figure, forest_figure, load_run, save_figures
from perfsim.report.figures.write import figure_specs

PACKAGE = ROOT / "perfsim"
EXAMPLE = ROOT / "results" / "examples" / "hangzhou-reform"  # a committed comparison folder


def _png(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return mpimg.imread(io.BytesIO(data), format="png")


def _plain_figure_calls(source: str) -> list[int]:
    """Lines that build a figure Jupyter cannot show by itself: ``Figure(...)`` with ``Figure``
    imported from matplotlib.figure, ``matplotlib.figure.Figure(...)``, or pyplot figures."""
    tree = ast.parse(source)
    plain = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "matplotlib.figure"
        for alias in node.names
        if alias.name == "Figure"
    }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in plain:
            lines.append(node.lineno)
        elif isinstance(f, ast.Attribute) and (
            f.attr == "Figure" or f.attr in ("figure", "subplots", "subplot_mosaic")
        ):
            owner = ast.unparse(f.value)
            if owner in ("matplotlib.figure", "figure", "plt", "pyplot", "matplotlib.pyplot"):
                lines.append(node.lineno)
    return lines


def test_every_figure_perfsim_builds_is_a_display_figure():
    """A figure module that builds a plain matplotlib Figure would print `<Figure size ...>` in a
    notebook again (the bug of notebooks 01, 03 and 04)."""
    offenders = {
        str(p.relative_to(ROOT)): lines
        for p in sorted(PACKAGE.rglob("*.py"))
        if p != PACKAGE / "plotting" / "display.py"
        and (lines := _plain_figure_calls(p.read_text(encoding="utf-8")))
    }
    assert not offenders, f"build figures with perfsim.plotting.display.Figure: {offenders}"
    # the check finds what it looks for, and lets perfsim's own Figure pass
    bad = "from matplotlib.figure import Figure as F\nF()\nimport matplotlib.pyplot as plt\n"
    assert _plain_figure_calls(bad + "plt.subplots()\nmatplotlib.figure.Figure()\n") == [2, 4, 5]
    assert not _plain_figure_calls("from perfsim.plotting.display import Figure\nFigure()\n")


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """A copy of the committed comparison folder, its figures rewritten by save_figures."""
    folder = tmp_path_factory.mktemp("display") / "reform"
    shutil.copytree(EXAMPLE, folder)
    save_figures(folder)
    return folder


def test_ipython_shows_each_report_figure_as_the_png_the_report_saves(example):
    """IPython's display machinery (a fresh formatter: no inline backend, no pyplot) gives every
    report figure an image/png, pixel for pixel the PNG written into figures/."""
    formatters = pytest.importorskip("IPython.core.formatters")
    specs = figure_specs(load_run(example))
    assert len(specs) >= 4
    for stem, *_, build in specs:
        fig = build()
        assert isinstance(fig, display.Figure)
        data, _ = formatters.DisplayFormatter().format(fig)
        assert "image/png" in data, f"{stem}: only {sorted(data)}"
        shown = _png(data["image/png"])
        saved = mpimg.imread(example / "figures" / f"{stem}.png")
        assert shown.shape == saved.shape, stem
        assert np.array_equal(shown, saved), stem


def test_a_callers_matplotlib_style_does_not_reach_the_report_figures(example):
    """A notebook's ``plt.style.use("dark_background")`` (and ``text.usetex`` without LaTeX) gave
    the report's figures a black background (and a RuntimeError): each figure is the same pixels
    under any caller style."""
    import matplotlib as mpl
    from matplotlib import style

    specs = figure_specs(load_run(example))
    stem, *_, build = specs[0]
    plain = _png(display.png_bytes(build()))
    with style.context("dark_background"), mpl.rc_context({"text.usetex": True}):
        styled = _png(display.png_bytes(build()))
        shown = _png(build()._repr_png_())
    assert np.array_equal(styled, plain) and np.array_equal(shown, plain), stem
    assert plain[..., :3].mean() > 0.8  # (white, not black)


def test_figures_are_freed_when_dropped_and_never_reach_pyplot():
    """A long script that draws and displays many figures keeps none of them."""
    table = pd.read_csv(EXAMPLE / "comparison.csv", encoding="utf-8-sig")
    managers = _pylab_helpers.Gcf.get_num_fig_managers()
    refs = []
    for _ in range(3):  # (a forest figure takes seconds to draw)
        fig = forest_figure(table)
        fig._repr_png_()
        refs.append(weakref.ref(fig))
        del fig
    gc.collect()
    alive = sum(r() is not None for r in refs)
    assert alive == 0, f"{alive} of {len(refs)} figures still referenced"
    assert _pylab_helpers.Gcf.get_num_fig_managers() == managers


def test_drawing_chinese_labels_without_a_cjk_font_is_silent(monkeypatch):
    """Without a CJK font: one warning when the figure is built (test_report), none when it is
    shown or saved, even through another path than perfsim's (the inline backend's formatter
    calls savefig outside any perfsim context)."""
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", True)  # the once-per-process warning was given
    bands = ["优秀", "良好", "不合格"]
    cm = pd.DataFrame(np.full((3, 3), 1 / 9), index=bands, columns=bands)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = confusion_figure({"社会评价 40 %": cm})
        assert _png(fig._repr_png_()).shape[0] > 100
        fig.savefig(io.BytesIO(), format="png")
        fig.savefig(io.BytesIO(), format="svg")
    # and the glyphs really are missing from the default font: outside the figure's own drawing
    # matplotlib warns (so the silence above is the figure's doing)
    with mpl.rc_context({"font.family": ["DejaVu Sans"]}):
        plain = matplotlib.figure.Figure()
        plain.text(0.5, 0.5, "社会评价")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plain.savefig(io.BytesIO(), format="png")
    assert any("missing from" in str(w.message) for w in caught)


def test_a_notebook_shows_each_figure_once_with_or_without_the_inline_backend(tmp_path):
    """In a real kernel: a cell returning a perfsim figure shows one image before pyplot is
    imported, and still one after ``%matplotlib inline`` (IPython then uses the inline backend's
    formatter, which draws it through the figure's own draw); pyplot never holds the figure."""
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    cells = [
        "import pandas as pd\n"
        "from perfsim.report.figures import forest_figure\n"
        f"table = pd.read_csv({str(EXAMPLE / 'comparison.csv')!r}, encoding='utf-8-sig')\n"
        "forest_figure(table)",
        "%matplotlib inline\nforest_figure(table)",
        "import matplotlib.pyplot as plt\nfig = forest_figure(table)\nprint(len(plt.get_fignums()))",
    ]
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook_client(
        book, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    images = [
        sum("image/png" in out.get("data", {}) for out in cell.outputs) for cell in book.cells
    ]
    assert images == [1, 1, 0], images
    printed = "".join(out.get("text", "") for out in book.cells[2].outputs)
    assert printed.strip() == "0"


def test_an_svg_is_the_same_bytes_each_time(tmp_path):
    """No date and no random element ids: a regenerated report changes its SVGs only where the
    figures change (matplotlib writes the time and a random salt by default)."""
    from matplotlib.figure import Figure

    from perfsim.plotting.style import atomic_savefig

    def draw(path):
        fig = Figure()
        ax = fig.subplots()
        ax.plot([0, 1], [1, 0])
        ax.set_title("一二三")
        atomic_savefig(fig, path)
        return path.read_bytes()

    first, second = draw(tmp_path / "a.svg"), draw(tmp_path / "b.svg")
    assert first == second and b"<dc:date>" not in first


def test_each_verdict_has_its_own_mark_and_undecided_ones_their_own_shape():
    from perfsim.report.figures.common import VERDICT_STYLE

    marks = {(marker, face) for marker, face, _label in VERDICT_STYLE.values()}
    assert len(marks) == len(VERDICT_STYLE)
    # a reader told "不可比" (not comparable) from "描述性指标" (no better side) by a grey x alone
    assert VERDICT_STYLE["not comparable"][0] != VERDICT_STYLE[""][0]


def test_the_same_figure_drawn_twice_is_the_same_svg(tmp_path):
    """matplotlib hashes an SVG clip path's id from the Python id of an object, so two drawings
    of one figure differed in their ids (a regenerated curated example changed every SVG); the
    ids are renumbered in order, every reference still finds its element."""
    import re

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from perfsim.plotting.style import atomic_savefig

    figures = []
    for i in range(2):  # both kept alive: their objects live at different addresses
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3], [3, 1, 2], marker="o")
        ax.errorbar([1, 2], [2, 2], yerr=[0.5, 1.0], fmt="s")
        figures.append(fig)
        atomic_savefig(fig, tmp_path / f"f{i}.svg")
    first, second = ((tmp_path / f"f{i}.svg").read_text(encoding="utf-8") for i in range(2))
    assert first == second
    ids = set(re.findall(r'id="([^"]+)"', first))
    refs = set(re.findall(r'(?:url\(|href=")#([A-Za-z][\w.-]*)', first))
    assert refs and refs <= ids
    assert not re.search(r'id="[a-z]{1,2}[0-9a-f]{10}"', first)  # no hashed id left
    for fig in figures:
        plt.close(fig)


def test_a_metric_a_rule_cannot_be_compared_on_is_not_called_the_same():
    """The forest's footnote listed the reliability and cost of a rater group the other rule
    does not have (no difference: "–") under "Same value under every rule"; it now says they are
    not comparable, and keeps the metrics that are the same apart."""
    table = pd.read_csv(EXAMPLE / "comparison.csv", encoding="utf-8-sig")
    others = table["verdict"] != "reference"
    metrics = list(dict.fromkeys(table["metric"]))
    gone, same = metrics[0], metrics[1]
    for metric, value in ((gone, np.nan), (same, 0.0)):
        rows = others & (table["metric"] == metric)
        table.loc[rows, ["diff", "diff_low", "diff_high"]] = value
    fig = forest_figure(table)
    note = " ".join(fig.get_supxlabel().split())
    said = "Not comparable with the reference (a rater group or a quantity a rule does not have;"
    assert said in note, note
    part_same, part_apart = note.split(said)
    assert part_same.startswith("Same value under every rule (not drawn):")
    from perfsim.i18n import metric_name

    assert metric_name(same) in part_same and metric_name(gone) not in part_same
    assert metric_name(gone) in part_apart
