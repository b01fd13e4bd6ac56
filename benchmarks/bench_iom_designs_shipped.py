"""IOM on the shipped synthetic data (data/synthetic, `make data`): the old design beside the
sequential trials (intention to treat and per protocol), with the planted truth. The
per-protocol hazard ratio's variance is the counting-process sandwich (estimators/cox_counting.py);
with nobody censored by adoption it must equal the intention-to-treat one.

Run from the project root:
  .venv/bin/python benchmarks/bench_iom_designs_shipped.py > benchmarks/results/iom_designs_shipped.json
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    from bench_coverage import _effects
    from bench_scenarios import OLD_IOM

    from evaluation.analysis.derive import derive_analysis_outcomes
    from evaluation.analysis.trials import per_protocol_effects
    from evaluation.config import load_programme_config
    from evaluation.data.io import load_extract
    from evaluation.design.build import build_design

    warnings.simplefilter("ignore")
    t = time.time()
    extract = load_extract("data/synthetic")
    truth = json.loads(Path("data/synthetic/truth.json").read_text())["programmes"]["iom"]
    new = load_programme_config("iom")
    old = new.with_overrides(OLD_IOM)
    out: dict = {"truth": {k: truth[k] for k in ("hazard_ratio", "risk_difference")}}
    for name, config in (("old", old), ("new", new)):
        design = build_design(config, extract)
        frame = derive_analysis_outcomes(design.analysis_set, extract, config, 365,
                                         attrition=None)
        row = {"n_treated": int((frame.treated == 1).sum()),
               "n_comparison": int((frame.treated == 0).sum()),
               "n_treated_unmatched": design.summary["n_treated_unmatched"],
               **_effects(frame, "weight", "cluster")}
        if name == "new":
            pp, diag = per_protocol_effects(frame, config, "weight", "cluster")
            row["per_protocol"] = pp[["term", "estimate", "std_error", "lower", "upper",
                                      "method"]].to_dict("records")
            row["per_protocol_diagnostics"] = {k: v for k, v in diag.items()
                                               if k != "censoring_covariates"}
            row["trials"] = design.summary["trials"]
        out[name] = row
    out["seconds"] = round(time.time() - t, 1)
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
