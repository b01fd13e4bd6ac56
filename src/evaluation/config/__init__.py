"""Programme evaluation configuration: one reviewed YAML file per programme, as a typed object.

Why not papermill parameters alone: papermill silently accepts a misspelled parameter and never
recomputes derived values after injection. Here every section forbids unknown keys (the error
names the key, the file and the closest valid key), cross-field rules are checked when the file
is read, and command-line overrides (``outcomes.window_days=182``) go through the same validation.

Modules: ``models`` (the sections and their rules), ``loading`` (YAML files), ``overrides``
(dotted ``key=value``), ``errors`` (messages in words). The names below are the public API.
"""

from evaluation.config.errors import ConfigError
from evaluation.config.loading import (
    CONFIG_DIR_ENV,
    config_dir,
    list_programmes,
    load_programme_config,
)
from evaluation.config.models import (
    BASE_COVARIATES,
    CATEGORICAL_BASE,
    NOT_COVARIATES,
    BalanceConfig,
    BootstrapConfig,
    ComparisonConfig,
    CovariatesConfig,
    DesignConfig,
    DisclosureConfig,
    EligibilityConfig,
    MultiverseConfig,
    OutcomesConfig,
    PowerConfig,
    ProgrammeConfig,
    RobustnessConfig,
    TreatedConfig,
    available_covariates,
    programme_fields,
    validate_config,
)
from evaluation.config.overrides import parse_overrides

__all__ = [
    "BASE_COVARIATES",
    "CATEGORICAL_BASE",
    "CONFIG_DIR_ENV",
    "NOT_COVARIATES",
    "BalanceConfig",
    "BootstrapConfig",
    "MultiverseConfig",
    "RobustnessConfig",
    "ComparisonConfig",
    "ConfigError",
    "CovariatesConfig",
    "DesignConfig",
    "DisclosureConfig",
    "EligibilityConfig",
    "OutcomesConfig",
    "PowerConfig",
    "ProgrammeConfig",
    "TreatedConfig",
    "available_covariates",
    "config_dir",
    "list_programmes",
    "load_programme_config",
    "parse_overrides",
    "programme_fields",
    "validate_config",
]
