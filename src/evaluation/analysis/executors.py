"""Where many independent analyses run: a local process pool, or a Dask cluster.

The bootstrap and the multiverse hand every task its own seed (or none is needed), so the
answers do not depend on which executor ran them, in what order, or on how many workers. The
default is a local pool of processes; a Dask scheduler is used when its address is given
(``--scheduler tcp://host:8786``) or set in ``DASK_SCHEDULER_ADDRESS``. Dask workers must see
the same data folder as the client (they read the extract themselves).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


def scheduler_address(explicit: str | None = None) -> str | None:
    """The Dask scheduler to use: the one named, else ``DASK_SCHEDULER_ADDRESS``, else none."""
    return explicit or os.environ.get(SCHEDULER_ENV) or None


def run_tasks(fn: Callable[[Any], Any], items: Iterable[Any], *, workers: int = 1,
              scheduler: str | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(position, fn(item))`` as each task finishes (in completion order).

    ``scheduler``: a Dask scheduler address (``tcp://...``) to submit to; otherwise a local
    process pool of ``workers`` processes (``workers=1`` runs in this process)."""
    items = list(items)
    address = scheduler_address(scheduler)
    if address:
        yield from _dask(fn, items, address)
    elif workers <= 1:
        for i, item in enumerate(items):
            yield i, fn(item)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
            for future in as_completed(futures):
                yield futures[future], future.result()


def _dask(fn, items, address) -> Iterator[tuple[int, Any]]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(address) as client:
        futures = client.map(fn, items, pure=False)
        position = {f.key: i for i, f in enumerate(futures)}
        for future in dask_completed(futures):
            yield position[future.key], future.result()


@contextlib.contextmanager
def joblib_on(scheduler: str | None = None):
    """Inside this block, joblib (the bootstrap's pool) runs on the Dask scheduler if one is
    named (or set in ``DASK_SCHEDULER_ADDRESS``); otherwise nothing changes."""
    address = scheduler_address(scheduler)
    if not address:
        yield
        return
    import joblib
    from distributed import Client

    with Client(address), joblib.parallel_config(backend="dask"):
        yield
