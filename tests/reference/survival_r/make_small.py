"""Write small.csv: the small, seeded dataset that survival_r.R analyses (run once; committed).

Integer days so there are ties (events tied with events and with censorings), non-integer
weights, and matched-set clusters that span both groups, like a matched design.
Run: .venv/bin/python tests/reference/survival_r/make_small.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261122)
n = 60
treated = np.repeat([1, 0], n // 2)
x = rng.normal(size=n).round(2)
rate = 1 / 300 * np.exp(-0.4 * treated + 0.5 * x)
t_event = np.ceil(rng.exponential(1 / rate) / 10) * 10  # whole 10-day steps -> ties
t_cens = np.where(rng.random(n) < 0.3, np.ceil(rng.uniform(20, 500, n) / 10) * 10, 500.0)
time = np.minimum(t_event, t_cens)
event = (t_event <= t_cens).astype(int)
weight = rng.choice([0.5, 1.0, 1.5, 2.5], size=n)
match_set = np.r_[np.arange(n // 2), np.arange(n // 2)] // 2  # 15 sets, each with 2 + 2 people
df = pd.DataFrame({"id": np.arange(1, n + 1), "time": time, "event": event, "treated": treated,
                   "x": x, "weight": weight, "match_set": match_set})
df.to_csv(Path(__file__).with_name("small.csv"), index=False)
