"""Cohort assembly: programme participants and comparison pool in one frame, ready for design.

The glue between the data contract and the estimators: treated rows come from
``programme_episodes`` (index date = time zero: the eligibility date by default, the start date
if configured; decision 0405), comparison rows from ``comparison_pool``;
covariates are built as of each index date, eligibility rules are applied equally to both, and
every row that does not reach the analysis is in the attrition ledger with a reason.
The choices (who counts as contaminated, one index date per person) are in
docs/decisions/0201-cohort-assembly.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evaluation.cohort.attrition import Attrition
from evaluation.cohort.covariates import build_covariates
from evaluation.cohort.eligibility import apply_eligibility
from evaluation.config import ProgrammeConfig, programme_fields
from evaluation.data.io import PROGRAMME_CUT, programme_people

GROUP_COL = "group"
TREATED, COMPARISON = "treated", "comparison"
STAGE_RECEIVED = "received"
STAGE_DEFINITION = "definition"
STAGE_DATA = "data"
STAGE_ELIGIBILITY = "eligibility"
STAGE_ONE_PER_PERSON = "one index date per person"
REASON_PRIOR_EXPOSURE = "managed earlier under another kind of episode (prior exposure)"
REQUIRED_TABLES = ("people", "offences", "programme_episodes", "comparison_pool")


@dataclass
class Cohort:
    """The analysis frame (one row per person-index) and the ledger of who was left out."""

    frame: pd.DataFrame
    attrition: Attrition
    config: ProgrammeConfig
    data_cutoff: pd.Timestamp

    @property
    def treated(self) -> pd.DataFrame:
        return self.frame.loc[self.frame["treated"] == 1]

    @property
    def comparison(self) -> pd.DataFrame:
        return self.frame.loc[self.frame["treated"] == 0]

    def counts(self) -> pd.DataFrame:
        """Rows and distinct people per group."""
        g = self.frame.groupby(GROUP_COL, sort=True)["person_id"]
        return pd.DataFrame({"rows": g.size(), "people": g.nunique()}).reset_index()


def programme_extract(extract, config: ProgrammeConfig):
    """The extract cut to the people of this programme's episodes and pool rows (decision
    0502): everything an evaluation derives (covariates, outcomes, read-outs, event study)
    reads only their records, so the result is the same and the passes are shorter. Returns
    ``extract`` itself when it is already cut for this programme."""
    if extract.derived.get(PROGRAMME_CUT) == config.programme:
        return extract
    cut = extract.for_people(programme_people(extract.tables, config.programme))
    cut.derived[PROGRAMME_CUT] = config.programme
    return cut


def build_cohort(
    extract_tables: dict[str, pd.DataFrame],
    data_cutoff: pd.Timestamp | str,
    config: ProgrammeConfig,
) -> Cohort:
    """Treated and comparison rows for ``config.programme`` with covariates, eligibility applied."""
    missing = [t for t in REQUIRED_TABLES if t not in extract_tables]
    if missing:
        raise ValueError(f"build_cohort: extract table(s) {missing} not given")
    cutoff = pd.Timestamp(data_cutoff)
    people = extract_tables["people"]
    attrition = Attrition(group_col=GROUP_COL)

    episodes = extract_tables["programme_episodes"]
    frame = _assemble(episodes, extract_tables["comparison_pool"], config)
    attrition.start(frame, stage=STAGE_RECEIVED)
    frame = _apply_definitions(frame, episodes, config, attrition)
    frame = exclude_prior_exposure(frame, episodes, config, attrition)
    frame["adopted_date"] = adoption_after_index(frame, exposures(episodes, config),
                                                 config.programme)
    frame = _data_checks(frame, people, cutoff, attrition)

    frame = build_covariates(frame, extract_tables["offences"], people, data_cutoff=cutoff)
    frame = apply_eligibility(frame, config.eligibility, attrition, stage=STAGE_ELIGIBILITY)
    frame = _one_per_person(frame, config, attrition)

    frame = frame.drop(columns=["date_of_birth", "date_of_death"])
    frame = frame.sort_values(["treated", "index_date", "person_id"],
                              ascending=[False, True, True], kind="stable")
    frame = frame.reset_index(drop=True)
    attrition.check_reconciles(frame)
    return Cohort(frame, attrition, config, cutoff)


def _assemble(
    episodes: pd.DataFrame, pool: pd.DataFrame, config: ProgrammeConfig
) -> pd.DataFrame:
    """One frame: this programme's episodes (treated) and pool rows (comparison)."""
    code = config.programme
    fields = programme_fields(code)
    ep = episodes.loc[episodes["programme"] == code]
    po = pool.loc[pool["programme"] == code]
    zero = "eligibility_date" if config.design.time_zero == "eligibility" else "start_date"
    treated = pd.DataFrame({
        "person_id": ep["person_id"].to_numpy(),
        "index_date": pd.to_datetime(ep[zero]).to_numpy(),
        "start_date": pd.to_datetime(ep["start_date"]).to_numpy(),
        "treated": 1,
        GROUP_COL: TREATED,
        "programme": code,
        "episode_id": ep["episode_id"].to_numpy(dtype=object),
        "end_date": pd.to_datetime(ep["end_date"]).to_numpy(),
        "pool_reason": pd.Series([None] * len(ep), dtype=object).to_numpy(),
        **{f: ep[f].to_numpy() for f in fields},
    })
    comparison = pd.DataFrame({
        "person_id": po["person_id"].to_numpy(),
        "index_date": pd.to_datetime(po["index_date"]).to_numpy(),
        "start_date": pd.Series(pd.NaT, index=range(len(po)), dtype="datetime64[ns]").to_numpy(),
        "treated": 0,
        GROUP_COL: COMPARISON,
        "programme": code,
        "episode_id": pd.Series([None] * len(po), dtype=object).to_numpy(),
        "end_date": pd.Series(pd.NaT, index=range(len(po)), dtype="datetime64[ns]").to_numpy(),
        "pool_reason": po["pool_reason"].to_numpy(dtype=object),
        **{f: po[f].to_numpy() for f in fields},
    })
    frame = pd.concat([treated, comparison], ignore_index=True)
    frame["treated"] = frame["treated"].astype("int64")
    return frame


