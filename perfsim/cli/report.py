"""perfsim report: write the report of a result folder."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = (
    "Write report.html (self-contained) and report.md for a result folder; with --lang zh, "
    "report.zh.html and report.zh.md beside them (中文报告)."
)
EXAMPLES = """examples:
  perfsim report results/compare-hangzhou-2011-seed0
  perfsim report results/hangzhou-2011-seed0
  perfsim report results/empirical-hangzhou-2011-pilot-ratings
  perfsim report results/hangzhou-2011-seed0 --lang zh   # 中文报告: report.zh.html"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "run_dir", help="a folder written by perfsim run, compare, sensitivity or empirical"
    )
    from ..i18n import LANGUAGES, language_code

    p.add_argument(
        "--lang",
        type=language_code,
        choices=LANGUAGES,
        default="en",
        help="language of the report's text and of the figures drawn for it (default: en; "
        "zh: Chinese)",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")


def handle(args: argparse.Namespace) -> int:
    from ..report import build_report

    html_path, md_path = build_report(
        Path(args.run_dir), lang=args.lang
    )  # says what a folder lacks
    if not args.quiet:
        from ..i18n import gettext as _
        from ..i18n import language

        with language(args.lang):
            print(_("wrote {html} and {md}").format(html=html_path, md=md_path))
    return 0
