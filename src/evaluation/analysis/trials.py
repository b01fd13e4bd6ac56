"""Intention to treat and per-protocol effects of the sequential trials (decision 0406).

Intention to treat is the pipeline's own estimate on the stacked trials: every comparison is
followed from time zero whatever happens later, so a comparison adopted in a later round keeps
follow-up that includes IOM. Per protocol ("adopted now" against "never adopted during
follow-up") censors each comparison at their later adoption and reweights the rest by inverse
probability of censoring (``estimators.ipcw``), the model using the logit of the propensity
score (``censoring_covariates``). The treated are never censored: adoption is their protocol.
The hazard ratio is a Cox model on the (start, stop] rows with R's robust variance
(``estimators.cox_counting``; lifelines' is wrong on split rows), clustered as the intention
to treat estimate: on the cluster, two-way with the matched set where a person recurs.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from evaluation.analysis.effects import numeric_covariates, set_cluster
from evaluation.config import ProgrammeConfig
from evaluation.estimators.binary import binary_effect
from evaluation.estimators.common import RESULT_COLUMNS
from evaluation.estimators.cox_counting import cox_counting_effect
from evaluation.estimators.ipcw import censoring_weights

ITT, PER_PROTOCOL = "intention_to_treat", "per_protocol"


def adoption_censoring(analysis: pd.DataFrame) -> pd.DataFrame:
    """Per-protocol follow-up: comparisons censored on the day of a later adoption (an
    offence on that day still counts, as for every censoring; decision 0004)."""
    out = analysis.copy()
    later = pd.to_datetime(out["adopted_date"])
    a = (later - pd.to_datetime(out["index_date"])).dt.days.to_numpy(dtype=float)
    comparison = (out["treated"] == 0).to_numpy()
    by_adoption = comparison & np.isfinite(a) & (a < out["duration_days"].to_numpy())
    out["censored_by_adoption"] = by_adoption.astype(int)
    out["pp_duration"] = np.where(by_adoption, a, out["duration_days"])
    out["pp_event"] = np.where(by_adoption, 0, out["event"]).astype(int)
    return out


def censoring_covariates(df: pd.DataFrame, config: ProgrammeConfig) -> list[str]:
    """What a later adoption is modelled on: the logit of the propensity score, the baseline
    summary of what predicts adoption. A dozen covariates on a few dozen later adoptions
    separate the model and give weights of millions (measured in the scenario study)."""
    if "propensity" not in df.columns:
        return numeric_covariates(df, config)
    p = df["propensity"].clip(1e-12, 1 - 1e-12)
    df["logit_propensity"] = np.log(p / (1 - p))
    return ["logit_propensity"]


def _cox_counting(rows: pd.DataFrame, cluster: str | None, set_col: str | None,
                  alpha: float) -> dict[str, Any]:
    """The hazard ratio row; without a cluster, each person's rows are their cluster."""
    table = cox_counting_effect(rows, start_col="start", stop_col="stop", event_col="pp_event",
                                weights_col="w", cluster_col=cluster or "row",
                                set_col=set_col, alpha=alpha)
    row = table.iloc[0].to_dict()
    row["method"] = "inverse probability of censoring weights; " + row["method"]
    row["n"] = int(rows["row"].nunique())
    return row


class PerProtocolData(NamedTuple):
    """The analysis set with adoption censoring (``df``), the comparisons' weighted intervals
    (``pi``), the Cox model's (start, stop] rows (``rows``: the treated whole, the comparisons
    by interval, ``row`` the analysis-set row, ``last`` its final interval, ``w`` design weight
    x censoring weight, the cluster and set columns) and the censoring model's covariates."""

    df: pd.DataFrame
    pi: pd.DataFrame
    rows: pd.DataFrame
    covariates: list[str]


