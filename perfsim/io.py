"""Safe output: a result appears whole under its name or not at all, and no user file is ever lost.

Rules every writer in perfsim follows (``atomic_dir`` and ``atomic_write`` enforce them):

- **Whole or nothing.** A folder is written into a fresh hidden temporary folder beside the target
  and swapped into place in one step (Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames).
  A kill at any point leaves either the old folder or the complete new one under the target name.
- **Only perfsim's own folders are replaced.** Every folder perfsim writes holds ``.perfsim.json``
  (its kind and the list of files written). An existing target is replaced only when it is empty,
  or a perfsim folder of the same kind whose files are all perfsim's and unchanged (the manifest
  keeps each file's SHA-256; ``perfsim report`` adds the files it writes). A perfsim folder of
  another kind needs ``force=True`` (``--force``). A folder perfsim did not write, one holding
  files, links or empty folders perfsim did not write, and one without the file list (written by
  an older perfsim, or a copy of a result folder without its ``.perfsim.json``: perfsim cannot
  tell which files in it are yours) are never touched, with or without ``force``; nor does
  ``perfsim report`` replace a report or figure in a folder without the file list.
- **One writer per folder.** A lock file beside the target (``.NAME.perfsim-lock``, an advisory
  ``flock``) stops a second process writing the same folder; it fails at once with a clear error.
- **Spreadsheet-safe CSV**: :mod:`perfsim.csvsafe`.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .i18n import LANGUAGES
from .results.names import FIGURES, MARKERS, OptimizationFiles, figure_folder, report_files
from .scenario import PerfsimError
from .scenario.errors import error

MANIFEST = ".perfsim.json"
"""The marker file in every folder perfsim writes: its kind and the files it wrote."""

_LEGACY_MARKERS = MARKERS
_TMP_TAG = ".perfsim-tmp-"
_FILE_TAG = ".perfsim-"  # a temporary file's: .NAME.perfsim-xxxxxxxx.tmp (atomic_write)


class OutputError(PerfsimError):
    """An output path that perfsim will not write (it would lose a user's file) or cannot write."""


# ----------------------------------------------------------------------------- folder kinds


def folder_kind(path: str | Path) -> str | None:
    """The kind of result folder at ``path`` (``run``, ``comparison``, ``sensitivity``,
    ``empirical``), or None if perfsim did not write it."""
    folder = Path(path)
    manifest = read_json(folder / MANIFEST)
    if manifest and isinstance(manifest.get("kind"), str):
        return manifest["kind"]
    for name, default in _LEGACY_MARKERS.items():
        data = read_json(folder / name)
        if data is not None and ("perfsim_version" in data or "kind" in data):
            return data.get("kind", default) if isinstance(data.get("kind"), str) else default
    return None


def read_json(path: Path) -> dict | None:
    """A JSON object from ``path``; None when the file is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def digest(path: Path) -> str:
    """The SHA-256 of a file (as the manifest records it)."""
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def _links(folder: Path) -> list[str]:
    """Links in ``folder`` that are not to a file (to a folder, or broken), as relative paths:
    perfsim writes no link, so such a link is the user's (a link to a file is checked as a file;
    an empty folder, by :func:`_empty_folders`)."""
    return [
        p.relative_to(folder).as_posix()
        for p in sorted(folder.rglob("*"))
        if p.is_symlink() and not p.is_file()
    ]


def foreign_files(path: str | Path) -> list[str] | None:
    """Files in the perfsim folder ``path`` that perfsim did not write, or that were changed after
    perfsim wrote them, and links to folders (:func:`_links`), as relative paths; or None when the
    folder has no file list (written by an older perfsim, or copied without it). The manifest
    keeps each file's SHA-256, so an edited report counts as yours."""
    folder = Path(path)
    manifest = read_json(folder / MANIFEST)
    if manifest is None or not isinstance(manifest.get("files"), dict | list):
        return None
    ours = manifest["files"]
    if isinstance(ours, list):  # written by this version's first release: names without hashes
        ours = dict.fromkeys(ours)
    pending = manifest.get(_REWRITING)  # a report that was interrupted: its files are ours
    known, found = {*ours, MANIFEST}, []
    for item in _files(folder):
        rel = item.relative_to(folder).as_posix()
        if pending and is_report_name(rel):  # (the language it wrote in; True: any, as before)
            if pending is True or _written_by_report(rel, str(pending)):
                continue
        if (plain := _temporary_of(rel)) != rel and plain in known:
            continue  # (a killed write's temporary file of one of perfsim's)
        if rel not in ours or (ours[rel] is not None and ours[rel] != digest(item)):
            found.append(rel)
    return found + _links(folder) + _empty_folders(folder, ours, manifest.get("kind"))


