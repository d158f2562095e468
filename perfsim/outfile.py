"""A single output file (``perfsim score --out``, ``perfsim new``): whether perfsim may write it,
and the record beside it of what perfsim wrote, so that ``--force`` replaces only a file perfsim
wrote and nobody changed since (the rules of :mod:`perfsim.io`, for one file)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from .io import MANIFEST, OutputError, check_parents, digest, read_json, write_json
from .scenario.errors import error


def check_output_file(
    path: str | Path,
    *,
    force: bool = False,
    inputs: Iterable[str | Path] = (),
    suffix: str | tuple[str, ...] | None = None,
    ours: Callable[[Path], bool] | None = None,
) -> Path:
    """Raise :class:`OutputError` unless perfsim may write the single file ``path``: not a folder
    or a link, not one of the command's ``inputs`` (even with ``force``), named ``*suffix`` (one of
    them), and not an existing file unless ``force`` and, when ``ours`` is given, ``ours(path)``
    says perfsim wrote it (a file of the user's is never replaced)."""
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{target} is a folder: give --out a file name, e.g. {target}/scored.csv")
    if target.is_symlink():
        raise OutputError(f"{target} is a symbolic link; give a plain file name")
    check_parents(target)
    suffixes = (suffix,) if isinstance(suffix, str) else tuple(suffix or ())
    if suffixes and target.suffix.lower() not in suffixes:
        if set(suffixes) == {".csv", ".xlsx"}:
            csv, xlsx = (target.with_suffix(s).name for s in (".csv", ".xlsx"))
            raise OutputError(error("csv_or_xlsx", target=target, csv=csv, xlsx=xlsx))
        names = " or ".join(target.with_suffix(s).name for s in suffixes)
        raise OutputError(
            f"{target}: perfsim writes a {' or '.join(suffixes)} file here; name it {names}"
        )
    for source in inputs:
        if Path(source).exists() and target.exists() and target.samefile(source):
            raise OutputError(error("is_input", target=target))
    if target.exists() and not force:
        raise OutputError(error("file_exists", target=target))
    if target.exists() and ours is not None and not ours(target):
        raise OutputError(error("file_not_ours", target=target))
    return target


def _record_of(path: Path) -> Path:
    """Where perfsim keeps what it wrote into a single file: ``.NAME.perfsim.json`` beside it."""
    return path.with_name(f".{path.name}{MANIFEST}")


def record_file(path: str | Path, kind: str) -> None:
    """Note (beside it, :func:`_record_of`) that perfsim wrote the file ``path`` as it is now: its
    kind and SHA-256, which :func:`file_unchanged` checks before ``--force`` replaces it."""
    target = Path(path)
    write_json(_record_of(target), {"kind": kind, "sha256": digest(target)})


def file_unchanged(path: str | Path, kind: str) -> bool:
    """Whether perfsim wrote the file ``path`` (of ``kind``) and nobody changed it since: a file of
    the same name and columns made by hand, or a scored table edited after, is the user's."""
    target = Path(path)
    record = read_json(_record_of(target))
    return bool(record) and record.get("kind") == kind and record.get("sha256") == digest(target)
