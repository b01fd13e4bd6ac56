"""Work of the generator spread over processes, with output that never depends on how.

Every random number is a hash of the person (``rng.py``), so the monthly loop can run for
contiguous chunks of people in separate processes and be put back in the original order
(``chunks.py``); independent steps (the planted truth, the calibration table) can run in a
process of their own while this one goes on. Children are forked: they read the inputs already
in memory, and only their results are pickled back. Small worlds (the tests' ``scale``) stay in
this process: below ``MIN_PEOPLE`` a process start costs more than it saves.

``workers`` is the number of processes used at once (this one included): ``None`` reads
``EVALUATION_SYNTH_WORKERS``, else ``os.cpu_count()`` capped at 2; 1 runs everything here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

ENV_WORKERS = "EVALUATION_SYNTH_WORKERS"
MAX_DEFAULT_WORKERS = 2
MIN_PEOPLE = 100_000  # smallest simulated population worth a second process

_JOBS: dict[int, Callable[..., Any]] = {}  # set before a fork, so children need no pickling


def resolve_workers(workers: int | None = None) -> int:
    """The number of processes to use: ``workers``, else the environment, else the cores."""
    if workers is None:
        env = os.environ.get(ENV_WORKERS, "").strip()
        workers = int(env) if env else min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1)
    workers = int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    return workers


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def use_processes(workers: int | None, n_people: int) -> int:
    """How many processes a step over ``n_people`` should use (1: stay in this process)."""
    w = resolve_workers(workers)
    return w if w > 1 and n_people >= MIN_PEOPLE and can_fork() else 1


def _run(key: int, *args):
    return _JOBS[key](*args)


@contextmanager
def _forked(fn: Callable[..., Any], n_children: int) -> Iterator[tuple[ProcessPoolExecutor, int]]:
    key = id(fn)
    _JOBS[key] = fn
    try:
        pool = ProcessPoolExecutor(n_children, mp_context=multiprocessing.get_context("fork"))
        with pool:
            yield pool, key
    finally:
        _JOBS.pop(key, None)


def map_chunks(fn: Callable[[int, int], Any], n: int, processes: int) -> list:
    """``fn(lo, hi)`` for ``processes`` contiguous chunks of ``range(n)``, in chunk order; the
    first chunk runs here while forked children run the others."""
    cuts = [n * i // processes for i in range(processes + 1)]
    bounds = list(zip(cuts[:-1], cuts[1:], strict=True))
    if processes <= 1:
        return [fn(0, n)]
    with _forked(fn, processes - 1) as (pool, key):
        futures = [pool.submit(_run, key, lo, hi) for lo, hi in bounds[1:]]
        first = fn(*bounds[0])
        return [first] + [f.result() for f in futures]


class _Here:
    """A deferred call in this process, with the ``result()`` of a future."""

    def __init__(self, fn: Callable[[], Any]):
        self._fn, self._done = fn, False

    def result(self):
        if not self._done:
            self._value, self._done = self._fn(), True
        return self._value


@contextmanager
def background(fn: Callable[[], Any], processes: int) -> Iterator[Any]:
    """``fn()`` in a forked child while the body runs (``.result()`` to collect it); with one
    process it runs here, when the result is asked for."""
    if processes <= 1:
        yield _Here(fn)
        return
    with _forked(fn, 1) as (pool, key):
        yield pool.submit(_run, key)
