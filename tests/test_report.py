"""Figures and reports of run folders: HTML structure, Markdown links, escaping, the CJK font
warning, the rerun command, and (where Chromium is installed) a headless browser load."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import stat
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

from perfsim import simulate
from perfsim.experiments.compare import compare, write_comparison
from perfsim.plotting import fonts
from perfsim.report import build_report, save_figures
from perfsim.report.figures import RunFolderError, confusion_figure, load_run
from perfsim.report.html import rerun_command
from perfsim.scenario import PerfsimError, resolve_path
from perfsim.scenario.bundled import bundled_name
from perfsim.simulation import write_run

V5 = ROOT / "scenarios" / "theory" / "v5-visibility.toml"
REPS = 20


class ReportParser(HTMLParser):
    """Collects images, every URL-valued attribute, tag names, ids and the metrics tables."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self.ids: set[str] = set()
        self.metrics_tables: list[list[str]] = []  # first-column cells of each metrics table
        self._in_metrics = False
        self._row_cells = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("src", "href", "srcset", "action", "poster", "data"):
            if key in a:
                self.urls.append(a[key])
        if tag == "img":
            self.images.append(a)
        if tag == "table" and "metrics" in a.get("class", "").split():
            self._in_metrics = True
            self.metrics_tables.append([])
        if self._in_metrics and tag == "tr":
            self._row_cells = 0
        if self._in_metrics and tag in ("th", "td"):
            self._row_cells += 1
            self._cell = [] if self._row_cells == 1 else None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self.metrics_tables[-1].append("".join(self._cell).strip())
            self._cell = None
        if tag == "table":
            self._in_metrics = False


def parse(path: Path) -> tuple[ReportParser, str]:
    text = path.read_text(encoding="utf-8")
    parser = ReportParser()
    parser.feed(text)
    return parser, text


@pytest.fixture(scope="module")
def comparison_dir(tmp_path_factory) -> Path:
    comp = compare(
        [V5],
        variants=["survey20:rule.components.survey.share=0.2"],
        across=["world.classes.back.visibility=0.3,0.8"],
        reps=REPS,
        seed=0,
    )
    out = write_comparison(comp, tmp_path_factory.mktemp("cmp") / "cmp", seed=0, reps=REPS)
    build_report(out)
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = write_run(simulate(V5, reps=REPS, seed=1), tmp_path_factory.mktemp("run") / "run")
    build_report(out)
    return out


def figure_pngs(folder: Path) -> list[Path]:
    return sorted((folder / "figures").glob("*.png"))


def check_html(folder: Path, metrics: list[str]) -> tuple[ReportParser, str]:
    parser, text = parse(folder / "report.html")
    # every figure PNG is embedded byte for byte, with alt text
    embedded = []
    for img in parser.images:
        assert img["src"].startswith("data:image/png;base64,"), img["src"][:40]
        assert img.get("alt", "").strip()
        embedded.append(base64.b64decode(img["src"].split(",", 1)[1]))
    pngs = figure_pngs(folder)
    assert pngs
    assert sorted(embedded) == sorted(p.read_bytes() for p in pngs)
    # self-contained: no external resource, no script, no stylesheet link
    for url in parser.urls:
        assert url.startswith(("data:", "#")), url
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert "script" not in parser.tags and "link" not in parser.tags
    # the metrics table lists every metric
    assert parser.metrics_tables
    assert set(metrics) <= set(parser.metrics_tables[0])
    assert "assumptions" in parser.ids and "reproducibility" in parser.ids
    return parser, text