def _apply_definitions(
    frame: pd.DataFrame, episodes: pd.DataFrame, config: ProgrammeConfig, attrition: Attrition
) -> pd.DataFrame:
    """Who counts as treated and which pool rows are comparisons (config.treated/comparison)."""
    is_treated = frame[GROUP_COL] == TREATED
    for key, values in config.treated.where.items():
        outside = is_treated & ~frame[key].isin(values)
        frame = attrition.exclude(frame, outside, f"episode {key} not {' or '.join(values)}",
                                  STAGE_DEFINITION)
        is_treated = frame[GROUP_COL] == TREATED
    # When each person first received the programme (as defined above), completers or not.
    received = frame.loc[is_treated].groupby("person_id")["start_date"].min()
    if not config.treated.include_non_completers:
        completed = frame["pt_completed"].astype("boolean")
        frame = attrition.exclude(frame, is_treated & completed.isna(),
                                  "programme completion not recorded", STAGE_DEFINITION)
        completed = frame["pt_completed"].astype("boolean")
        frame = attrition.exclude(frame, (frame[GROUP_COL] == TREATED) & ~completed.fillna(False),
                                  "did not complete the programme", STAGE_DEFINITION)
    is_pool = frame[GROUP_COL] == COMPARISON
    unused = sorted(set(frame.loc[is_pool, "pool_reason"].dropna()) -
                    set(config.comparison.pool_reasons))
    for reason in unused:
        frame = attrition.exclude(frame, (frame[GROUP_COL] == COMPARISON) &
                                  (frame["pool_reason"] == reason),
                                  f"pool reason {reason} not used", STAGE_DEFINITION)
    # A comparison row is contaminated only if the programme came on or before its index date.
    # Dropping people who receive it *later* would select on the future: a later referral
    # often follows a reoffence, so it would remove reoffenders from the comparison group.
    # With ``comparison.contamination: any_episode`` an episode of any kind counts (an IOM
    # Risk or Vulnerable pillar): a person managed earlier is not a clean comparison (0407).
    if config.comparison.contamination == "any_episode":
        first = frame["person_id"].map(_starts(episodes, config.programme)
                                       .groupby("person_id").min())
    else:
        first = frame["person_id"].map(received)
    contaminated = ((frame[GROUP_COL] == COMPARISON) & first.notna()
                    & (first <= frame["index_date"]))
    return attrition.exclude(frame, contaminated,
                             "received the programme on or before this index date",
                             STAGE_DEFINITION)


def _starts(episodes: pd.DataFrame, code: str) -> pd.Series:
    """Start date of every episode of the programme, of any kind, by person."""
    ep = episodes.loc[episodes["programme"] == code]
    return pd.Series(pd.to_datetime(ep["start_date"]).to_numpy(), index=ep["person_id"].to_numpy(),
                     name="start_date").rename_axis("person_id")


