"""The specification curve: every multiverse estimate with its interval, sorted, the
pre-declared analysis marked, so a reader sees at once whether the answer hangs on one choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from evaluation.reporting.style import COMPARISON_COLOUR, PROGRAMME_COLOUR


def specification_curve(ax: Axes, table: pd.DataFrame) -> Axes:
    """Hazard ratios (log scale) by rank; the pre-declared one a larger filled diamond."""
    x = table["rank"].to_numpy()
    est = table["hazard_ratio"].to_numpy()
    err = np.vstack([est - table["lower"].to_numpy(), table["upper"].to_numpy() - est])
    ax.errorbar(x, est, yerr=err, fmt="o", color=PROGRAMME_COLOUR, ecolor="0.6", ms=4,
                label="one combination of choices (95% interval)")
    declared = table["prespecified"].to_numpy(dtype=bool)
    ax.plot(x[declared], est[declared], "D", color=COMPARISON_COLOUR, ms=9,
            markeredgecolor="black", label="the pre-declared analysis")
    ax.axhline(1.0, color="black", lw=1, ls="--")
    ax.set_yscale("log")
    ax.set_xlabel("analyses, sorted by their estimate")
    ax.set_ylabel("hazard ratio (below 1 favours the programme)")
    ax.legend(frameon=False, loc="best")
    return ax


def specification_alt_text(table: pd.DataFrame) -> str:
    declared = table.loc[table["prespecified"].astype(bool)].iloc[0]
    below = int((table["upper"] < 1).sum())
    above = int((table["lower"] > 1).sum())
    return (f"Specification curve of {len(table)} analyses: hazard ratios from "
            f"{table['hazard_ratio'].min():.2f} to {table['hazard_ratio'].max():.2f}; the "
            f"pre-declared analysis {declared['hazard_ratio']:.2f} (rank {int(declared['rank'])}); "
            f"{below} intervals lie wholly below 1 and {above} wholly above 1.")