def _empty_folders(folder: Path, ours: Iterable[str], kind: str | None) -> list[str]:
    """Empty folders in ``folder`` that are not perfsim's, as relative paths: perfsim's are the
    folders of the files it listed, the figure folders (an interrupted report, or figures the user
    deleted, leave those empty) and an optimisation folder's ``rules/`` (empty when no rule was
    found). Another empty folder is the user's, and replacing the folder would lose it."""
    kept = {FIGURES, *(figure_folder(lang) for lang in LANGUAGES)}
    if kind == "optimization":  # (its rules/, empty when it recommends no rule)
        kept.add(OptimizationFiles.RULES)
    for rel in ours:
        parts = rel.split("/")[:-1]
        kept.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return [
        p.relative_to(folder).as_posix()
        for p in sorted(folder.rglob("*"))
        if p.is_dir() and not p.is_symlink() and not any(p.iterdir())
        and p.relative_to(folder).as_posix() not in kept
    ]  # fmt: skip


#: the manifest key set while ``perfsim report`` rewrites a folder's report and figures (to the
#: report's language)
_REWRITING = "rewriting_report"

#: the manifest key that lists, in a folder without a file list, the report files perfsim wrote
_REPORT_FILES = "report_files"

#: the reports ``perfsim report`` writes, in every language it writes them in
_REPORTS = frozenset(name for lang in LANGUAGES for name in report_files(lang))


def has_report(folder: str | Path) -> bool:
    """Whether ``folder`` holds a report ``perfsim report`` writes, in any of its languages."""
    return any((Path(folder) / name).exists() for name in _REPORTS)


def is_report_name(rel: str) -> bool:
    """Whether a folder's file (relative path, with ``/``) is one that ``perfsim report``
    writes: a report in one of its languages (``report.html``, ``report.zh.md``, …) or a
    figure. A file of the user's such as ``report.old.html`` is not."""
    return rel in _REPORTS or rel.startswith(f"{FIGURES}/")


@contextmanager
def rewriting_report(folder: str | Path, lang: str = "en") -> Iterator[None]:
    """Hold ``folder``'s report and figures in ``lang`` for rewriting: refuse
    (:class:`OutputError`) when a file where they go is not perfsim's (a file the user put there,
    or a report the user edited after perfsim wrote it); a report in another language's files do
    not stop it. While the block runs the manifest says a rewrite is under way (the files of an
    interrupted one are perfsim's); at its end every report file perfsim wrote is recorded with
    its SHA-256 (a file of the user's never is). In a folder without a file list (an older
    perfsim's, or a copy) no report or figure is replaced but those an earlier report wrote there
    and nobody changed since (the manifest records them, and still no list of the folder's
    files): perfsim cannot tell the others from the user's."""
    folder = Path(folder)
    manifest = read_json(folder / MANIFEST)
    if manifest is not None and isinstance(manifest.get("files"), list):  # (the first release's)
        manifest = {**manifest, "files": dict.fromkeys(manifest["files"])}
    if manifest is None or not isinstance(manifest.get("files"), dict):
        # no file list: perfsim cannot tell its report from yours, so it replaces none (but in
        # a folder it is writing now, whose list comes when it is complete)
        writing = _TMP_TAG in folder.name
        there = [] if writing else [p.relative_to(folder).as_posix() for p in _files(folder)]
        # (the report files an earlier report wrote here, unchanged since, are perfsim's)
        done = (manifest or {}).get(_REPORT_FILES) or {}
        written = [
            r for r in there if _written_by_report(r, lang) and done.get(r) != digest(folder / r)
        ]
        if written:
            raise OutputError(
                error("report_no_file_list", folder=folder, manifest=MANIFEST,
                      listed=_listed(written))
            )  # fmt: skip
        yield
        if not writing:  # what it wrote, for the next report (still no list of the folder's files)
            files = {r: h for r, h in snapshot(folder).items() if _written_by_report(r, lang)}
            write_json(folder / MANIFEST, {**(manifest or {}), _REPORT_FILES: {**done, **files}})
        return
    foreign = [rel for rel in foreign_files(folder) or [] if is_report_name(rel)]
    theirs = [rel for rel in foreign if _written_by_report(rel, lang)]
    if theirs:
        reports = ", ".join(report_files(lang))
        raise OutputError(
            error(
                "report_not_ours",
                folder=folder,
                reports=reports,
                figures=figure_folder(lang),
                listed=_listed(theirs),
            )
        )
    write_json(folder / MANIFEST, {**manifest, _REWRITING: lang})
    try:
        yield
    finally:  # (also when interrupted: the files it wrote so far are recorded, the mark goes;
        # left behind, the mark made every report file perfsim's, a later edit of the user's too)
        manifest = read_json(folder / MANIFEST) or manifest
        files = {k: v for k, v in manifest["files"].items() if not is_report_name(k)}
        files.update(
            {k: v for k, v in snapshot(folder).items() if is_report_name(k) and k not in foreign}
        )
        manifest = {k: v for k, v in manifest.items() if k != _REWRITING}
        write_json(folder / MANIFEST, {**manifest, "files": files})


