"""The design section of a programme configuration: comparison group method and time zero.

Kept apart from ``models.py`` so each module stays small; the rules that join sections (e.g.
sequential trials need every pool index date) are in ``ProgrammeConfig``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class DesignConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    method: Literal["matching", "weighting"] = "matching"
    caliper: float | None = Field(0.2, gt=0)  # in SDs of the logit propensity (Austin 2011)
    ratio: int = Field(1, ge=1)
    replace: bool = False
    exact: list[str] = Field(default_factory=list)  # match exactly within these strata
    # ATT: the effect on the programme's participants; ATE (weighting only): on everyone.
    estimand: Literal["ATT", "ATE"] = "ATT"
    trim: float | None = Field(None, ge=0, lt=0.5)  # drop propensity outside [trim, 1 - trim]
    # Time zero of the treated: the eligibility / assignment decision (the same decision as the
    # comparison's index date) or the programme start (the old rule; an immortal window and
    # later covariates for the treated when the start lags the decision). Decision 0405.
    time_zero: Literal["eligibility", "start"] = "eligibility"
    # single: one pool, one comparison group; sequential: one emulated trial per scoring round
    # (calendar month of time zero), matched within round, per-protocol beside it (0406).
    emulation: Literal["single", "sequential"] = "single"

    @field_validator("estimand", mode="before")
    @classmethod
    def _no_atc(cls, value: Any) -> Any:
        if value == "ATC":
            raise ValueError(
                "ATC (the effect on the comparison group) is not implemented: matching finds "
                "comparison people for each participant (the ATT) and weighting gives the ATT "
                "or the ATE; use estimand: ATT, or method: weighting with estimand: ATE"
            )
        return value

    @model_validator(mode="after")
    def _estimand(self) -> DesignConfig:
        if self.method == "matching" and self.estimand == "ATE":
            raise ValueError(
                "matching estimates the ATT; use method: weighting for the ATE"
            )
        return self
