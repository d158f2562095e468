"""Reports in Chinese and reports that print: the gettext catalogue (complete, placeholders
intact, compiled at first use), ``perfsim report --lang``, a Chinese report's text (no English
sentence outside names and numbers from the folder), the compact reliability table, the
sensitivity figures' captions and heatmap, and the print CSS (on the CSS, and where Chromium and
pdftotext are installed, on the printed PDF)."""

from __future__ import annotations

import json
import re
import shutil
import string
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, run_cli

from perfsim import metric_registry, simulate
from perfsim.experiments.compare import compare, write_comparison
from perfsim.experiments.sensitivity.methods import METHODS, method
from perfsim.i18n import (
    LANGUAGES,
    language,
    metric_label,
    metric_name,
    po_path,
    translations,
)
from perfsim.i18n.catalogue import messages, untranslated
from perfsim.io import snapshot
from perfsim.report import build_report
from perfsim.report.document import _CSS as CSS  # noqa: PLC2701 (the stylesheet under test)
from perfsim.report.sections.reliability import MEASURES, reliability_table
from perfsim.report.sections.sensitivity import figure_text
from perfsim.results.names import report_files
from perfsim.scenario import PerfsimError
from perfsim.simulation import write_run

V5 = ROOT / "scenarios" / "theory" / "v5-visibility.toml"
EXAMPLES = ROOT / "results" / "examples"
REPS = 12

# Three or more English words in a row (a word: two or more letters; names with _ or : are not
# words): what a sentence, heading or caption left in English looks like.
ENGLISH = re.compile(r"(?<![\w:])[A-Za-z][a-z]+(?:[ \-–][A-Za-z][a-z]+){2,}(?![\w:])")


class TextParser(HTMLParser):
    """The visible text of a report, without code blocks (commands, TOML)."""

    def __init__(self, code: bool = False) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0
        self.lang = ""
        self.hidden = ("style", "title") if code else ("pre", "style", "title")

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang", "")
        if tag in self.hidden:
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in self.hidden:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def report_text(folder: Path, code: bool = False, lang: str = "en") -> tuple[str, list[str]]:
    parser = TextParser(code)
    parser.feed((folder / report_files(lang)[0]).read_text(encoding="utf-8"))
    return parser.lang, parser.parts


def folder_strings(folder: Path) -> set[str]:
    """Every text the folder itself holds (its JSON metadata and its tables' cells): names,
    descriptions and notes written by the user or recorded by the analysis, not by the report."""
    found: set[str] = set()

    def walk(x):
        if isinstance(x, str):
            found.add(x)
        elif isinstance(x, dict):
            for k, v in x.items():
                found.add(str(k))
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for path in folder.rglob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    for path in folder.rglob("*.csv"):
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
        found |= set(frame.columns)
        for col in frame.columns:
            found |= set(frame[col].dropna())
    found.add(str(folder))  # the subtitle names the folder
    return {s for s in found if s.strip()}


def english_left(folder: Path, lang: str = "en") -> list[str]:
    """English word runs in the report's text (the report in ``lang``) once the folder's own
    strings are taken out."""
    _lang, parts = report_text(folder, lang=lang)
    strings = sorted(folder_strings(folder), key=len, reverse=True)
    hits = []
    for part in parts:
        for s in strings:
            if len(s) > 2 and s in part:
                part = part.replace(s, " ")
        hits += ENGLISH.findall(part)
    return hits


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """A run, a comparison (with --across: robustness), and copies of the curated sensitivity
    and empirical examples."""
    base = tmp_path_factory.mktemp("i18n")
    run = write_run(simulate(V5, reps=REPS, seed=3), base / "run")
    comp = compare(
        [V5],
        variants=[
            "survey20:rule.components.survey.share=0.2",
            "survey80:rule.components.survey.share=0.8",
        ],
        across=["world.classes.back.visibility=0.3,0.8"],
        reps=REPS,
        seed=0,
    )
    cmp_dir = write_comparison(comp, base / "cmp", seed=0, reps=REPS)
    out = {"run": run, "comparison": cmp_dir}
    for kind, name in (("sensitivity", "hangzhou-sobol"), ("empirical", "hangzhou-pilot")):
        out[kind] = shutil.copytree(EXAMPLES / name, base / name)
    return out


