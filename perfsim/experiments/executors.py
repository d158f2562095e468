"""Executors: evaluate a model on chunks of samples, serially, in local processes or on Dask.

One interface for all three: ``executor.map(model, chunks)`` takes ``(chunk id, rows)`` pairs and
yields ``(chunk id, model(rows))`` as chunks finish, in whatever order they finish. The caller
(:func:`perfsim.experiments.sensitivity.run_sensitivity`) writes each finished chunk at once, so
that an interrupted run loses only the chunks in flight, and assembles the outputs by chunk id, so
that results do not depend on the executor, the number of workers or the order of completion.
When the caller stops early (Ctrl-C, an error, or closing the generator), every executor stops at
once: chunks not started are cancelled and local worker processes are terminated, so Ctrl-C
returns within seconds and the chunks already yielded (written) are kept.

- :class:`SerialExecutor`: in this process.
- :class:`ProcessExecutor`: ``jobs`` local worker processes (``concurrent.futures``) started with
  the *spawn* method: workers are fresh interpreters that import perfsim, so a pool works the same
  from a script, ``python -c``, a Jupyter kernel or a process with threads (``fork`` would copy a
  parent's locks and can deadlock there). The model is pickled once per worker (with
  ``cloudpickle`` when it is installed, so a function defined in a notebook can be the model).
  A *script* that starts a pool must keep its work under ``if __name__ == "__main__":``, because
  spawned workers import the script again (Python's rule for spawn; notebooks, ``python -c`` and
  the ``perfsim`` command need nothing).
- :class:`DaskExecutor`: a Dask distributed cluster at ``scheduler="tcp://host:8786"`` (its workers
  need perfsim installed), or ``scheduler="local"``: a ``LocalCluster`` of ``jobs`` single-threaded
  worker processes, for testing and for one machine. The model is scattered to every worker once.

The model is any picklable callable ``rows (n, d) → outputs`` (an array or a DataFrame). Every
executor evaluates with one BLAS thread (``threadpoolctl``): a multi-threaded BLAS may sum in
another order and change the last digits, and workers running side by side must not each start a
thread per core.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import multiprocessing
import multiprocessing.connection
import os
import pickle
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..phrases import N_
from ..scenario import PerfsimError

Chunk = tuple[int, NDArray[np.float64]]


#: the kinds of executor as :meth:`Executor.describe` names them, said again in another language
KINDS = {"serial": N_("serial"), "processes": N_("processes")}


def executor_said(text: str) -> str:
    """An executor's description (:meth:`Executor.describe`: ``serial (1 worker)``,
    ``processes (2 workers)``) in the current language; another one (dask's) as it is."""
    from ..i18n import gettext as _
    from ..i18n import ngettext

    found = re.fullmatch(r"(serial|processes) \((\d+) workers?\)", text)
    if found is None:
        return text
    kind, n = found.group(1), int(found.group(2))
    workers = ngettext("{n} worker", "{n} workers", n).format(n=n)
    return _("{kind} ({workers})").format(kind=_(KINDS[kind]), workers=workers)


class ExecutorError(PerfsimError):
    """An executor that cannot start (bad scheduler address, missing package)."""


class Executor(abc.ABC):
    """Base class: ``map(model, chunks)`` yields ``(chunk id, output)`` as chunks finish."""

    name = "executor"
    workers = 1

    @abc.abstractmethod
    def map(
        self, model: Callable[[NDArray], Any], chunks: Iterable[Chunk]
    ) -> Iterator[tuple[int, Any]]:
        """Evaluate ``model`` on every chunk's rows; yield ``(chunk id, output)`` in any order."""

    def close(self) -> None:  # noqa: B027 - a no-op default, not an abstract method
        """Release workers (a no-op for executors that hold none)."""

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Evaluate chunks one after another in this process."""

    name = "serial"

    def map(self, model, chunks):
        with single_blas_thread():  # as in the workers of the other executors: identical numbers
            for chunk_id, rows in chunks:
                yield chunk_id, model(rows)


def single_blas_thread():
    """A context in which BLAS/OpenMP libraries use one thread (``threadpoolctl``, a scikit-learn
    dependency); a no-op context when threadpoolctl is missing.

    The engine's matrix products are small and many (a best response's per-department solves,
    Anderson's normal equations): a second BLAS thread only waits, and at 1,000 departments a
    best-response run took 1.5 × the CPU time (25.1 against 16.7 s) with OpenBLAS's default of a
    thread per core, on two cores (``benchmarks/bench_engine.py``). The scan of the loaded
    libraries is kept until a module is imported (:func:`_controller`), so the context costs
    microseconds, not the ~0.2 ms of a fresh ``threadpool_limits``."""
    controller = _controller(len(sys.modules))
    if controller is None:
        return contextlib.nullcontext()
    return controller.limit(limits=1)


@functools.lru_cache(maxsize=1)
def _controller(modules: int):
    """threadpoolctl's view of the thread pools loaded in this process (None without it), scanned
    anew when the count of imported ``modules`` changed (an import may load another pool)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


_WORKER_MODEL: Any = None


def _init_worker(payload: bytes) -> None:
    global _WORKER_MODEL
    # Ctrl-C at a terminal reaches every process of the group: the parent stops the workers
    # (terminates them), so a worker ignores it instead of printing a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    # Workers run side by side: one BLAS thread each, as Dask's workers do, so that ``jobs``
    # processes do not start jobs × cores threads.
    single_blas_thread()
    _WORKER_MODEL = pickle.loads(payload)


def _exit_with_parent() -> None:
    """End this worker when its parent ends, however it ends. A parent stopped by Ctrl-C
    terminates its workers, but one that is killed (``kill -9``, the out-of-memory killer, a
    notebook kernel restarted) cannot, and its workers waited for work forever (seen: two idle
    workers 25 minutes after their sensitivity run was killed). A spawned process holds a pipe
    from its parent that closes when the parent exits (``multiprocessing.parent_process()
    .sentinel``); a daemon thread waits on it."""
    parent = multiprocessing.parent_process()
    if parent is None:  # not started by multiprocessing (a test calling this directly)
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="perfsim-parent-watch", daemon=True).start()


