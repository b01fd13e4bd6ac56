"""The generator's output does not depend on the number of processes (or on sorting packed keys)."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.synth import WorldParams, generate, parallel, write_world
from evaluation.synth.chunks import simulate_offending
from evaluation.synth.world import make_population

needs_fork = pytest.mark.skipif(not parallel.can_fork(), reason="needs the fork start method")


@pytest.fixture
def forced(monkeypatch):
    """Every step takes the parallel path, however small the world."""
    monkeypatch.setattr(parallel, "MIN_PEOPLE", 0)


def _files(world, out):
    return {p.name: p.read_bytes() for p in write_world(world, out)}


@needs_fork
def test_written_extract_is_the_same_with_one_or_two_workers(forced, tmp_path):
    one = _files(generate(seed=3, scale=0.02, workers=1), tmp_path / "one")
    two = _files(generate(seed=3, scale=0.02, workers=2), tmp_path / "two")
    assert one.keys() == two.keys() and len(one) == 6
    for name in one:
        assert one[name] == two[name], name


@needs_fork
@pytest.mark.parametrize("workers", [2, 3])
def test_chunked_monthly_loop_gives_the_arrays_of_one_run(forced, workers):
    params = WorldParams(n_people=5000)
    pop = make_population(11, params.n_people, params)
    start = np.where(pop.pid % 7 == 0, 1500, 10**7)
    theta = np.where(pop.pid % 7 == 0, 0.5, 1.0)
    one = simulate_offending(11, pop, params, effect_start=start, theta=theta, workers=1)
    many = simulate_offending(11, pop, params, effect_start=start, theta=theta, workers=workers)
    assert list(one) == list(many)
    assert one["row"].size > 1000
    for k in one:
        np.testing.assert_array_equal(one[k], many[k], err_msg=k)


def test_small_worlds_stay_in_this_process():
    assert parallel.use_processes(2, parallel.MIN_PEOPLE - 1) == 1
    assert parallel.use_processes(1, 10**7) == 1


def test_workers_come_from_the_argument_then_the_environment(monkeypatch):
    monkeypatch.setenv(parallel.ENV_WORKERS, "1")
    assert parallel.resolve_workers() == 1
    assert parallel.resolve_workers(3) == 3
    monkeypatch.delenv(parallel.ENV_WORKERS)
    assert 1 <= parallel.resolve_workers() <= parallel.MAX_DEFAULT_WORKERS
    with pytest.raises(ValueError, match="workers"):
        parallel.resolve_workers(0)


def test_background_with_one_process_runs_here_once():
    calls = []
    with parallel.background(lambda: calls.append(1) or len(calls), 1) as job:
        assert calls == []
        assert job.result() == 1 and job.result() == 1
    assert calls == [1]


@pytest.mark.parametrize("spans", [(3, 5, 1), (2, 10**6, 40), (2**40, 2**30, 7)])
def test_packed_lexsort_is_numpy_lexsort(spans):
    from evaluation.synth.sorting import lexsort_ints

    gen = np.random.default_rng(5)
    keys = [gen.integers(-s // 2, s - s // 2, 20_000) for s in spans]  # ties, negatives
    np.testing.assert_array_equal(lexsort_ints(keys), np.lexsort(keys))
    assert lexsort_ints([np.zeros(0, dtype=np.int64)]).size == 0
