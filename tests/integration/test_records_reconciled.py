"""Nothing lost: every person, programme episode and comparison-pool row of an extract is in a
programme's attrition ledger (analysed or excluded with a reason) or outside every evaluated
programme with that reason. Asserted on a synthetic extract (whole evaluations: cohort,
matching, outcomes) and on every catalogue extract that passes validation (cohort ledgers)."""

from __future__ import annotations

import pandas as pd
import pytest
from malformed_cases import HARMLESS, base_tables, write

from evaluation.analysis.programme import evaluate_programme
from evaluation.cohort.attrition import Attrition
from evaluation.cohort.build import build_cohort
from evaluation.cohort.reconcile import RecordsNotReconciled, reconcile_records
from evaluation.config import list_programmes, load_programme_config
from evaluation.data.gate import open_validated_extract
from evaluation.design.estimability import NotEstimable
from evaluation.synth import generate, write_world

CONFIGS = [load_programme_config(name) for name in list_programmes()]
def _check(table: pd.DataFrame, tables) -> None:
    """Each table's records = received by a ledger + accounted otherwise, and the ledger's
    received = excluded + analysed."""
    assert (table["received"] + table["other"] == table["records"]).all()
    body = table.loc[table["table"] != "people"]
    assert (body["excluded"] + body["analysed"] == body["received"]).all()
    for name in ("programme_episodes", "comparison_pool"):
        assert table.loc[table["table"] == name, "records"].sum() == len(tables[name])
    assert table.loc[table["table"] == "people", "records"].item() == len(tables["people"])


def test_a_synthetic_extract_reconciles_through_whole_evaluations(tmp_path):
    directory = tmp_path / "synthetic"
    write_world(generate(seed=11, scale=0.02), directory)
    extract = open_validated_extract(directory)
    ledgers, analysed = {}, {}
    for config in CONFIGS:
        try:
            ev = evaluate_programme(config, extract)
        except NotEstimable as exc:  # stopped with a statement: the cohort ledger still holds
            ledgers[config.programme] = exc.cohort.attrition
            continue
        ledgers[config.programme], analysed[config.programme] = ev.attrition, ev.analysis
    assert analysed, "at least one programme evaluated to the end"
    table = reconcile_records(extract.tables, ledgers, analysed)
    _check(table, extract.tables)
    assert (table.loc[table["table"] != "people", "other"] == 0).all()  # all four evaluated


@pytest.mark.parametrize("name", ["base", *HARMLESS])
def test_every_catalogue_extract_that_passes_validation_reconciles(tmp_path, name):
    folder = tmp_path / "extract"
    write(folder, base_tables()) if name == "base" else HARMLESS[name](folder)
    extract = open_validated_extract(folder)
    ledgers = {c.programme: build_cohort(extract.tables, extract.data_cutoff, c).attrition
               for c in CONFIGS}
    table = reconcile_records(extract.tables, ledgers)
    _check(table, extract.tables)


def test_a_record_missing_from_a_ledger_is_caught(tmp_path):
    extract = open_validated_extract(write(tmp_path / "x", base_tables()))
    ledgers = {c.programme: build_cohort(extract.tables, extract.data_cutoff, c).attrition
               for c in CONFIGS}
    short = Attrition(group_col="group")  # a ledger handed one episode too few
    iom = ledgers["iom"].table()
    short.start(pd.DataFrame({"group": ["comparison"] * int(
        iom.loc[(iom["reason"] == "received") & (iom["group"] == "comparison"),
                "n_before"].sum())}))
    ledgers["iom"] = short
    with pytest.raises(RecordsNotReconciled, match="programme_episodes iom: 1 records, 0"):
        reconcile_records(extract.tables, ledgers)


def test_programmes_not_evaluated_are_accounted_with_a_reason(tmp_path):
    extract = open_validated_extract(write(tmp_path / "x", base_tables()))
    iom = next(c for c in CONFIGS if c.programme == "iom")
    table = reconcile_records(extract.tables,
                              {"iom": build_cohort(extract.tables, extract.data_cutoff,
                                                   iom).attrition})
    other = table.loc[(table["programme"] != "iom") & (table["table"] != "people")]
    assert (other["other"] == other["records"]).all() and len(other) == 3
    assert set(other["other_reason"]) == {"programme not evaluated in this run"}
