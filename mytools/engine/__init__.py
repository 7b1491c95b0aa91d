"""The pooling engine: per-study effects, pooling families, τ² estimators, results, settings.

Layout (each module says its formulas and their sources):

* :mod:`.effects` — per-study RR, OR, RD, MD, SMD, generic; RevMan's zero-cell rules
* :mod:`.mantel_haenszel`, :mod:`.peto`, :mod:`.inverse_variance` — the pooling families
* :mod:`.tau2` — DL, REML, PM, Q-profile CI of τ², I²
* :mod:`.pooling` — the public functions ``pool_binary``, ``pool_continuous``, ``pool_generic``,
  ``pool_oe``; :mod:`.subgroups` — per-subgroup pooling and the test for subgroup differences
* :mod:`.many` — NaN-padded matrices of analyses; :mod:`.batch` — long-format batches (reproduce)
* :mod:`.settings` — named modes ``REVMAN5``, ``REVMAN_WEB``, ``MODERN``;
  :mod:`.variants` — the one registry of named analysis variants
* :mod:`.bayes` — the Bayesian normal–normal hierarchical model (``pool_bayes``), its priors
  (:mod:`.priors`), quadrature (:mod:`.bayes_quad`) and result (:mod:`.bayes_result`)
* :mod:`.results`, :mod:`.errors`, :mod:`.distributions`
"""
from .batch import BatchResult, pool_batch
from .bayes import pool_bayes
from .bayes_result import BayesResult
from .errors import ConvergenceError, InputError, NotEstimableError
from .many import pool_many
from .pooling import pool_binary, pool_continuous, pool_generic, pool_oe
from .priors import HalfCauchy, HalfNormal, InvGammaTau, LogNormalTau2, LogTTau2, Normal, UniformTau
from .results import ManyResult, MetaResult, SubgroupResult
from .settings import MODERN, MODES, REVMAN5, REVMAN_WEB, Settings, resolve
from .subgroups import pool_by_subgroup, pool_subgroups
from .tau2 import i2_from_tau2
from .variants import VARIANTS, variant_options

__all__ = [
    "ConvergenceError", "InputError", "NotEstimableError",
    "pool_bayes", "BayesResult", "HalfCauchy", "HalfNormal", "InvGammaTau", "LogNormalTau2", "LogTTau2",
    "Normal", "UniformTau",
    "BatchResult", "ManyResult", "MetaResult", "SubgroupResult",
    "MODERN", "MODES", "REVMAN5", "REVMAN_WEB", "Settings", "resolve",
    "i2_from_tau2", "pool_batch", "pool_binary", "pool_by_subgroup", "pool_continuous", "pool_generic",
    "pool_many", "pool_oe", "pool_subgroups", "VARIANTS", "variant_options",
]