# --- the catalogue -----------------------------------------------------------------------------


def test_every_message_of_the_code_and_the_registry_is_translated():
    assert untranslated("zh") == []
    ids = {m for m, _p in messages()}
    for m in metric_registry.METRICS.values():
        assert m.label in ids and m.description in ids, m.name
    # a message added to the code without a translation is reported
    with language("zh"):
        assert metric_label("kendall_tau") != metric_registry.label("kendall_tau")
        assert "社会评价" in metric_label("effective_weight:社会评价")
        assert metric_label("not_a_metric") == "not_a_metric"


def _fields(text: str) -> set[str]:
    return {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None}


def test_translations_keep_every_placeholder():
    from babel.messages.pofile import read_po

    with po_path("zh").open("rb") as f:
        catalog = read_po(f)
    checked = 0
    for entry in catalog:
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strs = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for text in strs:
            assert _fields(text) == _fields(ids[0]), (entry.id, text)
            checked += 1
    assert checked == len(messages())


def test_catalogue_compiles_at_first_use_without_a_mo_file():
    assert not list(po_path("zh").parent.glob("*.mo"))  # nothing built by hand, nothing stale
    translations.cache_clear()
    zh = translations("zh")
    assert zh.gettext("Reproducibility") == "可复现性"
    assert translations("en").gettext("Reproducibility") == "Reproducibility"
    with pytest.raises(PerfsimError, match="'fr'.*en, zh"):
        translations("fr")
    assert LANGUAGES == ("en", "zh")


def test_language_is_a_context():
    with language("zh"):
        assert metric_name("kendall_tau") == f"{metric_label('kendall_tau')}（kendall_tau）"
        with language("en"):
            assert metric_name("kendall_tau") == "kendall_tau"
    assert metric_label("kendall_tau") == metric_registry.label("kendall_tau")


# --- reports in Chinese ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["run", "comparison", "sensitivity", "empirical"])
def test_chinese_report_has_no_english_sentence(folders, kind):
    folder = folders[kind]
    build_report(folder, lang="en")
    lang, parts = report_text(folder)
    assert lang == "en"
    assert len(english_left(folder)) > 20  # the detector finds English where there is some
    english = snapshot(folder)
    build_report(folder, lang="zh")
    lang, parts = report_text(folder, lang="zh")
    assert lang == "zh-CN"
    assert english_left(folder, lang="zh") == []
    text = " ".join(parts)
    assert "可复现性" in text and "图" in text
    if kind in ("run", "comparison"):  # the "In short" sentences of perfsim run / compare
        assert ("简而言之：" if kind == "run" else "相比，") in text
        assert "按得分的排名与真实绩效的一致程度" in text
        # code words of the scenario (its behaviour policy, naive; a rater kind, survey) come
        # with a Chinese gloss (they came bare: "行为方式：naive")
        assert "部门不对规则作出反应（naive）" in text and "：naive" not in text
        assert "问卷测评（survey）" in text
    if kind == "empirical":  # the bootstrap strata too (they came bare: "分层：group")
        assert "按评价主体（group）" in text and "：group" not in text
    md = (folder / "report.zh.md").read_text(encoding="utf-8")
    assert "## 可复现性" in md
    # the Chinese report was written beside the English one, which is as it was, figures too
    after = snapshot(folder)
    assert {k: after[k] for k in english} == english
    assert {"report.zh.html", "report.zh.md"} <= set(after) - set(english)
    links = re.findall(r"\]\(([^)]+\.(?:png|svg))\)", md)
    assert links and all((folder / link).is_file() for link in links)
    assert any(link.startswith("figures/zh/") for link in links)  # drawn in Chinese


def test_cli_lang_option(folders, tmp_path):
    folder = shutil.copytree(folders["run"], tmp_path / "run")
    done = run_cli("report", str(folder), "--lang", "zh")
    assert done.returncode == 0, done.stderr
    assert report_text(folder, lang="zh")[0] == "zh-CN"
    assert "report.zh.html" in done.stdout
    done = run_cli("report", str(folder), "--lang", "fr")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "invalid choice: 'fr'" in done.stderr and "'zh'" in done.stderr