def exposures(episodes: pd.DataFrame, config: ProgrammeConfig) -> pd.DataFrame:
    """The episodes that count as receiving the programme: those of the treated definition,
    or every episode of the programme with ``comparison.contamination: any_episode``."""
    ep = episodes.loc[episodes["programme"] == config.programme]
    if config.comparison.contamination == "any_episode":
        return ep
    for key, values in config.treated.where.items():
        ep = ep.loc[ep[key].isin(values)]
    return ep


def exclude_prior_exposure(frame: pd.DataFrame, episodes: pd.DataFrame, config: ProgrammeConfig,
                           attrition: Attrition) -> pd.DataFrame:
    """A participant with an earlier episode of another kind (an IOM Core nominal managed
    before under the Risk pillar) is a prevalent user, not a new one: excluded and counted."""
    if not config.treated.where or config.comparison.contamination != "any_episode":
        return frame
    ep = episodes.loc[episodes["programme"] == config.programme]
    kind = pd.Series(True, index=ep.index)
    for key, values in config.treated.where.items():
        kind &= ep[key].isin(values)
    other = _starts(ep.loc[~kind], config.programme).groupby("person_id").min()
    earlier = frame["person_id"].map(other)
    prior = (frame[GROUP_COL] == TREATED) & earlier.notna() & (earlier < frame["start_date"])
    return attrition.exclude(frame, prior, REASON_PRIOR_EXPOSURE, STAGE_DEFINITION)


def adoption_after_index(frame: pd.DataFrame, episodes: pd.DataFrame, code: str) -> pd.Series:
    """First start of any episode of the programme after each row's index date (NaT if none):
    the treated's own adoption; for a comparison, the later adoption a per-protocol analysis
    censors at."""
    starts = _starts(episodes, code).reset_index()
    rows = frame[["person_id", "index_date"]].reset_index(names="_row")
    pairs = rows.merge(starts, on="person_id", how="inner")
    pairs = pairs.loc[pairs["start_date"] >= pairs["index_date"]]
    first = pairs.groupby("_row")["start_date"].min()
    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    out.loc[first.index] = first.to_numpy()
    return out


def _data_checks(
    frame: pd.DataFrame, people: pd.DataFrame, cutoff: pd.Timestamp, attrition: Attrition
) -> pd.DataFrame:
    """Rows that cannot be analysed whatever the rules: after the cut-off, dead before index."""
    who = people.drop_duplicates("person_id") if not people["person_id"].is_unique else people
    key = pd.Index(who["person_id"])  # one hash table for the check and the look-up
    pos = key.get_indexer(frame["person_id"])
    if (pos < 0).any():
        ids = frame.loc[pos < 0, "person_id"].unique()[:10]
        raise ValueError(
            f"people: no record for person_id(s) {list(ids)} found in programme_episodes or "
            "comparison_pool; validate the extract first (evaluation validate)"
        )
    frame = frame.assign(date_of_birth=pd.to_datetime(who["date_of_birth"]).to_numpy()[pos],
                         date_of_death=pd.to_datetime(who["date_of_death"]).to_numpy()[pos])
    index_date = frame["index_date"]
    kept = attrition.exclude_in_order(frame, [
        (index_date.isna().to_numpy(), "index date missing"),
        ((index_date > cutoff).to_numpy(), "index date after the data cut-off"),
        ((frame["date_of_death"] < index_date).to_numpy(), "died before the index date"),
    ], STAGE_DATA)
    return frame.loc[kept]


def _one_per_person(
    frame: pd.DataFrame, config: ProgrammeConfig, attrition: Attrition
) -> pd.DataFrame:
    """Keep each person's first eligible row per group (all pool rows if configured)."""
    ordered = frame.sort_values(["index_date", "episode_id"], kind="stable", na_position="last")
    later = ordered.duplicated([GROUP_COL, "person_id"], keep="first").reindex(frame.index)
    is_treated = frame[GROUP_COL] == TREATED
    frame = attrition.exclude(frame, later & is_treated,
                              "later programme episode of the same person", STAGE_ONE_PER_PERSON)
    if config.comparison.index_dates == "first_eligible":
        later = later.loc[frame.index]
        frame = attrition.exclude(frame, later & (frame[GROUP_COL] == COMPARISON),
                                  "later pool index date of the same person",
                                  STAGE_ONE_PER_PERSON)
    return frame
