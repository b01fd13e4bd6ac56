"""Harder synthetic worlds: named departures from the default world, chosen by a flag.

The default world is ignorable by construction: selection runs only on what the extract shows,
both arms' index dates mark the same event, and nobody in a pool is adopted later. Each scenario
breaks one of those properties, with a strength recorded in the planted truth
(``SyntheticWorld.truth``), so a study can say which designs are biased by it and which
recover the truth. The truth is still the contrast of
the treated's two potential-outcome histories (``effects.att_truth``), so it is exact whatever
the scenario does to the analysis.

``default`` changes nothing: the same seed gives the same bytes as before scenarios existed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from evaluation.data.contract import AREAS

from . import rng


@dataclass(frozen=True)
class Scenario:
    """What a world departs from the default in (every field's default is "no departure")."""

    name: str = "default"
    description: str = "the calibrated default world: selection on observables only"
    # IOM adoption happens this many days (uniform, inclusive range) after the scoring round
    # that crossed the threshold; the comparison's index date stays the scoring date.
    iom_adoption_lag_days: tuple[int, int] | None = None
    # share of the scored-not-adopted who are adopted at a later date (days after scoring,
    # uniform range); they keep their pool row with the scoring date as index date.
    iom_crossover_share: float = 0.0
    iom_crossover_days: tuple[int, int] = (91, 540)
    # every later upward crossing of the threshold is a new scoring round for the not adopted
    # (a new pool row, a new chance of adoption), not only the first.
    iom_rescoring: bool = False
    # a person-level N(0, 1) trait absent from the extract: log offending intensity per SD, and
    # log-odds of selection (IOM adoption, New Chance and Prince's Trust referral) per SD.
    confounder_offending: float = 0.0
    confounder_selection: float = 0.0
    # by area (in contract AREAS order): added probability of no further action, and a factor
    # on the median time from offence to proof (charging and court delay).
    area_nfa_shift: tuple[float, ...] | None = None
    area_proof_delay: tuple[float, ...] | None = None
    # the planted IOM effect (theta on the offending intensity) instead of the default 0.90:
    # a stronger effect makes a design's contamination or immortal-time bias big enough to see
    iom_theta: float | None = None

    @property
    def is_default(self) -> bool:
        return self == Scenario()

    @property
    def changes_iom(self) -> bool:
        """Whether IOM selection departs from the default rule."""
        return bool(self.iom_adoption_lag_days or self.iom_crossover_share or self.iom_rescoring
                    or self.confounder_selection)

    def theta_for(self, programme: str, default: float) -> float:
        """The planted effect of ``programme`` in this world (``default`` unless overridden)."""
        return self.iom_theta if programme == "iom" and self.iom_theta is not None else default

    def record(self) -> dict:
        """The scenario's parameters, as recorded in the planted truth and the extract metadata.

        Fields added after the first scenarios are left out while at their default, so the
        earlier scenarios' truth.json stays byte for byte as it was."""
        out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}
        for k in LATER_FIELDS:
            if out[k] is None:
                del out[k]
        return out


LATER_FIELDS = ("iom_theta",)


def _by_area(values: dict[str, float], fill: float) -> tuple[float, ...]:
    return tuple(float(values.get(a, fill)) for a in AREAS)


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario(),
    Scenario("adoption_lag",
             "IOM adoption 2-12 weeks after the scoring round; the comparison's index date is "
             "the scoring date (an immortal window and later covariates for the treated)",
             iom_adoption_lag_days=(14, 84)),
    Scenario("crossover",
             "30% of the scored-not-adopted are adopted 3-18 months after scoring and keep "
             "their comparison row",
             iom_crossover_share=0.30),
    Scenario("rescoring",
             "the not adopted are scored again at every later threshold crossing: several pool "
             "rows per person, and adoption in a later round",
             iom_rescoring=True),
    Scenario("unmeasured_confounder",
             "a trait not in the extract raises offending (log rate +0.5 per SD) and selection "
             "(log-odds +1.0 per SD) into IOM, New Chance and Prince's Trust",
             confounder_offending=0.5, confounder_selection=1.0),
    Scenario("area_differences",
             "areas differ in charging (no further action -0.10 to +0.12) and in proof delay "
             "(median x0.7 to x1.8); New Chance areas charge less and prove later",
             area_nfa_shift=_by_area({"birmingham": 0.12, "sandwell": 0.08, "coventry": -0.10,
                                      "solihull": -0.05, "walsall": -0.08,
                                      "wolverhampton": -0.05}, 0.0),
             area_proof_delay=_by_area({"birmingham": 1.8, "sandwell": 1.5, "coventry": 0.7,
                                        "walsall": 0.8, "wolverhampton": 0.8}, 1.0)),
)}


# Stronger versions (issue 13): at the default strengths and scale 0.05 no design was
# detectably biased in 50 worlds. Here most of the pool is adopted inside its one-year
# follow-up, adoption lags the scoring round by months, and the planted effect is larger
# (theta 0.7), so contamination of the comparison and a late time zero show.
STRONG_THETA = 0.70
STRONG_CROSSOVER = dict(iom_crossover_share=0.80, iom_crossover_days=(30, 240))
STRONG_LAG = dict(iom_adoption_lag_days=(60, 240))
SCENARIOS.update({s.name: s for s in (
    Scenario("strong_effect",
             "the default selection with a larger planted IOM effect (theta 0.70): the "
             "reference for the strong scenarios", iom_theta=STRONG_THETA),
    Scenario("crossover_strong",
             "80% of the scored-not-adopted are adopted 1-8 months after scoring (inside their "
             "one-year follow-up) and keep their comparison row; IOM theta 0.70",
             iom_theta=STRONG_THETA, **STRONG_CROSSOVER),
    Scenario("adoption_lag_long",
             "IOM adoption 2-8 months after the scoring round; the comparison's index date is "
             "the scoring date; IOM theta 0.70", iom_theta=STRONG_THETA, **STRONG_LAG),
    Scenario("lag_and_crossover_strong",
             "adoption_lag_long and crossover_strong together; IOM theta 0.70",
             iom_theta=STRONG_THETA, **STRONG_LAG, **STRONG_CROSSOVER),
)})
STRONG = ("strong_effect", "crossover_strong", "adoption_lag_long", "lag_and_crossover_strong")


def get_scenario(name: str | Scenario | None) -> Scenario:
    if name is None:
        return SCENARIOS["default"]
    if isinstance(name, Scenario):
        return name
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose one of {sorted(SCENARIOS)}")
    return SCENARIOS[name]


S_CONFOUNDER = 107  # hash stream of the unmeasured trait (population streams are 101-106)


def confounder(seed: int, pid: np.ndarray) -> np.ndarray:
    """The unmeasured trait of each person: N(0, 1), a pure function of (seed, person)."""
    return rng.normal(seed, S_CONFOUNDER, pid)