def _written_by_report(rel: str, lang: str) -> bool:
    """Whether a report in ``lang`` writes (or removes, as a figure it no longer draws) the file
    ``rel``: its two report files, and the figures directly in its figure folder."""
    parent, _, name = rel.rpartition("/")
    figure = parent == figure_folder(lang) and name.endswith((".png", ".svg"))
    return rel in report_files(lang) or figure


def _listed(paths: list[str]) -> str:
    """The first five of ``paths`` and how many more."""
    return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as JSON to ``path``, atomically (:func:`atomic_write`)."""
    atomic_write(
        path, lambda tmp: tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    )


def snapshot(folder: str | Path) -> dict[str, str]:
    """Every file in ``folder`` with its SHA-256 (as the manifest records them)."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): digest(p) for p in _files(folder)}


def check_output_folder(
    path: str | Path, kind: str, *, force: bool = False, force_option: bool = True
) -> Path:
    """Raise :class:`OutputError` unless perfsim may write a ``kind`` result folder at ``path``
    (``force_option``: the command has ``--force``, which its advice may name)."""
    target = Path(path)
    if target.is_symlink():
        raise OutputError(
            f"{target} is a symbolic link; give the folder it points to (perfsim replaces a folder "
            "whole, so it will not swap a link for a folder)"
        )
    if target.exists() and not target.is_dir():
        raise OutputError(error("out_is_file", path=target))
    check_parents(target)
    for parent in target.resolve().parents:  # (a comparison's runs/…, by any path or link)
        if (parent / MANIFEST).is_file():
            raise OutputError(error("inside_result", target=target, parent=parent,
                                    found=folder_kind(parent) or "?"))  # fmt: skip
    if not target.exists() or not any(target.iterdir()):
        return target
    found = folder_kind(target)
    if found is None and not os.access(target, os.X_OK):  # (its marker cannot be read)
        raise OutputError(error("cannot_enter", target=target))
    if found is None:
        raise OutputError(error("not_ours", target=target, manifest=MANIFEST))
    stuck = [
        p.relative_to(target).as_posix() or "."
        for p in [target, *target.rglob("*")]
        if p.is_dir() and not p.is_symlink() and not os.access(p, os.W_OK | os.X_OK)
    ]
    if stuck:  # (its old copy could not be removed, and was left in a hidden folder)
        raise OutputError(error("read_only", target=target, listed=_listed(stuck)))
    foreign = foreign_files(target)
    if foreign:
        raise OutputError(
            error("foreign_files", target=target, found=found, listed=_listed(foreign))
        )
    if foreign is None:  # (a copy made with cp folder/* keeps metadata.json, not the list)
        if _unfinished(target):  # an interrupted sensitivity or optimisation run: no list yet
            raise OutputError(error("unfinished_run", target=target, found=found))
        key = "no_file_list" if force_option else "no_file_list_plain"
        raise OutputError(error(key, target=target, manifest=MANIFEST))
    if found != kind and not force:
        key = "other_kind" if force_option else "other_kind_plain"
        raise OutputError(error(key, target=target, found=found, kind=repr(kind)))
    return target


def _unfinished(folder: Path) -> bool:
    """Whether ``folder``'s marker file says its run is still under way (``status: running``:
    an interrupted sensitivity analysis or optimisation, whose file list comes at its end)."""
    return any(
        (read_json(folder / name) or {}).get("status") == "running" for name in _LEGACY_MARKERS
    )