def counting_rows(analysis: pd.DataFrame, config: ProgrammeConfig, weights: str,
                  cluster: str | None) -> PerProtocolData:
    """Adoption censoring, censoring weights and the counting-process rows (PerProtocolData)."""
    df = adoption_censoring(analysis).reset_index(drop=True)
    covariates = censoring_covariates(df, config)
    comp = df.loc[df["treated"] == 0]
    pi = censoring_weights(comp, duration_col="pp_duration", censor_col="censored_by_adoption",
                           covariates=covariates)
    pi["row"] = comp.index.to_numpy()[pi["row"].to_numpy()]
    treated = df.loc[df["treated"] == 1]
    tr = pd.DataFrame({"row": treated.index, "k": 0, "start": 0.0,
                       "stop": treated["pp_duration"].to_numpy(float), "censored": 0,
                       "weight": 1.0, "weight_unstabilised": 1.0})
    rows = pd.concat([tr, pi[tr.columns]], ignore_index=True)
    rows["last"] = rows.groupby("row")["k"].transform("max") == rows["k"]
    base = df.loc[rows["row"]]
    rows["pp_event"] = np.where(rows["last"], base["pp_event"].to_numpy(), 0)
    rows["treated"] = base["treated"].to_numpy()
    rows["w"] = base[weights].to_numpy(float) * rows["weight"].to_numpy()
    for col in {cluster, set_cluster(df, config, cluster)} - {None}:
        rows[col] = base[col].to_numpy()
    return PerProtocolData(df, pi, rows, covariates)


def per_protocol_effects(analysis: pd.DataFrame, config: ProgrammeConfig, weights: str,
                         cluster: str | None, alpha: float = 0.05
                         ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-protocol hazard ratio and one-year risk difference, with IPCW, and diagnostics."""
    df, pi, rows, covariates = counting_rows(analysis, config, weights, cluster)
    last = rows["last"]
    rows = rows.loc[rows["stop"] > rows["start"]]
    hr = _cox_counting(rows, cluster, set_cluster(df, config, cluster), alpha)
    # one-year risk: complete read-outs not censored by adoption, weighted by the inverse
    # probability of staying uncensored to the end of their follow-up (the reoffence or the
    # window's end). Unstabilised: the stabilised weight's numerator falls with follow-up, so
    # in this mean it over-counts early reoffenders (-0.17 bias with 80% crossover, 0406)
    end_w = rows.loc[last.loc[rows.index]].set_index("row")["weight_unstabilised"]
    complete = df.loc[df["eligible_for_readout"].astype(bool) & (df["censored_by_adoption"] == 0)]
    complete = complete.assign(reoffended=complete["reoffended"].astype(int),
                               pp_weight=complete[weights].to_numpy(float)
                               * end_w.reindex(complete.index).fillna(1.0).to_numpy())
    rd = binary_effect(complete, outcome_col="reoffended", treatment_col="treated",
                       weights_col="pp_weight", cluster_col=cluster, alpha=alpha)
    rd_row = rd.loc[rd["term"] == "risk_difference"].iloc[0].to_dict()
    rd_row["method"] = "inverse probability of censoring weights; " + rd_row["method"]
    table = pd.DataFrame([hr, rd_row], columns=RESULT_COLUMNS)
    w = pi.groupby("row")["weight"].last()
    diagnostics = {"n_censored_by_adoption": int(df["censored_by_adoption"].sum()),
                   "n_comparison": int((df["treated"] == 0).sum()),
                   "censoring_covariates": covariates,
                   "weight_mean": float(w.mean()) if len(w) else 1.0,
                   "weight_max": float(w.max()) if len(w) else 1.0}
    return table.assign(analysis=PER_PROTOCOL), diagnostics


def itt_and_per_protocol(details: dict[str, pd.DataFrame], per_protocol: pd.DataFrame
                         ) -> pd.DataFrame:
    """The hazard ratio and risk difference side by side: intention to treat (the pipeline's
    estimates on the stacked trials) and per protocol."""
    itt = pd.concat([details["cox"].loc[details["cox"]["term"] == "hazard_ratio"],
                     details["binary"].loc[details["binary"]["term"] == "risk_difference"]])
    return pd.concat([itt.assign(analysis=ITT), per_protocol], ignore_index=True)[
        ["analysis", *RESULT_COLUMNS]]
