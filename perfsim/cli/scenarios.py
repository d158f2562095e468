"""perfsim scenarios: list the bundled scenarios."""

from __future__ import annotations

import argparse

from ..scenario import read_toml
from ..scenario.bundled import BUNDLED_SCENARIOS
from .common import add_lang

HELP = "List the bundled scenarios (any command takes the name shown, e.g. hangzhou-2011)."
EXAMPLES = """examples:
  perfsim scenarios
  perfsim scenarios --lang zh   # 中文名称
  perfsim run hangzhou-2011 --reps 20
  perfsim run my-rule.toml --world hangzhou-2011   # a bundled scenario's world under your rule"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_lang(p, help="language of the list (default: en; zh, also cn or 中文: 中文名称)")


def handle(args: argparse.Namespace) -> int:
    from ..i18n import gettext as _
    from ..i18n import language, translated_name

    files = sorted(BUNDLED_SCENARIOS.rglob("*.toml"))
    with language(args.lang):
        if not files:
            print(_("no bundled scenarios found"))
            return 0
        for f in files:
            raw = read_toml(f)
            meta = raw.get("meta", {})
            label = translated_name(meta) or meta.get("name", "")
            if "rule" not in raw and "uncertain" in raw:
                label = _("[uncertain] inputs for perfsim sensitivity --uncertain")
            name = f.relative_to(BUNDLED_SCENARIOS).with_suffix("").as_posix()
            print(f"{name:<32}  {label}")
        print("\n" + _("(in {folder})").format(folder=BUNDLED_SCENARIOS))
    return 0