def test_comparison_report_is_self_contained_and_complete(comparison_dir):
    table = pd.read_csv(comparison_dir / "comparison.csv", encoding="utf-8-sig")
    parser, text = check_html(comparison_dir, list(dict.fromkeys(table["metric"])))
    assert len(parser.metrics_tables) == 2  # one per world
    for word in ("better", "no detectable difference", "reference"):
        assert word in text
    assert "robustness" in parser.ids
    stems = {p.stem for p in figure_pngs(comparison_dir)}
    assert stems == {
        "forest",
        "confusion",
        "effort_gaming",
        "score_vs_value",
        "weights",
        "robustness",
    }
    # the results first, what they rest on after (the verdicts were two screens down)
    assert text.index('id="results"') < text.index('id="scenario"') < text.index('id="assumptions"')
    # each metric's unit stands beside its name (an evaluation cost was a bare 15,448)
    assert '<th scope="row">kendall_tau</th><td>Kendall τ-b, −1 to 1</td>' in text
    # the rule table highlights what differs from the reference (the survey share)
    assert re.search(r'<td class="differs">20 %</td>', text)
    assert "perfsim compare" in text and "--variant survey20:" in text


def test_single_run_report(run_dir):
    from perfsim.report.summary import repeated_totals

    table = pd.read_csv(run_dir / "metrics.csv")
    once = repeated_totals(table)  # (a one-year run: the cost over all years is the yearly one)
    assert once == {"evaluation_cost_total"}
    metrics = [m for m in table["metric"].tolist() if m not in once]
    parser, text = check_html(run_dir, metrics)
    assert "evaluation_cost_total" not in parser.metrics_tables[0]
    assert {p.stem for p in figure_pngs(run_dir)} == {
        "confusion",
        "effort_gaming",
        "score_vs_value",
        "weights",
    }
    assert "V5 survey visibility bias" in text
    assert "perfsim run" in text


@pytest.mark.parametrize("which", ["comparison_dir", "run_dir"])
def test_markdown_links_every_figure(which, request):
    folder = request.getfixturevalue(which)
    md = (folder / "report.md").read_text(encoding="utf-8")
    for png in figure_pngs(folder):
        assert f"](figures/{png.name})" in md
        assert (folder / "figures" / f"{png.stem}.svg").is_file()
    assert "## Assumptions" in md and "## Reproducibility" in md


def test_saved_figures_decode(run_dir):
    paths = save_figures(run_dir)
    assert {p.suffix for p in paths} == {".png", ".svg"}
    for p in paths:
        if p.suffix == ".png":
            image = mpimg.imread(p)
            assert image.shape[0] > 100 and image.shape[1] > 100
        else:
            assert p.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert not list((run_dir / "figures").glob(".*tmp*"))  # no temporary file left


def test_rerun_command_rebuilds_the_recorded_scenarios(comparison_dir, run_dir):
    for folder in (comparison_dir, run_dir):
        rerun = rerun_command(load_run(folder))
        assert rerun.rebuilds and rerun.same_hash, rerun
        assert rerun.file_changes == 0
    cmd = rerun_command(load_run(comparison_dir)).command
    # the rescaled partner (target.share=0.8) is implied, so the variant reads as it was given
    assert "--variant survey20:rule.components.survey.share=0.2 \\\n" in cmd
    assert "--across world.classes.back.visibility=0.3,0.8" in cmd
    assert "--seed 0" in cmd and f"--reps {REPS}" in cmd
    # (the last world's name once came out as a --world the comparison never had)
    assert "--world" not in cmd


def test_a_three_way_share_variant_reruns_as_it_was_given(tmp_path):
    """Hangzhou's three components: 社会评价 set to 0.6 rescales the other two to
    0.36000000000000004 and 0.04000000000000001; the command gives the variant back as typed
    (dropping the longest values first kept those two and dropped the 0.6)."""
    hangzhou = ROOT / "scenarios" / "hangzhou-2011.toml"
    comp = compare(
        [hangzhou],
        variants=["social60:rule.components.社会评价.share=0.6"],
        reps=2,
        seed=0,
        overrides=['world.policy="naive"'],
    )
    out = write_comparison(comp, tmp_path / "cmp", seed=0, reps=2)
    rerun = rerun_command(load_run(out))
    assert rerun.rebuilds, rerun
    assert "--variant 'social60:rule.components.社会评价.share=0.6' \\\n" in rerun.command
    assert "0000000" not in rerun.command


