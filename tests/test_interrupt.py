"""Interrupting a notebook cell stops perfsim's worker processes within seconds.

A real Jupyter kernel (jupyter_client, as JupyterLab starts it) runs a parallel ``simulate`` or
``sensitivity`` (``jobs=2``, spawned worker processes); the test interrupts it as JupyterLab's
stop button does (SIGINT to the kernel's process group) at three moments: while the workers are
still starting (importing perfsim), while the cell runs its own code between two finished blocks
(a progress callback), and while the workers compute. Each time the cell must end with
KeyboardInterrupt within seconds, every worker must be gone within seconds, no worker may print
a traceback (under the cell or on the kernel's terminal), and the kernel must stay usable (the next interrupt still works, a
new parallel run gives the serial numbers).
"""

from __future__ import annotations

import os
import queue
import sys
import time

import pytest
from helpers import ROOT

psutil = pytest.importorskip("psutil")
jupyter_client = pytest.importorskip("jupyter_client.manager")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")

GOODHART = ROOT / "scenarios" / "teaching" / "goodhart.toml"
DEMO = ROOT / "scenarios" / "teaching" / "sensitivity-demo.toml"
STOP_SECONDS = 15  # interrupt → the cell has ended and every worker has exited
START_TIMEOUT = 180  # spawned workers import perfsim: slow on a loaded machine


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A kernel whose own stderr (what the terminal running ``jupyter lab`` shows, where the
    workers' output goes) is kept in a file."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    log = tmp_path_factory.mktemp("kernel") / "stderr.txt"
    with log.open("w", encoding="utf-8") as stderr:
        km, kc = jupyter_client.start_new_kernel(
            kernel_name="python3", env=env, cwd=str(ROOT), stderr=stderr
        )
    try:
        yield km, kc, psutil.Process(km.provisioner.pid), log
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _workers(process) -> list:
    """The kernel's multiprocessing workers (its resource tracker, an idle helper that
    multiprocessing keeps for the kernel's life, is not a worker)."""
    found = []
    for child in process.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def _collect(kc, msg_id: str, timeout: float) -> tuple[dict, str, list[str]]:
    """Wait for the cell's reply; return it, its stdout+stderr text, and its error names."""
    deadline = time.monotonic() + timeout
    reply = None
    while reply is None:
        msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            reply = msg["content"]
    text, errors = "", []
    idle = False
    while not idle:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            text += content["text"]
        elif kind == "error":
            errors.append(content["ename"])
        idle = kind == "status" and content["execution_state"] == "idle"
    return reply, text, errors


def _run(kc, code: str, timeout: float = 120) -> tuple[dict, str, list[str]]:
    return _collect(kc, kc.execute(code), timeout)


def _interrupt_and_check(kernel, code: str, ready, what: str) -> str:
    """Run ``code``; once ``ready(kernel process, text so far)`` holds, interrupt; check that
    the cell stops, the workers exit and none of them printed; return the cell's output."""
    km, kc, process, log = kernel
    printed = log.stat().st_size
    msg_id = kc.execute(code)
    deadline = time.monotonic() + START_TIMEOUT
    seen = ""
    while not ready(process, seen):
        assert time.monotonic() < deadline, f"{what}: the run never reached the interrupt point"
        try:
            msg = kc.get_iopub_msg(timeout=0.05)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
                seen += msg["content"]["text"]
        except queue.Empty:
            pass
    workers = _workers(process)
    assert len(workers) == 2, f"{what}: expected 2 workers, found {workers}"
    km.interrupt_kernel()
    sent = time.monotonic()
    reply, text, errors = _collect(kc, msg_id, STOP_SECONDS)
    assert reply["status"] == "error" and errors == ["KeyboardInterrupt"], (what, reply, errors)
    _, alive = psutil.wait_procs(workers, timeout=max(0.1, sent + STOP_SECONDS - time.monotonic()))
    assert not alive, f"{what}: workers still running {STOP_SECONDS} s after the interrupt"
    assert not _workers(process), f"{what}: a new worker appeared after the interrupt"
    time.sleep(1)  # let anything a dying worker writes reach the kernel's stderr
    with log.open(encoding="utf-8", errors="replace") as stderr:
        stderr.seek(printed)
        output = seen + text + stderr.read()
    assert "Traceback" not in output and "spawn_main" not in output, f"{what}: {output}"
    return output


def test_interrupt_while_the_workers_start(kernel):
    """Both workers exist but are still importing perfsim: before they ignored SIGINT from
    birth, each died of the group's SIGINT and printed its own traceback under the cell."""
    code = f"import perfsim\nperfsim.simulate({str(GOODHART)!r}, reps=256 * 60, seed=0, jobs=2)"

    def started(process, _) -> bool:
        if len(_workers(process)) < 2:
            return False
        time.sleep(0.2)  # the kernel's handler is back (ms); the workers import for seconds
        return True

    _interrupt_and_check(kernel, code, started, "starting")


def test_interrupt_in_the_cells_own_code_between_blocks(kernel):
    """The interrupt lands in the progress callback, outside the executor: the pool must still
    be stopped at once, not left working (or idle) until the generator is collected."""
    code = (
        "import time, perfsim\n"
        "def slow(n):\n"
        "    print('block done', flush=True)\n"
        "    time.sleep(120)\n"
        f"perfsim.simulate({str(GOODHART)!r}, reps=256 * 60, seed=0, jobs=2, progress=slow)"
    )
    _interrupt_and_check(kernel, code, lambda _, seen: "block done" in seen, "callback")


def test_interrupt_a_parallel_sensitivity_run_while_the_workers_compute(kernel, tmp_path):
    code = (
        "import perfsim\n"
        # n = 64: hundreds of one-sample chunks, so that the run cannot finish between the
        # first finished chunk and the interrupt on a loaded machine (with n = 16 it once did)
        f"perfsim.sensitivity({str(DEMO)!r}, method='sobol', n=64, reps=10, jobs=2,"
        f" chunk_size=1, out={str(tmp_path / 'run')!r},"
        " progress=lambda done, total: print('chunks', done, flush=True))"
    )
    # 'chunks 0' comes before the workers start; a later count means they have finished chunks
    computing = lambda _, seen: any(  # noqa: E731
        line.startswith("chunks ") and line != "chunks 0" for line in seen.splitlines()
    )
    _interrupt_and_check(kernel, code, computing, "sensitivity")
    kept = list((tmp_path / "run").glob("chunks/chunk-*"))
    assert 1 <= len(kept) < 128  # finished chunks are kept for --resume


def test_the_kernel_stays_usable_after_the_interrupts(kernel):
    """The kernel's own SIGINT handler is back (it ignored SIGINT only while starting workers),
    and a new parallel run gives the serial run's numbers."""
    _, kc, process, _ = kernel
    reply, text, _ = _run(
        kc,
        "import signal, perfsim\n"
        "print(signal.getsignal(signal.SIGINT) is not signal.SIG_IGN)\n"
        f"a = perfsim.simulate({str(GOODHART)!r}, reps=600, seed=3, jobs=2).metrics\n"
        f"b = perfsim.simulate({str(GOODHART)!r}, reps=600, seed=3).metrics\n"
        "print(a.equals(b), len(a))",
        timeout=START_TIMEOUT,
    )
    assert reply["status"] == "ok", reply
    lines = text.split()
    assert lines[0] == "True" and lines[1] == "True" and int(lines[2]) > 5, text
    assert not _workers(process)


def test_workers_started_in_the_block_ignore_sigint_and_the_handler_comes_back():
    """The mechanism without a kernel: a process spawned inside the block survives a SIGINT
    sent while it starts; one spawned outside dies of it; the handler is back after the block,
    and in another thread than the main one the block changes nothing."""
    import multiprocessing
    import signal
    import threading

    from perfsim.experiments.executors import spawned_workers_ignore_sigint

    ctx = multiprocessing.get_context("spawn")
    before = signal.getsignal(signal.SIGINT)
    with spawned_workers_ignore_sigint():
        inside = signal.getsignal(signal.SIGINT)
        shielded = ctx.Process(target=time.sleep, args=(60,))
        shielded.start()
    plain = ctx.Process(target=time.sleep, args=(60,))
    plain.start()
    try:
        assert inside is signal.SIG_IGN and signal.getsignal(signal.SIGINT) is before
        for child in (shielded, plain):
            os.kill(child.pid, signal.SIGINT)  # while it is still starting up
        plain.join(30)
        shielded.join(2)
        assert not plain.is_alive() and plain.exitcode != 0
        assert shielded.is_alive()
    finally:
        for child in (shielded, plain):
            child.terminate()
            child.join(10)
    seen = []

    def elsewhere() -> None:
        with spawned_workers_ignore_sigint():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert seen == [before]