def _run_chunk(chunk_id: int, rows: NDArray) -> tuple[int, Any]:
    return chunk_id, _WORKER_MODEL(rows)


def _dumps(model: object) -> bytes:
    try:
        import cloudpickle
    except ImportError:  # plain pickle: the model must be importable by the workers
        return pickle.dumps(model)
    return cloudpickle.dumps(model)


class ProcessExecutor(Executor):
    """``jobs`` local worker processes, started with the spawn method (see the module doc)."""

    name = "processes"

    def __init__(self, jobs: int = 2):
        if jobs < 1:
            raise ExecutorError(f"jobs = {jobs}: must be ≥ 1")
        self.workers = jobs

    def map(self, model, chunks):
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        before = set(multiprocessing.active_children())
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(_dumps(model),),
        )
        finished = False
        try:
            todo = iter(chunks)
            with spawned_workers_ignore_sigint():  # the first submissions start the workers
                pending = {
                    pool.submit(_run_chunk, c, rows) for c, rows in islice(todo, self.workers)
                }
            pending |= {pool.submit(_run_chunk, chunk_id, rows) for chunk_id, rows in todo}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
            finished = True
        except BrokenProcessPool:
            raise ExecutorError(
                "a worker process died. Run from a script? Worker processes are spawned and "
                'import the script again: put the analysis under `if __name__ == "__main__":`'
            ) from None
        finally:
            if finished:
                pool.shutdown(wait=True)
            else:  # interrupted (Ctrl-C), an error, or the caller stopped: stop now
                stop_pool(pool, set(multiprocessing.active_children()) - before)


@contextlib.contextmanager
def spawned_workers_ignore_sigint() -> Iterator[None]:
    """Within the block, processes started from this (main) thread ignore SIGINT from birth.

    Ctrl-C at a terminal, and Jupyter's interrupt (which signals the kernel's whole process
    group), reach the workers too. A worker ignores SIGINT once :func:`_init_worker` runs, but a
    spawned worker first spends seconds importing perfsim, and a SIGINT then killed it with a
    traceback of its own printed under the notebook cell. An ignored signal stays ignored across
    ``exec`` and Python keeps it ignored at start-up, so the workers are started while this
    process ignores SIGINT; the parent's handler is restored as soon as they are started (a few
    milliseconds). Signal handlers belong to the main thread: elsewhere this is a no-op (and
    SIGINT is then handled by the main thread anyway)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # a handler installed outside Python: it could not be put back
        yield
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def stop_pool(pool: Any, workers: Iterable[multiprocessing.process.BaseProcess]) -> None:
    """Stop a ``ProcessPoolExecutor`` at once: drop the chunks not started, terminate the workers
    (``workers``: its processes; chunks in flight are lost, finished ones were already yielded).
    ``shutdown(wait=True)`` would wait for every chunk already handed to a worker: minutes on a
    slow scenario, which is how Ctrl-C once took over 4 minutes."""
    pool.shutdown(wait=False, cancel_futures=True)
    workers = list(workers)
    for process in workers:
        process.terminate()
    for process in workers:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()


def _dask_chunk(model: Callable, chunk_id: int, rows: NDArray) -> tuple[int, Any]:
    with single_blas_thread():
        return chunk_id, model(rows)


class DaskExecutor(Executor):
    """A Dask distributed cluster: ``scheduler`` is an address (``tcp://host:8786``) or ``"local"``
    (a ``LocalCluster`` of ``jobs`` single-threaded worker processes, closed with the executor)."""

    name = "dask"

    def __init__(self, scheduler: str = "local", jobs: int = 2, *, timeout: float = 20.0):
        try:
            import logging

            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError(
                'a Dask scheduler needs dask.distributed: pip install "perfsim[distributed]"'
            ) from None
        self.scheduler = scheduler
        self.cluster = None
        try:
            if scheduler == "local":
                self.cluster = LocalCluster(
                    n_workers=jobs,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self.client = Client(self.cluster)
                self.client.wait_for_workers(jobs, timeout=timeout * 3)
            else:
                self.client = Client(scheduler, timeout=timeout)
        except OSError as exc:
            self.close()
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {scheduler!r} ({exc}); give its address as "
                "tcp://host:8786, or --scheduler local for a cluster on this machine"
            ) from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def describe(self) -> str:
        where = "LocalCluster" if self.cluster is not None else self.scheduler
        return f"dask ({where}, {self.workers} workers)"

    def map(self, model, chunks):
        from distributed import as_completed

        remote = self.client.scatter(model, broadcast=True)
        futures = [
            self.client.submit(_dask_chunk, remote, chunk_id, rows, pure=False)
            for chunk_id, rows in chunks
        ]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            self.client.cancel(futures)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def make_executor(jobs: int = 1, scheduler: str | None = None) -> Executor:
    """Serial for ``jobs == 1``, local processes for ``jobs > 1``, Dask when ``scheduler`` is given
    (an address, or ``"local"`` for a ``LocalCluster`` of ``jobs`` workers)."""
    if jobs < 1:
        raise ExecutorError(f"jobs = {jobs}: must be ≥ 1")
    if scheduler:
        return DaskExecutor(scheduler, jobs=max(jobs, 1))
    if jobs == 1:
        return SerialExecutor()
    return ProcessExecutor(jobs)
