"""Benchmark: outcome derivation on 1,000,000 people and ~10,000,000 offences.

Run: ``.venv/bin/python benchmarks/bench_outcomes.py [--people N] [--offences M] [--repeats R]``.
Data come from a plain numpy generator here (not the synth package) so the benchmark measures
only the outcomes module. Times are wall-clock (median of the repeats) for ``derive_outcomes``
and ``before_during``; memory is the process peak resident set (``resource.getrusage``), which
includes the generated data, reported with the baseline after generation, plus the peak of
allocations traced by ``tracemalloc`` during one extra run of each function. Targets: < 60 s and
< 6 GiB. Results go to benchmarks/results/outcomes.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.data.contract import OFFENCE_CATEGORIES, OUTCOMES
from evaluation.outcomes import before_during, derive_outcomes

RESULTS = Path(__file__).resolve().parent / "results" / "outcomes.json"
CUTOFF = pd.Timestamp("2022-12-31")


def _days(start: str, n: np.ndarray) -> np.ndarray:
    return np.datetime64(start, "D") + n.astype("timedelta64[D]")


def generate(n_people: int, n_offences: int, seed: int = 20240101, string_ids: bool = False):
    """People, one index row each, and offences with outcomes, proof lags and custody spells."""
    rng = np.random.default_rng(seed)
    cut = np.datetime64(CUTOFF.date(), "D")
    person_id = np.arange(n_people, dtype=np.int64)
    dob = _days("1960-01-01", rng.integers(0, 45 * 365, n_people))
    death = np.full(n_people, np.datetime64("NaT"), dtype="datetime64[D]")
    dies = rng.random(n_people) < 0.02
    death[dies] = _days("2016-01-01", rng.integers(0, 7 * 365, dies.sum()))
    index_date = _days("2017-01-01", rng.integers(0, 5 * 365, n_people))
    death[dies] = np.maximum(death[dies], index_date[dies] - 30)  # some die before the index
    death = np.where(death > cut, np.datetime64("NaT"), death)
    people = pd.DataFrame({"person_id": person_id, "date_of_birth": dob.astype("M8[ns]"),
                           "date_of_death": death.astype("M8[ns]")})
    index = pd.DataFrame({"person_id": person_id, "index_date": index_date.astype("M8[ns]"),
                          "treated": rng.integers(0, 2, n_people)})

    who = rng.integers(0, n_people, n_offences)
    off_day = _days("2012-01-01", rng.integers(0, 11 * 365, n_offences))
    last = np.where(np.isnat(death[who]), cut, death[who])
    off_day = np.minimum(off_day, last)
    outcome_p = np.array([0.35, 0.08, 0.04, 0.03, 0.1, 0.3, 0.1])
    outcome = rng.choice(np.array(OUTCOMES), n_offences, p=outcome_p / outcome_p.sum())
    proven = off_day + rng.exponential(90, n_offences).astype("timedelta64[D]")
    disposed = ~np.isin(outcome, ["no_further_action", "pending"])
    late = disposed & (proven > cut)
    outcome[late] = "pending"
    disposed &= ~late
    proven = np.where(disposed, proven, np.datetime64("NaT"))
    custody = (outcome == "conviction") & (rng.random(n_offences) < 0.12)
    c_start = np.where(custody, proven, np.datetime64("NaT"))
    c_rel = c_start + rng.integers(14, 700, n_offences).astype("timedelta64[D]")
    c_rel = np.where(c_rel > cut, np.datetime64("NaT"), c_rel)
    offences = pd.DataFrame({
        "offence_id": np.arange(n_offences, dtype=np.int64),
        "person_id": who,
        "offence_date": off_day.astype("M8[ns]"),
        "proven_date": proven.astype("M8[ns]"),
        "offence_category": pd.Categorical(
            rng.choice(np.array(OFFENCE_CATEGORIES), n_offences), categories=OFFENCE_CATEGORIES),
        "outcome": pd.Categorical(outcome, categories=OUTCOMES),
        "custody_start": c_start.astype("M8[ns]"),
        "custody_release": c_rel.astype("M8[ns]"),
    })
    if string_ids:  # pseudonymous string ids, as in a real extract (slower look-ups)
        ids = pd.Series(person_id).map("P{:08d}".format)
        people["person_id"] = ids.to_numpy()
        index["person_id"] = people["person_id"]
        offences["person_id"] = ids.to_numpy()[who]
    return index, offences, people


def peak_rss_gib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kib / 2**20


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--offences", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--string-ids", action="store_true", help="person ids as strings")
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    index, offences, people = generate(a.people, a.offences, string_ids=a.string_ids)
    gen_s = time.perf_counter() - t0
    base_gib = peak_rss_gib()
    times = {"derive_outcomes": [], "before_during": []}
    for _ in range(a.repeats):
        t = time.perf_counter()
        out = derive_outcomes(index, offences, people, CUTOFF)
        times["derive_outcomes"].append(time.perf_counter() - t)
        t = time.perf_counter()
        bd = before_during(index, offences, people, CUTOFF)
        times["before_during"].append(time.perf_counter() - t)
    # allocations of one more run of each, traced (slower, so not part of the timings)
    tracemalloc.start()
    derive_outcomes(index, offences, people, CUTOFF)
    derive_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    before_during(index, offences, people, CUTOFF)
    bd_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    total = [x + y for x, y in zip(times["derive_outcomes"], times["before_during"], strict=True)]
    result = {
        "people": a.people,
        "offences": a.offences,
        "index_rows_analysed": int(len(out)),
        "before_during_rows": int(len(bd)),
        "eligible_for_readout": int(out["eligible_for_readout"].sum()),
        "reoffended_rate_eligible": float(out.loc[out.eligible_for_readout, "reoffended"].mean()),
        "repeats": a.repeats,
        "generate_s": round(gen_s, 2),
        "derive_outcomes_s": [round(x, 2) for x in times["derive_outcomes"]],
        "before_during_s": [round(x, 2) for x in times["before_during"]],
        "median_total_s": round(statistics.median(total), 2),
        "peak_rss_gib": round(peak_rss_gib(), 3),
        "rss_after_generation_gib": round(base_gib, 3),
        "derive_outcomes_peak_alloc_gib": round(derive_peak / 2**30, 3),
        "before_during_peak_alloc_gib": round(bd_peak / 2**30, 3),
        "string_ids": a.string_ids,
        "targets": {"seconds": 60, "gib": 6},
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "machine": platform.machine(),
        "cpu_note": "2 cores shared with other jobs; wall-clock, so timings are upper bounds",
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