def test_the_rerun_command_names_a_bundled_scenario_by_its_name(run_dir):
    """V5 was run from its absolute path among the bundled scenarios (inside an installed
    perfsim, a path into one Python environment): the command names it as any perfsim finds it."""
    cmd = rerun_command(load_run(run_dir)).command
    assert cmd.startswith("perfsim run theory/v5-visibility ") and str(ROOT) not in cmd
    assert bundled_name(V5) == "theory/v5-visibility"
    assert resolve_path(bundled_name(V5)) == V5.resolve()
    assert bundled_name("scenarios/theory/v5-visibility.toml") is None  # as the user typed it
    assert bundled_name(ROOT / "README.md") is None


def test_the_report_shows_the_simulated_world(run_dir):
    """V5's classes differ in visibility to the survey (1.0 and 0.3): the report says so beside
    the class gap it causes, from the run's own scenario."""
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    start = md.index("## Simulated world")
    world = md[start : md.index("\n## ", start)]  # to the next section
    assert "100 departments over 1 year(s); behaviour: naive" in world
    rows = {
        line.split("|")[1].strip(): line for line in world.splitlines() if line.startswith("| ")
    }
    assert rows["front"].rstrip(" |").endswith("| 1") and rows["back"].rstrip(" |").endswith(
        "| 0.3"
    )
    assert "| survey | survey | 200 |" in world  # the rater group, its kind and respondents


def test_assumptions_say_which_settings_the_run_changed(run_dir, tmp_path):
    """The scenario's texts are the file's: a run with --set says what it changed beside them."""
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "This run changed" not in html
    changed = simulate(V5, reps=2, seed=1, overrides=["world.max_iterations=10"])
    out = write_run(changed, tmp_path / "changed")
    build_report(out)
    html = (out / "report.html").read_text(encoding="utf-8")
    assumptions = html[html.index('id="assumptions"') : html.index('id="reproducibility"')]
    assert "This run changed 1 setting(s) of the scenario file: world.max_iterations=10." in (
        " ".join(assumptions.split())
    )