# --- the reliability table ---------------------------------------------------------------------


def test_reliability_table_is_one_row_per_scope_and_says_why_cells_are_empty():
    frame = pd.read_csv(EXAMPLES / "hangzhou-pilot" / "reliability.csv", encoding="utf-8-sig")
    table, notes = reliability_table(frame)
    scopes = list(dict.fromkeys(frame["scope"]))
    assert len(table.rows) == len(scopes) < len(frame) / 5
    defined = [m for m in MEASURES if frame.loc[frame.measure == m, "estimate"].notna().any()]
    assert table.header[4:] == [MEASURES[m] for m in defined]
    # each shown number is the file's estimate and interval, to 2 decimals
    for row, scope in zip(table.rows, scopes, strict=True):
        sub = frame[frame.scope == scope].set_index("measure")
        for cell, m in zip(row[4:], defined, strict=True):
            est = sub.loc[m, "estimate"]
            if np.isnan(est):
                assert cell == "–"
            else:
                lo, hi = sub.loc[m, "ci_low"], sub.loc[m, "ci_high"]
                nums = [float(x.replace("−", "-")) for x in re.findall(r"[−\d.]+", cell)]
                assert np.allclose(nums, [est, lo, hi], atol=0.0051), (scope, m, cell)
    # every reason for an empty cell is said once
    reasons = set(frame.loc[frame.estimate.isna(), "design"])
    assert len(notes) == len(reasons)
    for reason in reasons:
        assert sum(reason in n for n in notes) == 1


def test_reliability_table_drops_a_measure_undefined_everywhere():
    rows = []
    for scope in ("A", "B"):
        for m, est in (("icc1", 0.4), ("icc2", np.nan), ("alpha_interval", 0.3)):
            rows.append(
                [scope, m, est, est - 0.1, est + 0.1, 5, 3, 15, "why" if np.isnan(est) else "d"]
            )
    cols = ["scope", "measure", "estimate", "ci_low", "ci_high", "n_units", "n_raters", "n_ratings"]
    table, notes = reliability_table(pd.DataFrame(rows, columns=[*cols, "design"]))
    assert table.header[4:] == ["ICC(1)", "α (interval)"]
    assert notes == []  # no shown cell is empty


# --- sensitivity figures -----------------------------------------------------------------------


def test_every_sensitivity_figure_has_a_caption():
    stems = {"heatmap"}
    for name in METHODS:
        stems.add("morris-mu-sigma" if method(name).bars is None else f"{name}-indices")
    assert len(stems) >= 3
    for lang in LANGUAGES:
        with language(lang):
            for stem in stems:
                title, caption = figure_text(stem, {"main_index": "ST", "method": "sobol"})
                assert title != stem.replace("-", " ") and len(caption) > 40, (lang, stem)
                assert "{" not in title + caption


def test_heatmap_outlines_estimates_outside_zero_to_one():
    import types

    from matplotlib.patches import Rectangle

    from perfsim.experiments.sensitivity.figures import heatmap_figure

    for values, outside in (([[0.2, 1.12], [0.5, -0.05]], 2), ([[0.2, 1.0], [0.5, 0.0]], 0)):
        table = pd.DataFrame(values, index=["a", "b"], columns=["m1", "m2"])
        result = types.SimpleNamespace(table=lambda t=table: t, main_index="ST", method="sobol")
        fig = heatmap_figure(result)
        ax = fig.axes[0]
        boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
        assert len(boxes) == outside
        assert ("outside 0–1" in " ".join(ax.get_title().split())) == bool(outside)


# --- printing ----------------------------------------------------------------------------------


def _print_block(css: str) -> str:
    start = css.index("@media print")
    depth, i = 0, css.index("{", start)
    for j in range(i, len(css)):
        depth += {"{": 1, "}": -1}.get(css[j], 0)
        if depth == 0:
            return css[i + 1 : j]
    raise AssertionError("unclosed @media print")


