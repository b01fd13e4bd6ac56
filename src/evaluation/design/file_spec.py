"""The spec of `evaluation design`: one person-level file, its columns and the design to build.

It extends the spec of `evaluation analyse` (``AnalysisFileSpec``: treatment, duration, event,
binary outcome, count and exposure columns, time unit, RMST horizon): there the file already
holds weights and matched sets; here the command builds them, so ``weights_col`` and
``cluster_col`` are refused and ``covariates`` become the propensity model's. The design,
balance, power and disclosure sections are the programme configuration's own models
(``config.models``), with their rules (matching estimates the ATT; ATE needs weighting). Unknown
keys are rejected at every level.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evaluation.config import BalanceConfig, DesignConfig, DisclosureConfig, PowerConfig
from evaluation.estimators.analysis_file import AnalysisFileSpec

# Columns the design adds to the analysis frame; a covariate may not be called so.
RESERVED = ("treated", "duration", "event", "reoffended", "n_reoffences", "exposure", "row",
            "person", "group", "propensity", "logit", "weight", "match_set", "matched", "cluster",
            "eligible_for_readout")
# Headline measures (outcomes/registry.py) and the spec field each needs.
HEADLINE_NEEDS = {"time_to_reoffence_hr": "duration_col", "rmst_diff": "duration_col",
                  "reoffended_rd": "outcome_col", "reoffended_rr": "outcome_col",
                  "n_reoffences_diff": "count_col", "n_reoffences_rr": "count_col"}


class Wording(BaseModel):
    """How the report's sentences name the programme and the outcome (defaults: proven
    reoffending, as the Ministry of Justice measures it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    programme: str = Field("the programme", min_length=1)  # "people who received <programme>"
    outcome: str = Field("proven reoffending", min_length=1)  # "<programme> reduced <outcome>"
    outcome_verb: str = Field("were proven to have reoffended", min_length=1)  # "the number who"
    event: str = Field("a first proven reoffence", min_length=1)  # "the chance of <event>"
    count: str = Field("proven reoffences", min_length=1)  # "the number of <count> per person"


class DesignFileSpec(AnalysisFileSpec):
    """What `evaluation design --spec` reads (docs/examples/design_file_spec.yaml)."""

    # no default columns here: a file names what it has (analyse's defaults are its own)
    treatment_col: str
    duration_col: str | None = None
    event_col: str | None = None
    title: str | None = Field(None, min_length=1)
    description: str | None = None
    id_col: str | None = None  # a person identifier: checked unique, never published
    categorical: tuple[str, ...] = ()  # covariates entered as indicators (also in covariates)
    headline: str | None = None  # default: hazard ratio with survival columns, else the rate
    design: DesignConfig = Field(default_factory=DesignConfig)
    balance: BalanceConfig = Field(default_factory=BalanceConfig)
    power: PowerConfig = Field(default_factory=PowerConfig)
    disclosure: DisclosureConfig = Field(default_factory=DisclosureConfig)
    wording: Wording = Field(default_factory=Wording)

    @model_validator(mode="after")
    def _design_rules(self) -> DesignFileSpec:
        for key in ("weights_col", "cluster_col"):
            if getattr(self, key) is not None:
                raise ValueError(
                    f"{key}: `evaluation design` builds the weights and matched sets itself; "
                    "a file that already has them goes to `evaluation analyse`")
        if not self.covariates:
            raise ValueError("covariates: name at least one column for the propensity model")
        for where, names in (("covariates", self.covariates), ("categorical", self.categorical),
                             ("design.exact", tuple(self.design.exact))):
            if len(set(names)) != len(names):
                raise ValueError(f"{where} lists a column twice")
            for i, col in enumerate(names):
                if col in RESERVED:
                    raise ValueError(f"{where}[{i}]: {col!r} is a name the design uses for its "
                                     "own column; rename the column in the file")
                if col == self.treatment_col:
                    raise ValueError(f"{where}[{i}]: {col!r} is the treatment column")
        stray = [c for c in self.categorical if c not in self.covariates]
        if stray:
            raise ValueError(f"categorical: {stray} not in covariates (list every covariate "
                             "under covariates, and the categorical ones again under "
                             "categorical)")
        if self.headline is not None:
            if self.headline not in HEADLINE_NEEDS:
                raise ValueError(f"headline: {self.headline!r} is not a measure this command "
                                 f"reports; choose one of {', '.join(HEADLINE_NEEDS)}")
            need = HEADLINE_NEEDS[self.headline]
            if getattr(self, need) is None:
                raise ValueError(f"headline: {self.headline!r} needs {need} in the spec")
        if self.duration_col is None and self.outcome_col is None:
            raise ValueError("give duration_col and event_col, or outcome_col (0/1): the "
                             "report's first screen states the share with the outcome in each "
                             "group (count_col alone cannot)")
        return self

    @property
    def headline_measure(self) -> str:
        """The pre-declared headline (registry key): as given, else the hazard ratio when the
        file has survival columns, else the difference in the share reoffending."""
        if self.headline is not None:
            return self.headline
        return "time_to_reoffence_hr" if self.duration_col is not None else "reoffended_rd"

    @property
    def numeric_covariates(self) -> list[str]:
        return [c for c in self.covariates if c not in self.categorical]

    def column_roles(self) -> list[tuple[str, str, str]]:
        """As ``AnalysisFileSpec``, with numeric and categorical covariates told apart, the
        exact-matching columns and the identifier."""
        out = [r for r in super().column_roles() if r[2] != "covariate"]
        for i, col in enumerate(self.covariates):
            role = "category" if col in self.categorical else "numeric_covariate"
            out.append((f"covariates[{i}]", col, role))
        out += [(f"design.exact[{i}]", c, "category") for i, c in enumerate(self.design.exact)]
        if self.id_col is not None:
            out.append(("id_col", self.id_col, "identifier"))
        return out

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (for results.json and the manifest)."""
        return self.model_dump(mode="json")