def test_not_a_run_folder_is_a_user_error(tmp_path, run_dir):
    with pytest.raises(PerfsimError, match="not a perfsim run folder"):
        build_report(tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    (broken / "metrics.csv").unlink()
    with pytest.raises(RunFolderError, match="incomplete"):
        build_report(broken)


def test_text_from_the_folder_is_escaped(run_dir, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(run_dir, folder)
    meta_file = folder / "metadata.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta["resolved_scenario"]["meta"]["description"] = '<script>alert("x")</script> & co'
    meta["resolved_scenario"]["meta"]["assumptions"] = ["<b>bold</b> claim", "<b>bold</b> claim"]
    meta_file.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    html_path, md_path = build_report(folder)
    parser, text = parse(html_path)
    assert "script" not in parser.tags and "b" not in parser.tags
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in text
    assert text.count("&lt;b&gt;bold&lt;/b&gt; claim") == 1  # deduplicated
    assert "<script>" not in md_path.read_text(encoding="utf-8")


def test_missing_cjk_font_warns_once(monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", False)
    bands = ["优秀", "良好"]
    cm = pd.DataFrame([[0.4, 0.1], [0.1, 0.4]], index=bands, columns=bands)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figs = [confusion_figure({"规则": cm}), confusion_figure({"rule": cm})]
        with fonts.font_context():
            for fig in figs:
                fig.savefig(os.devnull, format="png")
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1, messages
    assert "pip install mplfonts" in messages[0] and "fonts-noto-cjk" in messages[0]
    assert "汉字" in messages[0]  # said in Chinese too: the reader of a Chinese figure
    where = [w for w in caught if issubclass(w.category, UserWarning)][0]
    assert (where.filename, where.lineno) == ("perfsim", 0)  # no line of perfsim's code shown


def test_a_report_drawn_without_a_cjk_font_says_so_on_its_page(
    run_dir, tmp_path, monkeypatch, capsys
):
    """The terminal's warning reaches whoever wrote the report; the reader it is sent to sees the
    boxes, so the page itself says what happened and how to mend it (in its language), and the
    command line prints the warning as one line, like its others."""
    from perfsim.cli import main

    folder = tmp_path / "运行 1"  # (the command it gives quotes the folder)
    shutil.copytree(run_dir, folder)
    for name in ("report.html", "report.md"):
        assert "fonts-noto-cjk" not in (folder / name).read_text(encoding="utf-8")
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", False)
    assert main(["report", str(folder), "--lang", "zh"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("perfsim report：警告：未找到中文字体"), err
    assert "no CJK" not in err[0] and "UserWarning" not in err[0]
    html_path, md_path = folder / "report.zh.html", folder / "report.zh.md"
    command = f"perfsim report '{folder}' --lang zh"
    parser, text = parse(html_path)
    notice = re.search(r'<p class="summary">([^<]*汉字显示为方框[^<]*)</p>', text)
    assert notice and html.unescape(notice.group(1)).endswith(command)
    assert text.index(notice.group(0)) < text.index('<h2 id="figures"')  # before what it explains
    assert "> 本报告图中的汉字显示为方框" in md_path.read_text(encoding="utf-8")
    # the English report's figures hold the Chinese band names (优秀, 良好): said in English
    html_en, _ = build_report(folder)
    assert "show as boxes: no font with Chinese characters was found when they were drawn. " in (
        html.unescape(html_en.read_text(encoding="utf-8"))
    )
    assert f"write the report again: perfsim report '{folder}'</p>" in html.unescape(
        html_en.read_text(encoding="utf-8")
    )
    # with a CJK font the same Chinese report says nothing either
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: "Noto Sans CJK SC")
    build_report(folder, lang="zh")
    assert "方框" not in html_path.read_text(encoding="utf-8")


def test_a_notebook_without_a_cjk_font_is_told_once_and_then_drawn_quietly(monkeypatch):
    # figures in a notebook are drawn after the cell has run, outside font_context
    import matplotlib.pyplot as plt

    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert fonts.use_cjk_font() is None
        import perfsim

        assert perfsim.use_cjk_font is fonts.use_cjk_font  # (the name the README gives)
        fig, ax = plt.subplots()
        ax.set_title("社会评价 优秀")
        fig.savefig(os.devnull, format="png")
        plt.close(fig)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "pip install mplfonts" in messages[0], messages


def test_a_cjk_font_in_one_weight_draws_bold_without_a_message(monkeypatch, caplog):
    import logging

    import matplotlib as mpl

    monkeypatch.setattr(fonts, "find_cjk_font", lambda: "Noto Sans CJK SC")
    logger = logging.getLogger("matplotlib.font_manager")
    monkeypatch.setattr(logger, "filters", list(logger.filters))  # restored after the test
    monkeypatch.setitem(mpl.rcParams, "font.family", list(mpl.rcParams["font.family"]))
    fonts.use_cjk_font()
    with caplog.at_level(logging.INFO, logger="matplotlib.font_manager"):
        logger.warning("findfont: Failed to find font weight bold for X, now using 400.")
        logger.warning("findfont: Font family 'Nonesuch' not found.")
    assert [r.getMessage() for r in caplog.records] == [
        "findfont: Font family 'Nonesuch' not found."  # other font messages still show
    ]


def test_no_warning_without_chinese_text(monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", False)
    cm = pd.DataFrame([[0.5, 0.0], [0.0, 0.5]], index=["A", "B"], columns=["A", "B"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        confusion_figure({"rule": cm})


def test_has_cjk():
    assert fonts.has_cjk("社会评价") and fonts.has_cjk("rule 优秀")
    assert not fonts.has_cjk("kendall_tau ± 0.1 — α")


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


CHROMIUM = _chromium()


def _run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ]
    return subprocess.run(
        [CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=90, check=False
    )


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_report_loads_in_headless_chromium(comparison_dir, tmp_path):
    html_path = comparison_dir / "report.html"
    n_figures = len(figure_pngs(comparison_dir))
    shot = tmp_path / "shot.png"
    done = _run_chromium(
        ["--window-size=1200,3000", f"--screenshot={shot}", html_path.as_uri()], tmp_path / "p1"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert mpimg.imread(shot).shape[:2] == (3000, 1200)

    # A test copy with a tiny inline script that records, after load, how many images decoded.
    probe = tmp_path / "probe.html"
    script = (
        "<script>window.addEventListener('load', () => {"
        "const imgs = [...document.images];"
        "document.body.dataset.images = imgs.length;"
        "document.body.dataset.decoded = imgs.filter(i => i.complete && i.naturalWidth > 0).length;"
        "});</script>"
    )
    probe.write_text(
        html_path.read_text(encoding="utf-8").replace("</body>", script + "</body>"),
        encoding="utf-8",
    )
    done = _run_chromium(
        ["--virtual-time-budget=5000", "--dump-dom", probe.as_uri()], tmp_path / "p2"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert dom.count("<img ") == n_figures
    assert f'data-images="{n_figures}"' in dom
    assert f'data-decoded="{n_figures}"' in dom


def test_reports_and_figures_get_the_usual_permissions(tmp_path):
    """Written atomically, but not private: the mode follows the umask, as a plain write would."""
    from perfsim.io import atomic_write

    umask = os.umask(0)
    os.umask(umask)
    target = atomic_write(tmp_path / "r.md", lambda tmp: tmp.write_text("x", "utf-8"))
    assert target.read_text("utf-8") == "x"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]  # no temporary file left


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("名额内低于门槛的单位比例（quota_below_threshold）", 16),
        ("quota_below_threshold", 10),
        ("share of units below the band floor", 16),
        ("各部门把投入用于操纵指标，而非实际工作。", 8),
        ("评价主体 社会评价 的成本（rater_cost:社会评价）", 12),
    ],
)
def test_figure_titles_wrap_between_words_and_chinese_characters_only(text, width):
    """A comparison panel was titled "quota_below_thres / hold": textwrap cut the code word.
    Lines now break at spaces or between Chinese characters, never inside a Latin word, never
    before a closing mark or after an opening bracket; no character is lost."""
    from perfsim.report.figures.common import wrap

    lines = wrap(text, width).split("\n")
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for word in re.findall(r"[A-Za-z_]{2,}", text):  # each Latin word whole on one line
        assert any(word in line for line in lines), (word, lines)
    assert not any(line[:1] in "）》」，。、：；" or line[-1:] in "（《「" for line in lines)
    if re.search(r"[\u4e00-\u9fff]", text) and len(text) > 2 * width:
        assert len(lines) > 1  # Chinese without spaces still wraps


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_comparison_shows_the_grade_distribution_and_says_when_a_band_empties(lang):
    """A variant that moves most units from 良好 to 合格 (a higher survey share lowered the totals
    below a fixed 良好 line): the table gives each rule's shares and a sentence says which bands
    moved by 10 points, or by 3 points and a quarter of the band; a variant that moves nothing that far is not named."""
    from types import SimpleNamespace

    from perfsim.i18n import language
    from perfsim.report.document import Document, render_markdown
    from perfsim.report.sections.comparison import grade_distribution, grade_sentences

    def confusion(shares):  # true band × grade; only the column sums matter here
        bands = ["优秀", "良好", "合格"]
        return pd.DataFrame([[s / 3] * 3 for s in shares], index=bands, columns=bands).T

    run = SimpleNamespace(
        rules=["2011", "社评60", "优秀20", "优秀16"],
        reference="2011",
        worlds=["base"],
        confusion={
            "2011": confusion([0.15, 0.37, 0.48]),
            "社评60": confusion([0.15, 0.05, 0.80]),
            "优秀20": confusion([0.21, 0.34, 0.45]),  # 6 points, over a quarter of the band
            "优秀16": confusion([0.16, 0.36, 0.48]),  # 1 point: not said
        },
    )
    with language(lang):
        doc = Document(title="t")
        grade_distribution(doc, run)
        text = render_markdown(doc) + "\n".join(grade_sentences(run.rules, run.confusion))
    if lang == "en":
        assert "under 社评60, 良好 37 % → 5 %, 合格 48 % → 80 %" in text
        assert "under 优秀20, 优秀 15 % → 21 %" in text  # (良好 37 → 34: 3 points, not said)
        assert "Departments respond to where the grade lines fall" in text  # (what to do)
        assert "| 社评60 | 15 % | 5 % | 80 % |" in text
    else:
        assert "在 社评60 下，良好 由 37 % 变为 5 %" in text
        assert "在 优秀20 下，优秀 由 15 % 变为 21 %" in text
    assert "优秀16 下" not in text and "under 优秀16" not in text and "良好 37 % → 34 %" not in text
    assert "hardly tell" not in text and "几乎无法区分" not in text  # no band holds ≥ 90 %
    # a rule that moves no band that far: no sentence, and no advice on score lines
    calm = SimpleNamespace(**{**vars(run), "rules": ["2011", "优秀16"]})
    with language(lang):
        assert grade_sentences(calm.rules, calm.confusion) == []
        # the advice on weights under fixed score lines only when a reweighted rule moved them
        quota = grade_sentences(["2011", "优秀20"], run.confusion, weighted=set())
        weights = grade_sentences(run.rules, run.confusion, weighted={"社评60"})
    assert len(quota) == 1 and len(weights) == 2


def test_the_rules_that_change_weights_are_told_apart_from_those_that_change_grades():
    from perfsim.report.sections.comparison import reweighted

    def raw(share, quota, weights=None):
        rule = {"components": {"社会评价": {"share": share}, "目标考核": {"share": 1 - share}}}
        rule["grading"] = {"quota": {"优秀": quota}}
        rule["weights"] = weights or {"method": "equal"}
        return {"rule": rule}

    scenarios = {
        "2011": raw(0.5, 0.15),
        "社评60": raw(0.6, 0.15),
        "名额10": raw(0.5, 0.10),
        "权重": raw(0.5, 0.15, {"method": "fixed", "values": {"a": 2.0}}),
    }
    assert reweighted(list(scenarios), scenarios) == {"社评60", "权重"}


@pytest.mark.parametrize("top", [0.89, 0.9, 0.99])
def test_a_rule_that_puts_nearly_every_unit_in_one_band_is_said_to_grade_nothing(top):
    from types import SimpleNamespace

    from perfsim.report.document import Document, render_markdown
    from perfsim.report.sections.comparison import grade_distribution, grade_sentences

    bands = ["优秀", "良好", "合格"]
    rest = (1 - top) / 2
    run = SimpleNamespace(
        rules=["2011", "无名额"],
        reference="2011",
        worlds=["base"],
        confusion={
            "2011": pd.DataFrame([[0.15, 0.37, 0.48]], columns=bands),
            "无名额": pd.DataFrame([[top, rest, rest]], columns=bands),
        },
    )
    doc = Document(title="t")
    grade_distribution(doc, run)
    text = render_markdown(doc) + "\n".join(grade_sentences(run.rules, run.confusion))
    assert ("Under 无名额" in text and "graded 优秀: the grades hardly tell" in text) == (
        top >= 0.9
    )
    assert "Under 2011" not in text


def test_a_chinese_report_names_a_scenario_by_its_chinese_name(tmp_path):
    """meta.translations.zh.name stands for the scenario's rule in a Chinese report (its title,
    verdicts, tables, hashes); the English report and the folder keep meta.name; a variant keeps
    the name the user gave it."""
    goodhart = ROOT / "scenarios" / "teaching" / "goodhart.toml"
    comp = compare(
        [goodhart], variants=["上报数据08:rule.weights.上报数据=0.8"],
        overrides=['world.policy="naive"'], reps=4,
    )  # fmt: skip
    out = write_comparison(comp, tmp_path / "cmp", seed=0, reps=4)
    english, chinese = comp.rules[0], "古德哈特／坎贝尔定律：可操纵指标的权重"
    zh_md = build_report(out, lang="zh")[1].read_text(encoding="utf-8")
    en_md = build_report(out)[1].read_text(encoding="utf-8")
    assert zh_md.splitlines()[0] == f"# perfsim 规则比较：{chinese} 对比 上报数据08"
    assert english not in zh_md and zh_md.count(chinese) >= 4
    assert english in en_md and chinese not in en_md
    assert english in pd.read_csv(out / "comparison.csv")["rule"].tolist()


def test_a_comparison_of_many_rules_keeps_each_rules_numbers_in_one_cell(tmp_path):
    """With three or more rules beside the reference, each rule's mean ± se, difference and
    verdict share one cell, a line each (the table keeps to a page's width; with a column each,
    five variants made 19 columns that ran off the page), and a number is never broken inside."""
    variants = [f"s{k}:rule.components.survey.share=0.{k}" for k in (2, 3, 4)]
    comp = compare([V5], variants=variants, reps=4, seed=0)
    out = write_comparison(comp, tmp_path / "cmp", seed=0, reps=4)
    build_report(out)
    text = (out / "report.html").read_text(encoding="utf-8")
    table = text[
        text.index('<table class="metrics') : text.index(
            "</table>", text.index('<table class="metrics')
        )
    ]
    head = re.findall(r'<th scope="col">(.*?)</th>', table)
    assert len(head) == 4 + 3 and head[4].startswith("s2: mean ± se; difference")
    row = table[table.index("class_bias") :].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    t = comp.table[(comp.table.metric == "class_bias")].set_index("rule")
    for rule, cell in zip(comp.rules[1:], cells[3:], strict=True):
        mean, diff, said = cell.split("<br>")
        shown, se = (float(x.replace("−", "-")) for x in mean.split(" ± "))
        assert abs(shown - t.loc[rule, "mean"]) <= se / 2 and se == pytest.approx(
            t.loc[rule, "se"], rel=0.05
        )
        low = float(diff.split("[")[1].split(",")[0].replace("−", "-"))
        assert low == pytest.approx(t.loc[rule, "diff_low"], rel=0.01, abs=1e-4)
        assert said == t.loc[rule, "verdict"]
    assert "table.wide td.num { overflow-wrap: normal; }" in text


def test_the_world_table_shows_a_self_evaluations_inflation(tmp_path):
    """The ministry's self-evaluation inflates by 8 points: the report's assumptions said so while
    its rater table showed a leniency of 0."""
    import perfsim

    out = tmp_path / "m"
    sc = perfsim.load_scenario("mlr-2011", ['world.policy="naive"'])
    from perfsim.simulation import write_run

    write_run(perfsim.simulate(sc, reps=2, seed=0), out)
    perfsim.build_report(out)
    text = (out / "report.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| 本单位自评 | self"))
    assert "| 8 (0 + 8 self-inflation) |" in row, row
    other = next(line for line in text.splitlines() if line.startswith("| 上级评价 |"))
    assert "self-inflation" not in other


def test_the_effort_and_gaming_figure_shows_every_rules_indicators():
    """A rule on a fitted world may add an indicator of its own (按时办结率): the figure took
    the indicators of the first rule only, so that rule's gaming, all of it on its own
    indicator, was not drawn (its panels read as no gaming) while the summary said the
    opposite."""
    from perfsim.report.figures.run import effort_gaming_figure

    def frame(gaming: dict) -> pd.DataFrame:
        cols = {"effort:a": [1.0, 1.2], **{f"gaming:{k}": v for k, v in gaming.items()}}
        return pd.DataFrame({"class": ["甲", "乙"], **cols})

    fig = effort_gaming_figure(
        {"杭州": frame({"公共服务": [0.1, 0.0]}), "我的": frame({"按时办结率": [0.86, 0.5]})}
    )
    axes = fig.axes
    gaming = [ax for ax in axes if ax.get_xlabel() == "gameable indicator"]
    assert gaming, [ax.get_xlabel() for ax in axes]
    for ax in gaming:
        assert [t.get_text() for t in ax.get_xticklabels()] == ["公共服务", "按时办结率"]
    heights = sorted(
        round(b.get_height(), 2) for b in gaming[0].patches if np.isfinite(b.get_height())
    )
    assert 0.86 in heights and 0.1 in heights


def test_the_confusion_titles_set_the_share_graded_as_deserved_beside_chance():
    """A rule putting 80 % of units in one grade showed "84 % graded as deserved" against
    Hangzhou's 64 %, better for that alone: the title now gives what grades drawn at random with
    the same band sizes would get right (Σ p², derived here from the band sizes alone)."""
    from perfsim.report.figures.run import confusion_figure

    def confusion(sizes, right):
        sizes = np.asarray(sizes, float)
        cm = np.outer(sizes, sizes)  # grades at random with these band sizes ...
        cm = (1 - right) * cm + right * np.diag(sizes)  # ... mixed with grades as deserved
        return pd.DataFrame(cm, index=["甲", "乙", "丙"], columns=["甲", "乙", "丙"])

    crowded, spread = confusion([0.1, 0.8, 0.1], 0.5), confusion([0.3, 0.4, 0.3], 0.5)
    fig = confusion_figure({"crowded": crowded, "spread": spread})
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    chance = {"crowded": 0.01 + 0.64 + 0.01, "spread": 0.09 + 0.16 + 0.09}
    for title, (name, cm) in zip(
        titles, {"crowded": crowded, "spread": spread}.items(), strict=True
    ):
        share = np.trace(cm.to_numpy())
        said = f"{100 * share:.0f} % graded as deserved (by chance: {100 * chance[name]:.0f} %)"
        assert title == f"{name}\n{said}", title


def test_a_comparison_folder_without_its_table_of_scenarios_still_reports(tmp_path):
    """A comparison folder whose metadata lacks ``resolved_scenarios`` (an older perfsim's) takes
    each rule's scenario from its own run's metadata: the weights figure and the rules'
    differences are drawn as from a folder of today's perfsim (a KeyError before)."""
    folder = tmp_path / "cmp"
    shutil.copytree(ROOT / "results" / "examples" / "hangzhou-reform", folder)
    for name in ("report.html", "report.md"):
        (folder / name).unlink()
    shutil.rmtree(folder / "figures")
    meta_file = folder / "metadata.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    rules = list(meta.pop("resolved_scenarios"))
    meta_file.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    loaded = load_run(folder)
    assert len(loaded.scenarios) == len(rules) and all(loaded.scenarios.values())
    html_path, _ = build_report(folder)
    assert (folder / "figures" / "weights.png").exists()
    text = html_path.read_text(encoding="utf-8")
    assert "differs from the reference in" in text  # the rules' settings compared


def test_an_older_comparison_across_worlds_without_its_scenarios_is_refused(
    comparison_dir, tmp_path
):
    """Across several worlds a run's scenario holds its world's --across value: taken as the
    rule's own it made a report with the first world's value as the rule's (a "changed setting",
    a --set in the rerun command). Such a folder is refused, saying why."""
    folder = tmp_path / "cmp"
    shutil.copytree(comparison_dir, folder)
    meta_file = folder / "metadata.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    del meta["resolved_scenarios"]
    meta_file.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(RunFolderError, match="across several worlds written by an older perfsim"):
        build_report(folder)


@pytest.mark.parametrize(
    ("example", "name"),
    [
        (None, "confusion.csv"),
        (None, "departments.csv"),
        ("hangzhou-sobol", "indices.csv"),
        ("hangzhou-optimize", "recommended.csv"),
    ],
)
def test_a_damaged_table_is_named_not_a_traceback(run_dir, tmp_path, capsys, example, name):
    """A table of a result folder replaced by another (two columns the report does not read):
    ``perfsim report`` exits 2 naming the file and what it lacks (a traceback before: a
    ValueError or KeyError half-way through the figures), in Chinese under ``--lang zh``."""
    from perfsim.cli import main

    folder = tmp_path / "folder"
    shutil.copytree(run_dir if example is None else ROOT / "results" / "examples" / example, folder)
    (folder / name).write_text("a,b\nx,y\n", encoding="utf-8")
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"{folder / name}: damaged (" in err and "Traceback" not in err
    assert main(["report", str(folder), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert f"{folder / name}：已损坏（" in err and ("缺少列" in err or "不是数字" in err)
    said = err.split("：已损坏（", 1)[1]
    assert not re.search(r"\b(damaged|column|again|run)\b", said), said
