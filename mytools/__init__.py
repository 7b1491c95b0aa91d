"""mytools: the engine, data and presentation helpers of the re-executable IIM evidence-synthesis book.

The pooling engine is re-exported here: ``from mytools import pool_binary`` etc.
"""
from .engine.effects import InputError
from .engine.pooling import (
    ConvergenceError,
    ManyResult,
    MetaResult,
    NotEstimableError,
    SubgroupResult,
    i2_from_tau2,
    pool_binary,
    pool_continuous,
    pool_generic,
    pool_many,
    pool_subgroups,
)

__all__ = [
    "ConvergenceError",
    "InputError",
    "ManyResult",
    "MetaResult",
    "NotEstimableError",
    "SubgroupResult",
    "i2_from_tau2",
    "pool_binary",
    "pool_continuous",
    "pool_generic",
    "pool_many",
    "pool_subgroups",
]