def _rule(block: str, selector: str) -> str:
    found = re.search(r"(^|\})\s*" + re.escape(selector) + r"\s*\{([^}]*)\}", block, re.M)
    assert found, selector
    return found.group(2)


def test_print_css_keeps_every_column_on_the_page():
    block = _print_block(CSS)
    assert "overflow: visible" in _rule(block, ".scroll")  # no scroll box to clip a wide table
    table = _rule(block, "table")
    assert "width: 100%" in table and "table-layout: auto" in table
    assert "overflow-wrap: anywhere" in _rule(block, "th, td")  # long cells wrap, never push
    assert "display: table-header-group" in _rule(block, "thead")  # header on every page
    assert "pre-wrap" in _rule(block, "pre")
    assert "size: A4 landscape" in block


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    return found or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)


CHROMIUM, PDFTOTEXT = _tool("chromium"), _tool("pdftotext")


@pytest.mark.skipif(CHROMIUM is None or PDFTOTEXT is None, reason="needs chromium and pdftotext")
@pytest.mark.parametrize("lang", LANGUAGES)
def test_printed_comparison_keeps_every_column(folders, tmp_path, lang):
    """Print the widest table (two rules × three columns + three, per world) to PDF: every word
    lies on the page, and every verdict and every mention of the last rule is printed (the CSS of
    before this test cut off the last rule's columns: 2 of 3 verdict columns printed)."""
    folder = folders["comparison"]
    build_report(folder, lang=lang)
    pdf = tmp_path / "report.pdf"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-pdf-header-footer",
    ]
    done = subprocess.run(
        [CHROMIUM, *flags, f"--user-data-dir={tmp_path / 'p'}", f"--print-to-pdf={pdf}",
         (folder / report_files(lang)[0]).as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and pdf.exists(), done.stderr[-2000:]
    bbox = subprocess.run(
        [PDFTOTEXT, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">', bbox)
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>', bbox
    )
    assert pages and words
    width = float(pages[0][0])
    assert max(float(x1) for _x0, x1, _w in words) <= width
    printed = "".join(w for _x0, _x1, w in words)  # words of a wrapped cell join up again
    shown = "".join("".join(report_text(folder, code=True, lang=lang)[1]).split())
    verdict = "结论" if lang == "zh" else "verdict"
    assert shown.count(verdict) >= 4  # a verdict column per rule and world, and the caption
    for token in (verdict, "survey80", "survey20"):  # the last columns are not cut off
        assert printed.count(token) >= shown.count(token), token  # headers repeat per page


def test_rule_table_glosses_code_words_in_chinese_and_keeps_them_in_english():
    """Every code word of the rule language that the rule table shows is glossed in Chinese (with
    the code word after it, so the key can still be found) and left alone in English."""
    from perfsim.report.rules import rule_summary, term
    from perfsim.scenario import load_scenario

    raw = load_scenario(ROOT / "scenarios" / "hangzhou-2011.toml").model_dump(mode="json")
    with language("en"):
        english = rule_summary(raw)
    with language("zh"):
        chinese = rule_summary(raw)
        assert term("zscore") == "Z 分数标准化（zscore）"
        assert term("not-a-code-word") == "not-a-code-word"
    assert english["normalisation"].startswith(raw["rule"]["normalize"]["method"])
    codes = {"efficacy", "weighted_sum", "best_response", "naive", "global", "within_class"}
    for row in chinese.values():
        bare = re.sub(r"（[a-z_]+）", "", row)
        assert not codes & set(re.findall(r"[a-z_]+", bare)), row


def test_chinese_sentences_are_joined_without_spaces():
    from perfsim.i18n import join_sentences

    with language("zh"):
        assert join_sentences(["甲。", "乙。", ""]) == "甲。乙。"
    with language("en"):
        assert join_sentences(["A.", " B.", ""]) == "A. B."


def test_a_list_spaces_the_chinese_connective_from_a_number_or_latin_word():
    """ "社会评价 0.71和领导考评 0.61" read cramped beside the report's spaced numbers."""
    from perfsim.report.phrases import join

    with language("zh"):
        assert join(["社会评价 0.71", "领导考评 0.61"]) == "社会评价 0.71 和领导考评 0.61"
        three = join(["社会服务类", "执法监管类", "综合管理类"])
        assert three == "社会服务类、执法监管类和综合管理类"
        assert join(["甲 7 %", "乙", "survey"]) == "甲 7 %、乙和 survey"
        assert join(["甲 7.6 %", "乙 0.3 %"]) == "甲 7.6 % 和乙 0.3 %"
        assert join(["甲"]) == "甲"
    with language("en"):
        assert join(["a", "b", "c"]) == "a, b and c" and join(["a 1", "b"]) == "a 1 and b"


def test_shares_side_by_side_are_written_to_the_same_places():
    from perfsim.report.numbers import pcts

    assert pcts([0.315, 0.07, 0.00708]) == ["31.5 %", "7.0 %", "0.7 %"]
    assert pcts([0.0523, 0.0071]) == ["5.23 %", "0.71 %"]
    assert pcts([1.0, 0.5]) == ["100 %", "50 %"]
    assert pcts([0.0, 0.0]) == ["0 %", "0 %"]


def test_chinese_text_uses_full_width_punctuation_beside_chinese_characters():
    """ "每期(每年)的考评成本:规则中…;" read as English punctuation in Chinese sentences: a colon,
    semicolon, comma or bracket that touches a Chinese character is full-width in every msgstr."""
    catalogue = po_path("zh").read_text(encoding="utf-8")
    cjk = "[\u4e00-\u9fff]"
    half = re.compile(rf"{cjk}[:;,)]|[:;,(]{cjk}")
    found = [m for m in re.findall(r'^msgstr "(.*)"$', catalogue, re.M) if half.search(m)]
    assert found == []
    assert half.search("每期(每年)的成本:规则") and not half.search("每期（每年）的成本：规则")


HANGZHOU = ROOT / "scenarios" / "hangzhou-2011.toml"


def test_a_chinese_report_shows_the_scenarios_own_chinese_texts(tmp_path):
    """The flagship scenario's description, sources and assumptions were the longest English
    part of its Chinese report; its [meta.translations.zh] shows them in Chinese there, and the
    English report keeps the English ones."""
    import tomllib

    meta = tomllib.loads(HANGZHOU.read_text(encoding="utf-8"))["meta"]
    zh = meta["translations"]["zh"]
    run = write_run(
        simulate(HANGZHOU, reps=4, seed=0, overrides=['world.policy="naive"']), tmp_path / "hz"
    )
    build_report(run, lang="en")
    build_report(run, lang="zh")
    english = " ".join(report_text(run)[1])
    chinese = " ".join(report_text(run, lang="zh")[1])
    for text in (zh["description"], *zh["assumptions"]):
        assert " ".join(text.split()) in " ".join(chinese.split())
    assert meta["assumptions"][0] in english and meta["assumptions"][0] not in chinese
    assert not any(a in chinese for a in meta["assumptions"])


def test_a_translation_must_follow_the_assumptions_it_translates(tmp_path):
    from perfsim.scenario import load_scenario

    text = HANGZHOU.read_text(encoding="utf-8")
    short = text.replace('    "领导考评占 5 %', '    # "领导考评占 5 %', 1)
    path = tmp_path / "short.toml"
    path.write_text(short, encoding="utf-8")
    with pytest.raises(PerfsimError, match=r"translations\.zh\.assumptions.*one for each"):
        load_scenario(path)
    path.write_text(text.replace("[meta.translations.zh]", "[meta.translations.Chinese]"), "utf-8")
    with pytest.raises(PerfsimError, match="a language code"):
        load_scenario(path)
    # a rule run on a world lists the world's assumptions too, in every language's list
    from perfsim.scenario import resolve_scenario

    meta = resolve_scenario(HANGZHOU, [], "hangzhou-2011").meta
    assert len(meta.assumptions) == len(meta.translations["zh"].assumptions) == 27
    assert meta.translations["zh"].assumptions[-1] == meta.assumptions[-1]
