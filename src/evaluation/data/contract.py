"""The data contract: the tables an extract must hold, their columns and allowed values.

One place defines every table and column; the pandera schemas (``schema.py``), the loader
(``io.py``) and the data dictionary in ``data/README.md`` (``evaluation dictionary``) are all
built from it, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

AREAS = (
    "birmingham",
    "coventry",
    "dudley",
    "sandwell",
    "solihull",
    "walsall",
    "wolverhampton",
)
SEXES = ("F", "M")
ETHNICITY_GROUPS = ("asian", "black", "mixed", "white", "other", "not_stated")

# Home Office cost-of-crime categories (Heeks et al. 2018), plus the recorded-crime groups that
# carry no published unit cost (drugs, public order, breach); see data/reference/unit_costs.csv.
OFFENCE_CATEGORIES = (
    "homicide",
    "violence_with_injury",
    "violence_without_injury",
    "rape",
    "other_sexual_offences",
    "robbery",
    "domestic_burglary",
    "commercial_burglary",
    "theft_of_vehicle",
    "theft_from_vehicle",
    "theft_from_person",
    "shoplifting",
    "other_theft",
    "arson",
    "criminal_damage",
    "drug_offences",
    "public_order",
    "breach",
)
OUTCOMES = (
    "conviction",
    "simple_caution",
    "conditional_caution",
    "youth_caution",
    "community_resolution",
    "no_further_action",
    "pending",
)
# Outcomes that carry a disposal date in `proven_date`. Which of them count as a *proven*
# reoffence is the outcomes module's decision (MoJ: convictions and cautions).
DISPOSED_OUTCOMES = (
    "conviction",
    "simple_caution",
    "conditional_caution",
    "youth_caution",
    "community_resolution",
)
# Outcomes that make an offence *proven* in the Ministry of Justice sense: a conviction or a
# caution (adult simple or conditional, youth). Community resolutions and no further action do not.
PROVEN_OUTCOMES = ("conviction", "simple_caution", "conditional_caution", "youth_caution")
PROGRAMMES = ("iom", "new_chance", "princes_trust", "conditional_caution")
IOM_PILLARS = ("core", "vulnerable", "risk", "sex_offender")
PT_PROGRESSIONS = ("employment", "education", "training", "volunteering", "none")
DISPOSAL_TYPES = ("conditional_caution", "community_resolution", "simple_caution")
POOL_REASONS = (
    "scored_not_adopted",
    "area_without_programme",
    "period_without_programme",
    "eligible_not_referred",
    "other_disposal",
)

MIN_AGE_OF_CRIMINAL_RESPONSIBILITY = 10
# Nobody in an extract is older than this at the cut-off (or at death): an older age is a
# mistyped date of birth, not a person.
MAX_AGE = 110
EARLIEST_DATE = "1900-01-01"
# The only date format of the contract; an extract written otherwise states its format in
# extract.json ("date_format": "%d/%m/%Y"): a date is never guessed.
DATE_FORMAT = "%Y-%m-%d"
# CSV text encoding unless extract.json states another ("encoding": "cp1252"); a byte-order mark
# (Excel's "CSV UTF-8") is allowed.
DEFAULT_ENCODING = "utf-8"
# Row numbers in every message: 1 = the first data row under the header (a CSV file's line 2).
ROW_NUMBERING = "row 1 is the first data row under the header (in a CSV file, row N is on line N+1)"

TABLES = ("people", "offences", "programme_episodes", "comparison_pool")
EXTRACT_METADATA_FILE = "extract.json"


@dataclass(frozen=True)
class Column:
    """One column of the contract: its type, whether it may be empty, and what it means."""

    name: str
    kind: str  # "id", "str", "category", "date", "int", "float", "bool"
    description: str
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    unique: bool = False
    programme: str | None = None  # programme-specific field: empty for every other programme

    def below_rule(self) -> str:
        return f"value is below {self.minimum:g}"

    def above_rule(self) -> str:
        return f"value is above the maximum {self.maximum:g}"

    def rule_text(self) -> str:
        parts = [] if self.nullable else ["required"]
        if self.unique:
            parts.append("unique")
        if self.allowed:
            parts.append("one of " + ", ".join(f"`{a}`" for a in self.allowed))
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"between {self.minimum:g} and {self.maximum:g}")
        elif self.minimum is not None:
            parts.append(f">= {self.minimum:g}")
        if self.programme:
            parts.append(f"empty unless programme is `{self.programme}`")
        return "; ".join(parts) if parts else "optional"


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    unique_together: tuple[str, ...] = ()
    rules: tuple[str, ...] = field(default_factory=tuple)  # cross-column and cross-table rules, prose

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_PERSON_ID = Column("person_id", "id", "Pseudonymous person identifier (never a PNC number or name).")

PROGRAMME_FIELDS = (
    Column("iom_pillar", "category", "IOM pillar the person is managed under.", True,
           IOM_PILLARS, programme="iom"),
    Column("iom_selection_score", "float",
           "IOM selection-matrix score at the eligibility date (time zero: the scoring round; "
           "recent offending, weighted; a score "
           "above 1000 would mean 250 acquisitive offences in 91 days).",
           True, minimum=0, maximum=1000, programme="iom"),
    Column("nc_need_attitudes", "bool", "New Chance need: attitudes, thinking and behaviour.",
           True, programme="new_chance"),
    Column("nc_need_accommodation", "bool", "New Chance need: accommodation.", True,
           programme="new_chance"),
    Column("nc_need_education", "bool", "New Chance need: education, training, employment.",
           True, programme="new_chance"),
    Column("nc_need_mental_health", "bool", "New Chance need: mental health and wellbeing.",
           True, programme="new_chance"),
    Column("nc_domestic_abuse_victim", "bool",
           "Previously referred as a victim of domestic abuse.", True, programme="new_chance"),
    Column("pt_risk_factors", "int", "Prince's Trust: number of predicted risk factors (0-10).",
           True, minimum=0, maximum=10, programme="princes_trust"),
    Column("pt_completed", "bool", "Prince's Trust: completed the 12-week Team programme.",
           True, programme="princes_trust"),
    Column("pt_progression", "category",
           "Prince's Trust: progression after the programme (`none` = no positive progression).",
           True, PT_PROGRESSIONS, programme="princes_trust"),
    Column("disposal_type", "category", "Out-of-court disposal given at the index date.", True,
           DISPOSAL_TYPES, programme="conditional_caution"),
)

PEOPLE = Table(
    "people",
    "One row per person who appears in any other table.",
    (
        Column("person_id", "id", _PERSON_ID.description, unique=True),
        Column("sex", "category", "Recorded sex.", allowed=SEXES),
        Column("date_of_birth", "date",
               "Date of birth; where only month and year are held, the first of the month."),
        Column("ethnicity_group", "category", "Self-defined ethnicity, ONS 5+1 groups.",
               allowed=ETHNICITY_GROUPS),
        Column("area", "category", "Home local authority area (the seven WMP areas).",
               allowed=AREAS),
        Column("date_of_death", "date", "Date of death where known, else empty.", True),
    ),
    rules=(
        "date_of_birth is not after the data cut-off and not before 1900-01-01",
        f"the person is at most {MAX_AGE} at the data cut-off (or at death)",
        "date_of_death is not before date_of_birth and not after the data cut-off",
    ),
)

OFFENCES = Table(
    "offences",
    "One row per recorded offence with this person as the suspect, whatever its outcome.",
    (
        Column("offence_id", "id", "Identifier of the offence record.", unique=True),
        _PERSON_ID,
        Column("offence_date", "date", "Date the offence was committed."),
        Column("proven_date", "date",
               "Date of conviction, caution or community resolution; empty if not disposed.",
               True),
        Column("offence_category", "category", "Home Office cost-of-crime category.",
               allowed=OFFENCE_CATEGORIES),
        Column("outcome", "category", "Outcome of the offence record.", allowed=OUTCOMES),
        Column("custody_start", "date", "Start of a custodial sentence that followed, if any.",
               True),
        Column("custody_release", "date",
               "Release from that custodial sentence; empty if still in custody at the cut-off.",
               True),
    ),
    rules=(
        "person_id exists in people",
        "offence_date is not before the person's date_of_birth",
        "proven_date is not before offence_date",
        "proven_date is present exactly when outcome is a disposal (" +
        ", ".join(DISPOSED_OUTCOMES) + ")",
        "custody dates only follow a conviction; custody_start is not before offence_date",
        "custody_release needs custody_start and is not before it",
        f"the person was at least {MIN_AGE_OF_CRIMINAL_RESPONSIBILITY} on offence_date",
        "offence_date is not after the person's date_of_death",
        "no date is after the data cut-off",
    ),
)

PROGRAMME_EPISODES = Table(
    "programme_episodes",
    "One row per person per programme episode. Time zero (the index date) is the eligibility "
    "date by default (decision 0405); programme fields are as of that date.",
    (
        Column("episode_id", "id", "Identifier of the episode.", unique=True),
        _PERSON_ID,
        Column("programme", "category", "Programme code.", allowed=PROGRAMMES),
        Column("eligibility_date", "date",
               "Date of the decision that made the person eligible and assigned them (IOM "
               "scoring round, referral, eligibility decision): time zero, the same decision "
               "as comparison_pool.index_date. Equal to start_date where the programme starts "
               "on the day of the decision."),
        Column("start_date", "date",
               "Start of the episode (adoption, first session): when the programme begins."),
        Column("end_date", "date", "End of the episode; empty if still open at the cut-off.",
               True),
        *PROGRAMME_FIELDS,
    ),
    rules=(
        "person_id exists in people",
        "start_date is not before eligibility_date (nobody starts before being assigned)",
        "end_date is not before start_date",
        "start_date is not after the data cut-off",
        f"the person was at least {MIN_AGE_OF_CRIMINAL_RESPONSIBILITY} on start_date, "
        "and alive",
        "iom_pillar is present for every iom episode; disposal_type for every "
        "conditional_caution episode",
        "programme-specific fields are empty for other programmes",
    ),
)

COMPARISON_POOL = Table(
    "comparison_pool",
    "People eligible to be compared with each programme's participants, with their index dates.",
    (
        Column("programme", "category", "Programme this person may be compared against.",
               allowed=PROGRAMMES),
        _PERSON_ID,
        Column("index_date", "date",
               "Eligibility date: the decision at which this person was eligible and not "
               "assigned (e.g. the IOM scoring round). Time zero, the same decision as "
               "programme_episodes.eligibility_date; outcomes are followed from it and "
               "programme fields are as of it."),
        Column("pool_reason", "category", "Why the person is in the pool.", allowed=POOL_REASONS),
        *PROGRAMME_FIELDS,
    ),
    unique_together=("programme", "person_id", "index_date"),
    rules=(
        "person_id exists in people",
        "(programme, person_id, index_date) is unique",
        "index_date is not after the data cut-off",
        f"the person was at least {MIN_AGE_OF_CRIMINAL_RESPONSIBILITY} on index_date, "
        "and alive",
        "programme-specific fields are empty for other programmes",
    ),
)

CONTRACT: dict[str, Table] = {
    t.name: t for t in (PEOPLE, OFFENCES, PROGRAMME_EPISODES, COMPARISON_POOL)
}


def date_columns(table: str) -> list[str]:
    return [c.name for c in CONTRACT[table].columns if c.kind == "date"]
