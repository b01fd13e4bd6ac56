"""The configuration's typed sections and their cross-field rules.

Every section forbids unknown keys and is frozen; derived values are properties, so they are
recomputed whenever the object is rebuilt (e.g. by ``with_overrides``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from evaluation.cohort.covariates import COVARIATE_COLUMNS
from evaluation.cohort.index_offence import INDEX_OFFENCE_CATEGORICAL
from evaluation.config.design import DesignConfig
from evaluation.config.errors import ConfigError, describe_error, suggest
from evaluation.config.overrides import parse_overrides, set_dotted, yaml_scalar
from evaluation.data.contract import (
    AREAS,
    POOL_REASONS,
    PROGRAMME_EPISODES,
    PROGRAMME_FIELDS,
    PROGRAMMES,
    SEXES,
)
from evaluation.outcomes.registry import OUTCOME_KEYS

# Covariates built by ``evaluation.cohort.covariates.build_covariates`` (definitions in its docstring).
BASE_COVARIATES = COVARIATE_COLUMNS
CATEGORICAL_BASE = ("sex", "ethnicity_group", "area", *INDEX_OFFENCE_CATEGORICAL)
# Programme fields that are decided at or after the start of the programme, or that define who
# is treated: adjusting for them would adjust away part of the effect (or all of it).
NOT_COVARIATES = {
    "iom_pillar": "is assigned when IOM management starts (comparison people have none)",
    "pt_completed": "is known only after the programme (a post-treatment variable)",
    "pt_progression": "is an outcome of the programme, not a baseline characteristic",
    "disposal_type": "defines who is treated",
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class TreatedConfig(_Section):
    # Field -> allowed values on programme_episodes (e.g. disposal_type: [conditional_caution]).
    where: dict[str, list[str]] = Field(default_factory=dict)
    # Intention to treat by default: everyone who started counts as treated.
    include_non_completers: bool = True

    @field_validator("where", mode="before")
    @classmethod
    def _scalars_to_lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v if isinstance(v, list) else [v] for k, v in value.items()}
        return value


class ComparisonConfig(_Section):
    pool_reasons: list[Literal[POOL_REASONS]] = Field(min_length=1)  # type: ignore[valid-type]
    # A pool person listed with several index dates: keep the first eligible one, or all of them
    # (then analyses must cluster on person_id). See docs/decisions/0201-cohort-assembly.md.
    index_dates: Literal["first_eligible", "all"] = "first_eligible"
    # Which episodes make a comparison row contaminated (and a participant a prior user):
    # only those that count as treated, or any episode of the programme, of whatever kind
    # (IOM: managed under another pillar is managed; decision 0407).
    contamination: Literal["as_treated", "any_episode"] = "as_treated"

    @field_validator("pool_reasons")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("pool_reasons lists a reason twice")
        return value


class EligibilityConfig(_Section):
    age_min: int | None = Field(None, ge=10, le=120)  # completed years at the index date
    age_max: int | None = Field(None, ge=10, le=120)
    sexes: list[Literal[SEXES]] | None = None  # type: ignore[valid-type]
    areas: list[Literal[AREAS]] | None = None  # type: ignore[valid-type]
    max_prior_convictions: int | None = Field(None, ge=0)
    max_prior_recorded: int | None = Field(None, ge=0)
    index_date_from: dt.date | None = None  # inclusive
    index_date_to: dt.date | None = None  # inclusive

    @model_validator(mode="after")
    def _ranges(self) -> EligibilityConfig:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError(f"age_min ({self.age_min}) is above age_max ({self.age_max})")
        if (self.index_date_from is not None and self.index_date_to is not None
                and self.index_date_from > self.index_date_to):
            raise ValueError(
                f"index_date_from ({self.index_date_from}) is after index_date_to "
                f"({self.index_date_to})"
            )
        return self


class CovariatesConfig(_Section):
    include: list[str] = Field(min_length=1)  # the propensity model's covariates
    categorical: list[str] = Field(default_factory=list)  # entered as indicator columns


class OutcomesConfig(_Section):
    # follow-up for an offence to count; MoJ measures use 1 year (up to 10 years is allowed)
    window_days: int = Field(365, gt=0, le=3653)
    waiting_days: int = Field(182, ge=0)  # further time for it to be proven (MoJ: six months)
    readouts: list[int] = Field(default_factory=lambda: [91, 182, 365, 730])
    # Names and values as evaluation.outcomes.reoffending.OutcomeSpec takes them.
    # Custody during follow-up: "exclude_time" removes custody days from days_at_risk;
    # "censor" also censors time to reoffence at the first custody day.
    custody: Literal["exclude_time", "censor"] = "exclude_time"
    # A row whose follow-up is incomplete at the cut-off: kept (survival only) or excluded.
    too_late: Literal["keep", "exclude"] = "keep"
    # Also compare offending in the year before and the year during (the board papers' IDIOM
    # table and a difference-in-differences); for programmes whose papers report it (IOM).
    before_during: bool = False

    @field_validator("readouts")
    @classmethod
    def _readouts(cls, value: list[int]) -> list[int]:
        if any(v <= 0 for v in value):
            raise ValueError("readouts must be positive numbers of days")
        if value != sorted(set(value)):
            raise ValueError(f"readouts must be increasing without repeats, got {value}")
        return value

    @property
    def follow_up_days(self) -> int:
        """Days after the index date the data must cover: window plus waiting period."""
        return self.window_days + self.waiting_days


class BalanceConfig(_Section):
    smd_good: float = Field(0.10, gt=0)  # |SMD| below this: balanced
    smd_fail: float = Field(0.20, gt=0)  # |SMD| above this: imbalance fails the design
    variance_ratio_min: float = Field(0.5, gt=0)
    variance_ratio_max: float = Field(2.0, gt=0)

    @model_validator(mode="after")
    def _order(self) -> BalanceConfig:
        if self.smd_good > self.smd_fail:
            raise ValueError(f"smd_good ({self.smd_good}) is above smd_fail ({self.smd_fail})")
        if self.variance_ratio_min >= self.variance_ratio_max:
            raise ValueError("variance_ratio_min must be below variance_ratio_max")
        return self


class PowerConfig(_Section):
    """Planning values for the minimum detectable effect, fixed before outcomes are seen."""

    baseline_rate: float = Field(0.25, gt=0, lt=1)  # expected one-year rate without the programme
    alpha: float = Field(0.05, gt=0, lt=1)
    power: float = Field(0.8, gt=0, lt=1)


class DisclosureConfig(_Section):
    threshold: int = Field(10, ge=1)  # cells below this are suppressed ([c])
    low_reliability_events: int = Field(30, ge=1)  # estimates from fewer events flagged [u]


class RobustnessConfig(_Section):
    """Checks of how far the answer could be moved by what the design cannot see (decision 0402)."""

    rosenbaum: bool = True  # Rosenbaum bounds for 1:1 matched pairs (binary, counts, who first)
    competing_risks: bool = True  # Aalen-Johansen incidence with death as a competing event
    event_study: bool = False  # monthly offending +-24 months around the index, pre-trends


class MultiverseConfig(_Section):
    """A grid of defensible analytic choices, each run as its own analysis (a specification
    curve). An empty list keeps the pre-declared choice; the pre-declared analysis is always in
    the grid and is marked in the chart."""

    window_days: list[int] = Field(default_factory=list)
    caliper: list[float] = Field(default_factory=list)
    ratio: list[int] = Field(default_factory=list)
    method: list[Literal["matching", "weighting"]] = Field(default_factory=list)
    waiting_period: list[bool] = Field(default_factory=list)  # False: proven by the cut-off only
    covariate_sets: dict[str, list[str]] = Field(default_factory=dict)  # name -> covariates


class BootstrapConfig(_Section):
    enabled: bool = False
    n_resamples: int = Field(1000, ge=50)


class ProgrammeConfig(_Section):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    # what the report's sentences call it ("people who received <short_title>"); default title
    short_title: str | None = Field(None, min_length=1)
    programme: Literal[PROGRAMMES]  # type: ignore[valid-type]
    description: str = Field(min_length=1)
    treated: TreatedConfig = Field(default_factory=TreatedConfig)
    comparison: ComparisonConfig
    eligibility: EligibilityConfig = Field(default_factory=EligibilityConfig)
    covariates: CovariatesConfig
    design: DesignConfig = Field(default_factory=DesignConfig)
    outcomes: OutcomesConfig = Field(default_factory=OutcomesConfig)
    headline: Literal[OUTCOME_KEYS]  # type: ignore[valid-type]  # outcomes/registry.py
    balance: BalanceConfig = Field(default_factory=BalanceConfig)
    power: PowerConfig = Field(default_factory=PowerConfig)
    disclosure: DisclosureConfig = Field(default_factory=DisclosureConfig)
    seed: int = Field(20190930, ge=0)
    bootstrap: BootstrapConfig = Field(default_factory=BootstrapConfig)
    robustness: RobustnessConfig = Field(default_factory=RobustnessConfig)
    multiverse: MultiverseConfig = Field(default_factory=MultiverseConfig)
    # effects by level, never the headline (analysis/subgroups.py, decision 0412)
    subgroups: list[Literal["sex", "age_band", "area"]] = Field(default_factory=list)

    _source: Path | None = PrivateAttr(default=None)
    _overrides: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _removed_keys(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and "data" in raw:
            raise ValueError(
                "the 'data' section (data.extract_dir) was removed: it was never read. The "
                "extract is chosen per run, for every programme at once: pass it with "
                "`evaluation run --data DIR` (default data/synthetic)"
            )
        return raw

    @model_validator(mode="after")
    def _cross_checks(self) -> ProgrammeConfig:
        fields = programme_fields(self.programme)
        for key, values in self.treated.where.items():
            if key not in fields:
                raise ValueError(
                    f"treated.where: '{key}' is not a programme_episodes field of "
                    f"{self.programme}{suggest(key, fields)}; valid: {', '.join(fields)}"
                )
            allowed = PROGRAMME_EPISODES.column(key).allowed
            if allowed is not None:
                bad = [v for v in values if v not in allowed]
                if bad:
                    raise ValueError(
                        f"treated.where.{key}: {bad} not allowed; use one of {', '.join(allowed)}"
                    )
        if not self.treated.include_non_completers and self.programme != "princes_trust":
            raise ValueError(
                "treated.include_non_completers: false needs a completion field, which only "
                "princes_trust episodes have (pt_completed)"
            )
        known = available_covariates(self.programme)
        for where, names in (
            ("covariates.include", self.covariates.include),
            ("covariates.categorical", self.covariates.categorical),
            ("design.exact", self.design.exact),
        ):
            for cov in names:
                if cov in NOT_COVARIATES and cov in fields:
                    raise ValueError(f"{where}: '{cov}' cannot be a covariate: it "
                                     f"{NOT_COVARIATES[cov]}")
                if cov not in known:
                    raise ValueError(
                        f"{where}: unknown covariate '{cov}'{suggest(cov, known)}; "
                        f"available for {self.programme}: {', '.join(known)}"
                    )
            if len(set(names)) != len(names):
                raise ValueError(f"{where} lists a covariate twice")
        if len(set(self.subgroups)) != len(self.subgroups):
            raise ValueError(f"subgroups lists a variable twice: {self.subgroups}")
        if self.design.emulation == "sequential" and self.comparison.index_dates != "all":
            raise ValueError("design.emulation: sequential uses every scoring round of a pool "
                             "person (one trial each): set comparison.index_dates: all")
        stray = [c for c in self.covariates.categorical if c not in self.covariates.include]
        if stray:
            raise ValueError(f"covariates.categorical: {stray} not in covariates.include")
        text = [c for c in CATEGORICAL_BASE if c in self.covariates.include
                and c not in self.covariates.categorical]
        if text:
            raise ValueError(f"covariates.include: {text} hold categories; list them under "
                             "covariates.categorical too")
        return self

    # Derived values: properties, so they are recomputed whenever the object is rebuilt.
    @property
    def source(self) -> Path | None:
        """The YAML file this configuration was read from (None if built in code)."""
        return self._source

    @property
    def overrides(self) -> dict[str, Any]:
        """Dotted overrides applied on top of the file, for provenance."""
        return dict(self._overrides)

    @property
    def secondary_outcomes(self) -> list[str]:
        """Every outcome other than the pre-declared headline: reported as secondary."""
        return [o for o in OUTCOME_KEYS if o != self.headline]

    @property
    def follow_up_days(self) -> int:
        return self.outcomes.follow_up_days

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict, to stamp into every output's provenance."""
        return self.model_dump(mode="json")

    def with_overrides(self, overrides: dict[str, Any] | list[str]) -> ProgrammeConfig:
        """A new, re-validated config with dotted keys replaced (``{"outcomes.window_days": 182}``
        or ``["outcomes.window_days=182"]``); string values are read as YAML (``"[91, 182]"``)."""
        if isinstance(overrides, list):
            overrides = parse_overrides(overrides)
        raw = self.model_dump(mode="python")
        for key, value in overrides.items():
            if isinstance(value, str):
                value = yaml_scalar(key, value)
            set_dotted(raw, key, value)
        where = f"{self._source or self.name} with overrides {overrides}"
        new = validate_config(raw, where)
        new._source = self._source
        new._overrides = {**self._overrides, **overrides}
        return new


def programme_fields(programme: str) -> list[str]:
    """The programme-specific fields of the contract that belong to ``programme``."""
    return [c.name for c in PROGRAMME_FIELDS if c.programme == programme]


def available_covariates(programme: str) -> list[str]:
    """Covariates a ``programme`` config may name: the built ones plus its baseline fields."""
    own = [f for f in programme_fields(programme) if f not in NOT_COVARIATES]
    return [*BASE_COVARIATES, *own]


def validate_config(raw: dict, where: str) -> ProgrammeConfig:
    """A validated ``ProgrammeConfig`` from a raw mapping; every problem listed in words."""
    try:
        return ProgrammeConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "\n  - ".join(describe_error(e, ProgrammeConfig) for e in exc.errors())
        raise ConfigError(f"{where}: invalid programme configuration:\n  - {problems}") from None
