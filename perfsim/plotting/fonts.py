"""A CJK-capable font for figures whose labels are Chinese (class, task, band and rule names).

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs: ``社会评价`` would be drawn as
boxes. :func:`find_cjk_font` looks for a font that has them, in this order:

1. a font matplotlib already knows (its font cache) from a known CJK family (Noto Sans CJK,
   Source Han Sans, WenQuanYi, SimHei, Microsoft YaHei, PingFang, ...);
2. the fonts shipped by the optional ``mplfonts`` package (``pip install mplfonts``, or the
   extra ``perfsim[cjk]``);
3. system font files whose names look CJK (e.g. Debian's ``fonts-noto-cjk``), which matplotlib's
   font cache misses when the fonts were installed after the cache was built.

A candidate is kept only if it really has a glyph for ``评``. The font is added as a *fallback*
family (``font.family = [<default>, <CJK font>]``, glyph-by-glyph fallback, matplotlib ≥ 3.6):
Latin text keeps the default font. When no CJK font exists, :func:`warn_if_missing` emits one
:class:`FontWarning` per process (the command line prints it as one line, like its other
warnings), matplotlib's own per-glyph warnings are silenced, and :func:`boxed_figures` counts the
figures drawn so, for the report to say so on its page.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib import style as mpl_style

from ..i18n import has_cjk
from ..phrases import N_, Phrase

__all__ = [
    "FontWarning",
    "boxed_figures",
    "find_cjk_font",
    "font_context",
    "has_cjk",
    "use_cjk_font",
    "warn_if_missing",
]

#: Family names (or prefixes) of common CJK fonts, preferred first (Simplified Chinese first).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "STHeiti",
    "Noto Sans CJK",
    "Source Han Sans",
    "Noto Serif CJK",
    "Source Han Serif",
    "AR PL",
    "Droid Sans Fallback",
)
_FILE_HINTS = ("cjk", "wqy", "wenquanyi", "sourcehan", "simhei", "msyh", "pingfang", "droidsansfallback", "uming", "ukai")  # fmt: skip
_OTHER_WEIGHTS = ("thin", "light", "medium", "semibold", "demibold", "heavy", "black", "extra")
_PROBE = "评"

_GLYPH_WARNING = r"Glyph .* missing from (current )?font"

_warned = False
_boxed = 0  # figures with Chinese text drawn without a CJK font, in this process


class FontWarning(UserWarning):
    """Figures with Chinese labels drawn without a CJK font: the labels show as boxes."""


MISSING_MESSAGE = N_(
    "no CJK-capable font found, so labels with Chinese characters will show as boxes "
    "(未找到中文字体，图中的汉字将显示为方框). Fix: pip install mplfonts (it bundles Noto Sans "
    'CJK SC; the extra perfsim[cjk] installs the same, e.g. pip install -e ".[cjk]" in a '
    "checkout), or install a system font such as Debian's fonts-noto-cjk (apt-get install "
    "fonts-noto-cjk); then write the report again."
)


def _has_glyph(path: str) -> bool:
    try:
        from matplotlib.ft2font import FT2Font

        return FT2Font(path).get_char_index(ord(_PROBE)) != 0
    except Exception:  # unreadable or unsupported font file
        return False


def _preference(name: str) -> int:
    for k, family in enumerate(CJK_FAMILIES):
        if name.startswith(family):
            return k
    return len(CJK_FAMILIES)


def _known_cjk() -> str | None:
    entries = sorted(
        (e for e in font_manager.fontManager.ttflist if _preference(e.name) < len(CJK_FAMILIES)),
        key=lambda e: (_preference(e.name), e.weight != 400, e.style != "normal"),
    )
    for entry in entries:
        if _has_glyph(entry.fname):
            return entry.name
    return None


def _add_files(paths: Iterable[str | Path]) -> str | None:
    """Register font files with matplotlib; return the best CJK family now known (every face of
    a collection is registered, so ``Noto Sans CJK SC`` is preferred to the file's first face)."""
    found: list[str] = []
    for path in paths:
        if not _has_glyph(str(path)):
            continue
        try:
            font_manager.fontManager.addfont(str(path))
        except Exception:  # a file matplotlib cannot parse: skip it
            continue
        found.append(font_manager.FontProperties(fname=str(path)).get_name())
    return (_known_cjk() or min(found, key=_preference)) if found else None


def _mplfonts_files() -> list[Path]:
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return []
    files: list[Path] = []
    for root in spec.submodule_search_locations:
        files += sorted(Path(root).rglob("*.[ot]t[fc]"))
    return sorted(files, key=lambda p: ("sans" not in p.name.lower(), "mono" in p.name.lower()))


def _system_files() -> list[Path]:
    files = [Path(p) for p in font_manager.findSystemFonts()]
    hinted = [p for p in files if any(h in p.name.lower() for h in _FILE_HINTS)]
    plain = [p for p in hinted if not any(w in p.name.lower() for w in _OTHER_WEIGHTS)]
    return sorted(plain or hinted, key=lambda p: ("sans" not in p.name.lower(), p.name))


@functools.cache
def find_cjk_font() -> str | None:
    """Family name of a font with Chinese glyphs, registered with matplotlib; None if none."""
    return _known_cjk() or _add_files(_mplfonts_files()) or _add_files(_system_files())


def _families(cjk: str | None) -> list[str]:
    base = list(mpl.rcParams["font.family"])
    return base + [cjk] if cjk and cjk not in base else base


def warn_if_missing(texts: Iterable[str]) -> None:
    """Warn once per process when some of ``texts`` (one figure's) are CJK and no CJK font
    exists, and count the figure (:func:`boxed_figures`)."""
    global _boxed
    if find_cjk_font() is not None or not any(has_cjk(t) for t in texts):
        return
    _boxed += 1
    _warn_once()


def _warn_once() -> None:
    global _warned
    if not _warned:
        _warned = True
        # (from "perfsim", not from a line of code: the user has nothing to do with the line)
        # (a Phrase: a Chinese terminal says it in Chinese alone, perfsim.cli)
        warning = FontWarning(Phrase(MISSING_MESSAGE))
        warnings.warn_explicit(warning, FontWarning, "perfsim", 0)


def boxed_figures() -> int:
    """How many figures with Chinese text this process has drawn without a CJK font (their
    Chinese shows as boxes): a caller compares the count before and after drawing its own."""
    return _boxed


@contextlib.contextmanager
def font_context() -> Iterator[str | None]:
    """Within the block, figures draw on matplotlib's default style (a caller's
    ``plt.style.use("dark_background")`` or ``text.usetex`` does not reach perfsim's figures),
    and Chinese with the CJK fallback font (if any); without one, matplotlib's per-glyph
    "missing" warnings are silenced (:func:`warn_if_missing` says it once). Yields the CJK family
    name or None."""
    cjk = find_cjk_font()
    logger = logging.getLogger("matplotlib.font_manager")  # "findfont: Failed to find ... bold"
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with (
            mpl_style.context("default"),
            mpl.rc_context({"font.family": _families(cjk)}),
            warnings.catch_warnings(),
        ):
            if cjk is None:
                warnings.filterwarnings("ignore", message=_GLYPH_WARNING, category=UserWarning)
            yield cjk
    finally:
        logger.setLevel(level)


class _NoWeightFallback(logging.Filter):
    """Drops matplotlib's "findfont: Failed to find font weight bold for …, now using 400" (a CJK
    font shipped in one weight draws bold text in its regular weight: nothing to act on)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to find font weight" not in record.getMessage()


_NO_WEIGHT_FALLBACK = _NoWeightFallback()


def use_cjk_font() -> str | None:
    """Add the CJK fallback font to matplotlib's global settings (for notebooks, whose figures are
    drawn after the cell's code has run, outside :func:`font_context`). Returns its family name,
    or None when no CJK font is installed: then the warning says so once, and matplotlib's
    per-glyph "missing" warnings are silenced for the session."""
    cjk = find_cjk_font()
    if cjk is None:
        _warn_once()
        warnings.filterwarnings("ignore", message=_GLYPH_WARNING, category=UserWarning)
    else:
        mpl.rcParams["font.family"] = _families(cjk)
        logging.getLogger("matplotlib.font_manager").addFilter(_NO_WEIGHT_FALLBACK)  # once: a set
    return cjk
