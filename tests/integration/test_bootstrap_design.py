"""The whole-design bootstrap (matching refitted in every replicate) is seeded and parallel-safe."""

from __future__ import annotations

import pytest

from evaluation.analysis.bootstrap import bootstrap_design
from evaluation.analysis.programme import evaluate_programme
from evaluation.config import load_programme_config
from evaluation.data.io import load_extract
from evaluation.design.build import build_design
from evaluation.synth import generate, write_world


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    directory = tmp_path_factory.mktemp("boot")
    write_world(generate(seed=3, scale=0.2), directory)
    extract = load_extract(directory)
    config = load_programme_config("new_chance")
    return extract, config, build_design(config, extract)


def test_same_seed_same_distribution_whatever_the_number_of_workers(setup):
    extract, config, design = setup
    one = bootstrap_design(design, extract, config, n_resamples=12, n_jobs=1)
    two = bootstrap_design(design, extract, config, n_resamples=12, n_jobs=2)
    assert one.distribution.equals(two.distribution)


def test_full_sample_value_is_the_reported_matched_estimate(setup):
    extract, config, design = setup
    boot = bootstrap_design(design, extract, config, n_resamples=12, n_jobs=1)
    hr_boot = boot.table.set_index("term").loc["hazard_ratio"]
    ev = evaluate_programme(config, extract, design=design)
    hr = ev.estimates.set_index("outcome").loc["time_to_reoffence_hr", "estimate"]
    assert hr_boot["estimate"] == pytest.approx(hr, rel=1e-9)
    assert hr_boot["lower"] < hr_boot["upper"]


def test_before_during_follows_the_configuration_not_the_programme_name(setup):
    extract, config, design = setup
    assert evaluate_programme(config, extract, design=design).before_during == {}
    wanted = config.with_overrides({"outcomes.before_during": True})
    bd = evaluate_programme(wanted, extract, design=design).before_during
    assert set(bd) == {"idiom_table", "by_group", "did"}
    assert int(bd["idiom_table"].iloc[0]["people"]) > 0


def test_dask_cluster_gives_the_same_distribution_as_the_local_pool(setup):
    distributed = pytest.importorskip("distributed")
    extract, config, design = setup
    local = bootstrap_design(design, extract, config, n_resamples=8, n_jobs=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster:
        on_dask = bootstrap_design(design, extract, config, n_resamples=8,
                                   scheduler=cluster.scheduler_address)
    assert local.distribution.equals(on_dask.distribution)
