"""Programme configuration: the four files load, mistakes are caught and named, overrides work."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evaluation.config import (
    ConfigError,
    ProgrammeConfig,
    config_dir,
    list_programmes,
    load_programme_config,
    parse_overrides,
)
from evaluation.outcomes.registry import OUTCOME_KEYS

PROGRAMMES = ["conditional_caution", "iom", "new_chance", "princes_trust"]


def _raw(name: str = "iom") -> dict:
    return yaml.safe_load((config_dir() / f"{name}.yaml").read_text())


def _write(tmp_path: Path, raw: dict, name: str = "iom") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_list_programmes():
    assert list_programmes() == PROGRAMMES


@pytest.mark.parametrize("name", PROGRAMMES)
def test_every_programme_file_loads(name):
    config = load_programme_config(name)
    assert config.name == name and config.programme == name
    assert config.source == config_dir() / f"{name}.yaml"
    assert config.headline in OUTCOME_KEYS
    assert config.headline not in config.secondary_outcomes
    assert len(config.secondary_outcomes) == len(OUTCOME_KEYS) - 1
    assert config.follow_up_days == 365 + 182
    # Loading by path gives the same settings.
    assert load_programme_config(config.source).to_dict() == config.to_dict()


def test_seed_paper_criteria_encoded():
    iom = load_programme_config("iom")
    assert iom.eligibility.age_min == 18 and iom.comparison.pool_reasons == ["scored_not_adopted"]
    assert "iom_selection_score" in iom.covariates.include and iom.design.exact == ["sex"]
    nc = load_programme_config("new_chance")
    assert (nc.eligibility.age_min, nc.eligibility.age_max) == (18, 40)
    assert nc.eligibility.sexes == ["F"]
    assert (nc.eligibility.max_prior_convictions, nc.eligibility.max_prior_recorded) == (0, 5)
    assert nc.comparison.pool_reasons == ["area_without_programme"]  # decision 0202
    pt = load_programme_config("princes_trust")
    assert (pt.eligibility.age_min, pt.eligibility.age_max) == (16, 25)
    assert "pt_risk_factors" in pt.covariates.include
    cc = load_programme_config("conditional_caution")
    assert cc.treated.where == {"disposal_type": ["conditional_caution"]}
    assert cc.comparison.pool_reasons == ["other_disposal"]


def test_misspelled_key_names_key_file_and_suggestion(tmp_path):
    raw = _raw()
    raw["outcomes"]["window_dayz"] = raw["outcomes"].pop("window_days")
    path = _write(tmp_path, raw)
    with pytest.raises(ConfigError) as err:
        load_programme_config(path)
    message = str(err.value)
    assert str(path) in message
    assert "unknown key 'outcomes.window_dayz'" in message
    assert "did you mean 'outcomes.window_days'" in message


def test_misspelled_top_level_section(tmp_path):
    raw = _raw()
    raw["eligibilty"] = raw.pop("eligibility")
    with pytest.raises(ConfigError, match="unknown key 'eligibilty'.*did you mean 'eligibility'"):
        load_programme_config(_write(tmp_path, raw))


def test_duplicate_key_rejected(tmp_path):
    path = tmp_path / "iom.yaml"
    path.write_text((config_dir() / "iom.yaml").read_text() + "\nseed: 1\n")
    with pytest.raises(ConfigError, match="key 'seed' is given twice"):
        load_programme_config(path)


def test_name_must_match_file(tmp_path):
    with pytest.raises(ConfigError, match="differs from the file name"):
        load_programme_config(_write(tmp_path, _raw("iom"), name="iom_copy"))


def test_unknown_programme_name_suggests():
    with pytest.raises(ConfigError, match="did you mean 'new_chance'"):
        load_programme_config("new_chanse")


@pytest.mark.parametrize(
    "change, message",
    [
        (("eligibility", "age_min", 50), "age_min .50. is above age_max .40."),
        (("treated", "where", {"disposal_type": ["x"]}), "not a programme_episodes field"),
        (("treated", "include_non_completers", False), "only princes_trust"),
        (("covariates", "include", ["age_at_index", "prior_provn_1y"]),
         "did you mean 'prior_proven_1y'"),
        (("covariates", "categorical", ["sex"]), r"\['sex'\] not in covariates.include"),
        (("design", "estimand", "ATE"), "use method: weighting"),
        (("design", "estimand", "ATC"), "ATC .the effect on the comparison group. is not "
                                        "implemented"),
        (("outcomes", "readouts", [365, 91]), "increasing"),
        (("comparison", "pool_reasons", ["scored_not_adoptd"]), "comparison.pool_reasons.0"),
        (("balance", "smd_good", 0.3), "smd_good .0.3. is above smd_fail"),
    ],
)
def test_cross_field_rules(tmp_path, change, message):
    raw = _raw("new_chance")
    section, key, value = change
    raw[section][key] = value
    with pytest.raises(ConfigError, match=message):
        load_programme_config(_write(tmp_path, raw, name="new_chance"))


def test_post_treatment_field_is_not_a_covariate():
    config = load_programme_config("princes_trust")
    with pytest.raises(ConfigError, match="pt_progression' cannot be a covariate"):
        config.with_overrides({"covariates.include": ["age_at_index", "pt_progression"]})


def test_overrides_recompute_derived_values_and_keep_original():
    config = load_programme_config("iom")
    new = config.with_overrides(["outcomes.window_days=182", "design.caliper=0.1",
                                 "treated.where.iom_pillar=[core, risk]",
                                 "bootstrap.enabled=true"])
    assert new.outcomes.window_days == 182 and new.follow_up_days == 182 + 182
    assert new.design.caliper == 0.1
    assert new.treated.where["iom_pillar"] == ["core", "risk"]
    assert new.bootstrap.enabled is True
    assert new.overrides["outcomes.window_days"] == "182"
    assert new.source == config.source
    assert config.outcomes.window_days == 365 and config.follow_up_days == 547
    # A dict of typed values works too, and overrides accumulate.
    newer = new.with_overrides({"seed": 7})
    assert newer.seed == 7 and set(newer.overrides) == {*new.overrides, "seed"}


@pytest.mark.parametrize(
    "override, message",
    [
        ("outcomes.windows_days=182", "did you mean 'outcomes.window_days'"),
        ("outcome.window_days=182", "unknown key 'outcome'.*did you mean 'outcomes'"),
        ("outcomes.window_days=-5", "outcomes.window_days"),
        ("outcomes.window_days=soon", "valid integer"),
        ("headline=odds", "headline"),
        ("design.caliper.width=1", "'design.caliper' is not a section"),
    ],
)
def test_overrides_are_validated(override, message):
    config = load_programme_config("iom")
    with pytest.raises(ConfigError, match=message):
        config.with_overrides([override])


def test_parse_overrides():
    assert parse_overrides(["a.b=1", " c = x=y "]) == {"a.b": "1", "c": "x=y"}
    with pytest.raises(ConfigError, match="section.key=value"):
        parse_overrides(["window_days"])


def test_frozen():
    config = load_programme_config("iom")
    with pytest.raises(Exception, match="frozen"):
        config.seed = 3  # type: ignore[misc]
    assert isinstance(config, ProgrammeConfig)


def test_outcomes_section_feeds_the_outcomes_module():
    reoffending = pytest.importorskip("evaluation.outcomes.reoffending")
    config = load_programme_config("iom").with_overrides({"outcomes.custody": "censor"})
    spec = reoffending.OutcomeSpec(**config.outcomes.model_dump(exclude={"readouts",
                                                                      "before_during"}))
    assert (spec.window_days, spec.waiting_days, spec.custody) == (365, 182, "censor")
    with pytest.raises(ConfigError, match="outcomes.custody"):
        config.with_overrides({"outcomes.custody": "subtract"})


def test_atc_is_refused_for_weighting_too():
    # neither matching nor the weighter (ATT, ATE) estimates the ATC: no silent ATT instead
    config = load_programme_config("new_chance").with_overrides({"design.method": "weighting"})
    with pytest.raises(ConfigError, match="ATC .the effect on the comparison group."):
        config.with_overrides({"design.estimand": "ATC"})
    assert config.with_overrides({"design.estimand": "ATE"}).design.estimand == "ATE"


def test_removed_data_section_is_named_with_what_to_do(tmp_path):
    raw = _raw("new_chance")
    raw["data"] = {"extract_dir": "data/synthetic"}
    with pytest.raises(ConfigError, match="data.extract_dir. was removed.*--data"):
        load_programme_config(_write(tmp_path, raw, name="new_chance"))


def test_before_during_is_a_configuration_choice_not_a_programme_name():
    flags = {name: load_programme_config(name).outcomes.before_during for name in PROGRAMMES}
    assert flags == {"conditional_caution": False, "iom": True, "new_chance": False,
                     "princes_trust": False}
    config = load_programme_config("new_chance").with_overrides(["outcomes.before_during=true"])
    assert config.outcomes.before_during is True
