"""The multiverse (issue 12): every declared combination runs as its own analysis; the
pre-declared one reproduces the main evaluation's hazard ratio; results are identical on a
local pool, on a real Dask cluster on loopback, and after an interrupted run is resumed."""

import pandas as pd
import pytest

from evaluation.analysis.multiverse import run_multiverse, specifications
from evaluation.analysis.programme import evaluate_programme
from evaluation.config import load_programme_config
from evaluation.data.io import load_extract
from evaluation.synth import generate, write_world

GRID = {"multiverse.window_days": "[182]", "multiverse.method": "[weighting]",
        "multiverse.caliper": "[]", "multiverse.ratio": "[]", "multiverse.waiting_period": "[]"}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multiverse_data")
    write_world(generate(seed=7, scale=0.08), folder)
    config = load_programme_config("conditional_caution").with_overrides(GRID)
    return folder, config


def test_grid_has_every_combination_once_with_the_declared_one_first(small):
    _, config = small
    specs = specifications(config)
    # window {365, 182} x method {matching, weighting}; weighting has no caliper or ratio
    assert len(specs) == 4 and specs[0].prespecified and sum(s.prespecified for s in specs) == 1
    assert len({s.label for s in specs}) == 4
    assert dict(specs[0].choices)["window_days"] == 365


def test_declared_specification_reproduces_the_main_evaluation(small):
    folder, config = small
    table = run_multiverse(config, folder)
    declared = table.loc[table["prespecified"]].iloc[0]
    ev = evaluate_programme(config, load_extract(folder))
    hr = ev.details["cox"].set_index("term").loc["hazard_ratio", "estimate"]
    assert declared["hazard_ratio"] == pytest.approx(hr, rel=1e-12)
    assert table["hazard_ratio"].is_monotonic_increasing and table["rank"].tolist() == [1, 2, 3, 4]


def test_local_pool_dask_cluster_and_resume_agree_exactly(small, tmp_path):
    distributed = pytest.importorskip("distributed")
    folder, config = small
    serial = run_multiverse(config, folder, workers=1)
    pooled = run_multiverse(config, folder, workers=2)
    pd.testing.assert_frame_equal(serial, pooled)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster:
        on_dask = run_multiverse(config, folder, scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(serial, on_dask)
    # an interrupted run: two specifications in the checkpoint, the rest computed on resume
    checkpoint = tmp_path / "multiverse.jsonl"
    full = run_multiverse(config, folder, checkpoint=checkpoint)
    lines = checkpoint.read_text().splitlines()
    checkpoint.write_text("\n".join(lines[:2]) + "\n")
    resumed = run_multiverse(config, folder, checkpoint=checkpoint)
    pd.testing.assert_frame_equal(full, resumed)
    assert len(checkpoint.read_text().splitlines()) == 4


def test_command_writes_curve_table_and_page_that_pass_disclosure(small, tmp_path, monkeypatch):
    from evaluation.cli import main
    from evaluation.reporting.scan import scan_file

    folder, _ = small
    monkeypatch.chdir(tmp_path)  # the checkpoint goes to ./.cache
    out = tmp_path / "reports" / "multiverse" / "cc"
    code = main(["multiverse", "conditional_caution", "--data", str(folder), "--out", str(out),
                 "--workers", "1", *sum((["--set", f"{k}={v}"] for k, v in GRID.items()), [])])
    assert code == 0
    table = pd.read_csv(out / "multiverse.csv")
    assert len(table) == 4 and table["prespecified"].sum() == 1
    assert (out / "specification_curve.png").stat().st_size > 0
    assert "pre-declared analysis" in (out / "specification_curve.alt.txt").read_text()
    assert "SYNTHETIC" in (out / "multiverse.html").read_text().upper()
    for path in out.iterdir():
        assert not scan_file(path, 10), path
    assert len(list((tmp_path / ".cache" / "multiverse").glob("*.jsonl"))) == 1
