"""mytools: the engine, data and presentation helpers of the re-executable IIM evidence-synthesis book.

The pooling engine is re-exported here: ``from mytools import pool_binary`` etc.
"""
from .engine import (
    MODERN,
    REVMAN5,
    REVMAN_WEB,
    BatchResult,
    ConvergenceError,
    InputError,
    ManyResult,
    MetaResult,
    NotEstimableError,
    Settings,
    SubgroupResult,
    i2_from_tau2,
    pool_batch,
    pool_binary,
    pool_by_subgroup,
    pool_continuous,
    pool_generic,
    pool_many,
    pool_oe,
    pool_subgroups,
)

__all__ = [
    "BatchResult",
    "ConvergenceError",
    "InputError",
    "ManyResult",
    "MetaResult",
    "MODERN",
    "NotEstimableError",
    "REVMAN5",
    "REVMAN_WEB",
    "Settings",
    "SubgroupResult",
    "i2_from_tau2",
    "pool_batch",
    "pool_binary",
    "pool_by_subgroup",
    "pool_continuous",
    "pool_generic",
    "pool_many",
    "pool_oe",
    "pool_subgroups",
]