def check_parents(target: Path) -> None:
    """Raise :class:`OutputError` when ``target``'s folder cannot be made: a '..' after a folder
    that does not exist, or a file where a parent folder goes."""
    parts = target.parts
    for i, part in enumerate(parts):
        if part == ".." and i and not Path(*parts[:i]).is_dir():
            raise OutputError(
                f"cannot create {target}: {Path(*parts[:i])} does not exist, so '..' after it "
                "cannot be followed; give the folder without '..'"
            )
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"cannot create {target}: {parent} is a file, not a folder")
            return


# ----------------------------------------------------------------------------- locking

_HELD: dict[Path, int] = {}  # lock path -> nesting depth, for locks this process holds


@contextmanager
def folder_lock(path: str | Path) -> Iterator[None]:
    """Hold the advisory lock of the output ``path`` for the block; fail at once if another process
    holds it. Nested use in one process is allowed."""
    target = Path(path).absolute()
    lock = target.parent / f".{target.name}.perfsim-lock"
    if lock in _HELD:
        _HELD[lock] += 1
        try:
            yield
        finally:
            _HELD[lock] -= 1
        return
    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks; the atomic swap still protects the folder
        yield
        return
    check_parents(target)
    if target.exists() and not target.is_dir():
        raise OutputError(error("out_is_file", path=path))
    # (folders made for the lock go with it if left empty: a refused command leaves no results/)
    made = [p for p in (lock.parent, *lock.parent.parents) if not p.exists()]
    _mkdir(lock.parent)
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror} ({lock.parent})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise OutputError(error("locked", target=target, lock=lock)) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino  # not unlinked by a finishing run
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    _HELD[lock] = 1
    try:
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        del _HELD[lock]
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)
        for folder in made:  # (deepest first; rmdir removes only an empty folder)
            with contextlib.suppress(OSError):
                folder.rmdir()


@contextmanager
def claimed_folder(path: str | Path, kind: str, *, force: bool = False) -> Iterator[Path]:
    """Hold ``path``'s lock and check that perfsim may write a ``kind`` folder there, for a block
    that computes a result and then writes it: a refusal comes before the work, not after it."""
    with folder_lock(path):
        yield check_output_folder(path, kind, force=force)


# ----------------------------------------------------------------------------- atomic writers


def _default_mode(mode: int) -> int:
    """``mode`` less the process umask (mkdtemp and mkstemp create owner-only paths)."""
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask


