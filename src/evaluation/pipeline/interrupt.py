"""Stopping a run cleanly: SIGTERM (or Ctrl-C) ends the workers and their kernels, and the run
then records what exists (the unfinished reports as failed, no cache stamp for them), instead of
dying with an index that still says every report succeeded."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class RunInterrupted(BaseException):
    """The run was stopped by a signal; ``summary`` is what had finished (set by the runner).

    A BaseException so that no ``except Exception`` on the way swallows it.
    """

    def __init__(self, signum: int, summary: Any = None) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum
        self.summary = summary

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal number."""
        return 128 + self.signum


def _raise(signum: int, frame: Any) -> None:
    raise RunInterrupted(signum)


@contextmanager
def signals_interrupt(signums: tuple[int, ...] = (signal.SIGTERM,)) -> Iterator[None]:
    """Turn ``signums`` into :class:`RunInterrupted` in the main thread while the block runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise) for s in signums}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def child_pids(pid: int | None = None) -> list[int]:
    """Direct children of ``pid`` (default: this process), read from /proc (Linux; else [])."""
    pid = os.getpid() if pid is None else pid
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kill_children_and_exit(signum: int, frame: Any) -> None:
    """A worker's SIGTERM handler: kill its kernels at once (they run in sessions of their own,
    so they would outlive it for a moment and could still write), then exit."""
    for pid in child_pids():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(128 + signum)


def stop_workers(timeout: float = 10.0) -> None:
    """Terminate this process's multiprocessing children (the pool's workers) and wait."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(timeout)
        if child.is_alive():
            child.kill()
            child.join(timeout)
