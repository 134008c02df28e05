"""Backends of a sweep behind one small interface: a ``concurrent.futures.Executor``.

=============  ==============================================================================
``local``      a process pool over this machine's cores (default; no server needed)
``dask``       Dask distributed: ``Client(scheduler).get_executor()`` for an existing cluster
               (``--scheduler tcp://host:port``), else a ``LocalCluster`` on 127.0.0.1
``sequential`` this process, one chunk after another (debugging, profiling, notebooks)
=============  ==============================================================================

:func:`make_executor` is a context manager that starts the backend and shuts it down (and a
``LocalCluster`` it started) on exit. Any other ``Executor`` can be passed to
:func:`~reformabm.experiments.sweep` directly (EMA workbench's lesson: the evaluator is swapped
without touching the model or the experiment).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

__all__ = ["BACKENDS", "SequentialExecutor", "make_executor", "default_workers", "executor_workers", "terminate_pool",
           "prestart_local", "dask_client"]

BACKENDS = ("local", "dask", "sequential")


class SequentialExecutor(Executor):
    """Run each submitted call at once, in this process (a completed Future is returned)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        """Call ``fn(*args, **kwargs)`` now; return a Future holding its result or exception."""
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            if not isinstance(exc, Exception):
                raise
            fut.set_exception(exc)
        return fut


def default_workers() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def executor_workers(executor: Executor) -> int:
    """How many tasks ``executor`` runs at once (best effort; 1 if unknown)."""
    n = getattr(executor, "_max_workers", None)
    if n:
        return int(n)
    client = getattr(executor, "_client", None)
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # noqa: BLE001 (a cluster still scaling up)
            return 1
    return 1


#: Modules the local backend's fork server imports once, before it forks the workers.
PRELOAD = ("reformabm.experiments.runner", "reformabm.model", "reformabm.reforms")


def _mp_context(extra_preload: tuple[str, ...] = ()) -> Any:
    """Return a start method safe with threads (tqdm, dask) and fast: forkserver on POSIX."""
    if sys.platform == "win32":
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # workers fork from a server that has imported the model (Mesa, pandas, scipy) once
    ctx.set_forkserver_preload([*PRELOAD, *extra_preload])
    return ctx


def prestart_local(extra_preload: tuple[str, ...] = ()) -> None:
    """Start the local backend's fork server now, in the background (POSIX; else a no-op).

    The server imports :data:`PRELOAD` (and ``extra_preload``, e.g. ``"pyabc"`` for ABC
    workers) on the other core while this process goes on reading its inputs, instead of after
    them when the first task is submitted: about 0.8 s less start-up for a sweep or a
    calibration. The first caller's module list holds for the life of the server.
    """
    if sys.platform == "win32":
        return
    from multiprocessing import forkserver

    _mp_context(extra_preload)
    forkserver.ensure_running()


def _worker_init(driver: int) -> None:
    """Worker initializer: leave Ctrl-C to the driver (which stops the pool), exit with the driver."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_driver(driver)


def terminate_pool(ex: ProcessPoolExecutor, timeout: float = 2.0) -> None:
    """Stop a process pool at once: cancel what waits, terminate the workers (their runs are lost).

    Used on Ctrl-C so that a command stops within a second or two instead of after the runs in
    flight; whatever was stored stays consistent (a sweep stores whole chunks, in the driver).
    """
    procs = list((getattr(ex, "_processes", None) or {}).values())
    ex.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout)


def _exit_with_driver(driver: int, interval: float = 1.0) -> None:
    """Worker initializer: exit when the sweep's driver process is gone (e.g. SIGKILLed).

    Workers forked by the forkserver are not the driver's children, so they would otherwise
    outlive a killed driver; the resumed sweep starts its own pool.
    """
    import threading
    import time

    def watch() -> None:
        while True:
            time.sleep(interval)
            try:
                os.kill(driver, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pid reused by another user's process: the driver is gone
                os._exit(1)

    threading.Thread(target=watch, name="reformabm-driver-watch", daemon=True).start()


@contextlib.contextmanager
def make_executor(backend: str = "local", workers: int | None = None,
                  scheduler: str | None = None) -> Iterator[Executor]:
    """Start a backend; yield its executor; shut it down on exit.

    Parameters
    ----------
    backend : {"local", "dask", "sequential"}
    workers : int, optional
        Worker processes (local, or a LocalCluster's workers); default: this machine's cores.
        Ignored with ``scheduler``: the cluster has the workers it has.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); dask backend only.

    Raises
    ------
    SweepError
        Unknown backend, bad worker count, Dask not installed or the scheduler unreachable.
    """
    from reformabm.experiments.design import SweepError

    if backend not in BACKENDS:
        raise SweepError(f"--backend {backend!r}: expected one of {list(BACKENDS)}")
    if workers is not None and workers < 1:
        raise SweepError(f"--workers {workers}: expected at least 1")
    if scheduler and backend != "dask":
        raise SweepError(f"--scheduler {scheduler}: only the dask backend takes a scheduler "
                         "(add --backend dask)")
    n = workers or default_workers()
    if backend == "sequential":
        yield SequentialExecutor()
    elif backend == "local":
        ex = ProcessPoolExecutor(max_workers=n, mp_context=_mp_context(),
                                 initializer=_worker_init, initargs=(os.getpid(),))
        try:
            yield ex
        except BaseException:  # Ctrl-C or an error: stop the workers now, not after their chunks
            terminate_pool(ex)
            raise
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
    else:
        with _dask_executor(n, scheduler) as ex:
            yield ex


@contextlib.contextmanager
def dask_client(n: int, scheduler: str | None) -> Iterator[Any]:
    """A Dask ``Client`` of the scheduler at ``scheduler``, else of a ``LocalCluster`` of ``n`` workers.

    The cluster binds to 127.0.0.1, one thread per worker process; the client (and a cluster it
    started) is closed on exit.

    Raises
    ------
    SweepError
        Dask distributed not installed, or the scheduler unreachable.
    """
    from reformabm.experiments.design import SweepError

    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SweepError("the dask backend needs Dask distributed: pip install 'reformabm[dask]' "
                         "(or use --backend local)") from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler)  # waits distributed.comm.timeouts.connect (30 s)
        else:
            cluster = LocalCluster(host="127.0.0.1", dashboard_address=None, n_workers=n,
                                   threads_per_worker=1, processes=True,
                                   silence_logs=logging.ERROR)
            client = Client(cluster)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
        raise SweepError(f"cannot connect to {where}: {exc}") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextlib.contextmanager
def _dask_executor(n: int, scheduler: str | None) -> Iterator[Executor]:
    with dask_client(n, scheduler) as client:
        # Each task carries its runs' ids and seeds, so tasks are never equal; pure=False also
        # spares Dask hashing the (large) scenario in every task's arguments.
        yield client.get_executor(pure=False)