def _mkdir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {folder}: {exc.strerror}") from None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    name = ctypes.util.find_library("c")
    if not name or not hasattr(os, "fspath"):
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def _swap_into_place(tmp: Path, target: Path) -> None:
    if not target.exists():
        tmp.rename(target)
        return
    if _exchange(tmp, target):  # tmp now holds the old folder
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}{_TMP_TAG}old-", dir=target.parent))
    old.rmdir()
    target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _remove_stale_temporaries(target: Path) -> None:
    """Remove hidden temporaries a killed perfsim left for ``target`` (we hold its lock)."""
    for stale in target.parent.glob(f".{target.name}{_TMP_TAG}*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def resumed_folder(path: str | Path, written: Callable[[str], bool]) -> frozenset[str]:
    """Before a run continues in its own folder ``path`` (a sensitivity analysis or an
    optimisation resumes there, or is rerun there, in place): the files the user added, which the
    run leaves as they are and never lists as its own (:func:`write_manifest`'s ``leave``).
    Refuses (:class:`OutputError`) when a file perfsim wrote there was changed since: the run
    would overwrite the user's edit. In a folder without a file list (interrupted before its list
    was written) they are the files the run does not write (``written``: a path → whether it
    writes one so named), a report's and a killed write's temporary file (:func:`atomic_write`)
    aside."""
    folder = Path(path)
    manifest = read_json(folder / MANIFEST) if folder.is_dir() else None
    if manifest is None or not isinstance(manifest.get("files"), dict | list):
        if not folder.is_dir() or folder_kind(folder) is None:  # (not perfsim's: refused later)
            return frozenset()
        try:
            names = [p.relative_to(folder).as_posix() for p in _files(folder)]
        except OSError:  # (an unreadable entry: the run's own check says what the folder is)
            return frozenset()
        return frozenset(rel for rel in names if not _made(rel, written))
    foreign = foreign_files(folder) or []
    # (a report of perfsim report: the run does not rewrite it; its figures it may)
    changed = [rel for rel in foreign if rel in manifest["files"] and rel not in _REPORTS]
    if changed:
        raise OutputError(error("changed_outputs", target=folder, listed=_listed(changed)))
    return frozenset(foreign)


def _made(rel: str, written: Callable[[str], bool]) -> bool:
    """Whether perfsim made the file ``rel``: one ``written`` names, a report's, or a killed
    write's temporary file of one (:func:`_temporary_of`)."""
    return any(written(r) or is_report_name(r) for r in (rel, _temporary_of(rel)))


def _temporary_of(rel: str) -> str:
    """The file a killed :func:`atomic_write` was writing when it left ``rel``
    (``.NAME.perfsim-xxxxxxxx.tmp``: mkstemp's eight characters), or ``rel`` itself."""
    return re.sub(r"(^|/)\.(.+)\.perfsim-[a-z0-9_]{8}\.tmp$", r"\1\2", rel)


@contextmanager
def rewriting_outputs(folder: Path, rewrites: Callable[[str], bool]) -> Iterator[frozenset[str]]:
    """A run's own folder while it writes there (a sensitivity analysis or optimisation, new,
    rerun or resumed): yields the files the user added (:func:`resumed_folder`, which refuses
    the user's edits); the listed files it rewrites (``rewrites``: a path → whether the run
    writes one so named; the user's and a report's files aside) count as perfsim's whatever they
    hold, and when the block ends before the new file list (:func:`write_manifest`) as they are
    then; a kill leaves them perfsim's whatever they hold. (A stopped run's own outputs looked
    edited by the user.)"""
    leave = resumed_folder(folder, rewrites)
    path = folder / MANIFEST
    manifest = read_json(path) or {}
    files = manifest.get("files")
    marked = [] if not isinstance(files, dict) else [
        rel for rel in files if rewrites(rel) and rel not in leave and not is_report_name(rel)
    ]  # fmt: skip
    if marked:
        write_json(path, {**manifest, "files": {**files, **dict.fromkeys(marked)}})
    try:
        yield leave
    finally:
        now = (read_json(path) if marked else None) or {}
        files = now.get("files") if isinstance(now.get("files"), dict) else {}
        pending = [rel for rel in marked if rel in files and files[rel] is None]
        if pending:  # (stopped before its new list: the files as they are now)
            listed = {k: v for k, v in files.items() if k not in pending}
            with contextlib.suppress(OSError):  # (else they stay perfsim's, whatever they hold)
                listed.update({r: digest(folder / r) for r in pending if (folder / r).is_file()})
                write_json(path, {**now, "files": listed})


def write_manifest(folder: Path, kind: str, leave: Iterable[str] = ()) -> None:
    """Write `.perfsim.json` into `folder`: its kind and every file now in it, with its SHA-256,
    but the user's files ``leave`` (:func:`resumed_folder`)."""
    from . import __version__

    mine = set(leave)
    files = {  # (a killed write's leftover is not listed, though perfsim's: foreign_files)
        rel: sha
        for rel, sha in snapshot(folder).items()
        if rel not in mine and _temporary_of(rel) == rel
    }
    manifest = {
        "kind": kind,
        "perfsim_version": __version__,
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")


def final_folder(folder: str | Path) -> Path:
    """The folder that ``folder`` becomes: for a temporary folder of :func:`atomic_dir` (a report
    written into it before it is swapped into place names the folder the user will have), the
    folder it replaces; any other folder is itself."""
    path = Path(folder)
    name = path.name
    if name.startswith(".") and _TMP_TAG in name:
        return path.with_name(name[1:].rpartition(_TMP_TAG)[0])
    return path


@contextmanager
def atomic_dir(path: str | Path, kind: str, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; when the block succeeds it replaces ``path`` in one
    step, on any error it is removed and ``path`` is left as it was.

    Refuses (:class:`OutputError`) before anything is written when ``path`` is not perfsim's to
    replace (see the module docstring), and holds the folder's lock throughout."""
    target = Path(path)
    with folder_lock(target):
        check_output_folder(target, kind, force=force)
        _mkdir(target.parent)
        _remove_stale_temporaries(target)
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}{_TMP_TAG}", dir=target.parent))
            tmp.chmod(_default_mode(0o777))
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror}") from None
        try:
            yield tmp
            write_manifest(tmp, kind)
            _swap_into_place(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place."""
    target = Path(path)
    _mkdir(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}{_FILE_TAG}", suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}") from None
    os.close(fd)
    try:
        os.chmod(tmp, _default_mode(0o666))
        write(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
