"""An evaluation reads only its programme's people and offences (decision 0502), and that
changes no number: the cut read from the files equals the cut of the whole extract, and the
design and outcomes built on the cut equal those built on the whole extract."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.analysis.derive import derive_analysis_outcomes
from evaluation.cohort.build import programme_extract
from evaluation.config import list_programmes, load_programme_config
from evaluation.data.gate import ExtractInvalid, input_digest, open_validated_extract
from evaluation.data.io import PROGRAMME_CUT, load_extract, programme_people
from evaluation.design.build import build_design
from evaluation.synth import generate, write_world

PROGRAMMES = list_programmes()


@pytest.fixture(scope="module", params=["parquet", "csv"])
def folder(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"cut-{request.param}")
    write_world(generate(seed=11, scale=0.02), directory, fmt=request.param)
    return directory


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.mark.parametrize("programme", PROGRAMMES)
def test_reading_the_cut_equals_cutting_the_whole_extract(folder, programme):
    whole = load_extract(folder)
    expected = whole.for_people(programme_people(whole.tables, programme))
    read = load_extract(folder, programme=programme)
    assert read.derived[PROGRAMME_CUT] == programme
    for name, frame in expected.tables.items():
        _same(read.tables[name], frame)
    ids = set(programme_people(whole.tables, programme))
    assert set(read.tables["people"]["person_id"]) == ids & set(whole.tables["people"]["person_id"])
    assert len(read.tables["offences"]) < len(whole.tables["offences"])
    # the offences kept keep their row labels (positions in the file)
    assert read.tables["offences"].index.isin(whole.tables["offences"].index).all()


@pytest.mark.parametrize("programme", ["iom", "conditional_caution"])
def test_design_and_outcomes_on_the_cut_equal_those_on_the_whole_extract(folder, programme):
    config = load_programme_config(programme)
    whole = load_extract(folder)
    cut = programme_extract(whole, config)
    assert programme_extract(cut, config) is cut  # already cut: not cut again
    design_whole, design_cut = build_design(config, whole), build_design(config, cut)
    _same(design_cut.frame, design_whole.frame)
    window = config.outcomes.window_days
    _same(derive_analysis_outcomes(design_cut.analysis_set, cut, config, window, None),
          derive_analysis_outcomes(design_whole.analysis_set, whole, config, window, None))


def test_the_gate_reads_the_cut_only_for_bytes_this_run_validated(folder, tmp_path):
    digest = input_digest(folder)
    cut = open_validated_extract(folder, validated_digest=digest, programme="iom")
    assert cut.derived.get(PROGRAMME_CUT) == "iom"
    stale = open_validated_extract(folder, validated_digest="0" * 64, programme="iom")
    assert PROGRAMME_CUT not in stale.derived  # not these bytes: read whole and validated
    assert len(stale.tables["people"]) > len(cut.tables["people"])
    broken = tmp_path / "broken"
    write_world(generate(seed=11, scale=0.02), broken)
    people = pd.read_parquet(broken / "people.parquet")
    people.loc[0, "sex"] = "not a sex"
    people.to_parquet(broken / "people.parquet", index=False)
    with pytest.raises(ExtractInvalid):  # another extract's digest never skips the rules
        open_validated_extract(broken, validated_digest=digest, programme="iom")
