"""Write cmprsk_small.csv: the small, seeded competing-risks data that cmprsk_reference.R reads.

Run once; committed. Whole 30-day steps so that reoffences tie with reoffences, with deaths and
with censorings at the same day; a binary programme flag, one continuous covariate and
non-integer case weights (for the weighted Aalen-Johansen check against survival::survfit).
status: 0 censored, 1 reoffence (event of interest), 2 death (competing).
Run: .venv/bin/python tests/reference/cmprsk/make_cmprsk_data.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261202)
n = 90
treated = np.r_[np.ones(45, dtype=int), np.zeros(45, dtype=int)]
age = rng.normal(0, 1, n).round(2)
rate1 = 1 / 400 * np.exp(-0.5 * treated + 0.4 * age)
rate2 = 1 / 1500 * np.exp(0.6 * age)
t1 = rng.exponential(1 / rate1)
t2 = rng.exponential(1 / rate2)
tc = np.where(rng.random(n) < 0.35, rng.uniform(30, 720, n), 720.0)
raw = np.minimum.reduce([t1, t2, tc])
time = np.ceil(raw / 30) * 30
status = np.select([t1 == raw, t2 == raw], [1, 2], 0)
status[time >= 720] = np.where(raw[time >= 720] == tc[time >= 720], 0, status[time >= 720])
weight = rng.choice([0.5, 1.0, 1.5, 2.5], size=n)
df = pd.DataFrame({"id": np.arange(1, n + 1), "time": time, "status": status,
                   "treated": treated, "age": age, "weight": weight})
df.to_csv(Path(__file__).with_name("cmprsk_small.csv"), index=False)
print(df.groupby(["treated", "status"]).size())
print("tied times:", (df.time.value_counts() > 1).sum())
