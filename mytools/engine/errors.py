"""The engine's error types: bad input, nothing estimable, an iteration that did not converge.

All are raised with a message that names the study (label and index) or the analysis row and the
field, and says what was expected. ``InputError`` and ``NotEstimableError`` are ``ValueError``
subclasses, so callers that catch ``ValueError`` see them.
"""
from __future__ import annotations

__all__ = ["InputError", "NotEstimableError", "ConvergenceError"]


class InputError(ValueError):
    """Bad input to the engine; the message names the study (label and index) and the field."""


class NotEstimableError(ValueError):
    """No study in the analysis has an estimable effect (e.g. all double-zero for RR/OR)."""


class ConvergenceError(RuntimeError):
    """An iterative τ² estimator (REML, PM) or a Q-profile bound did not converge."""
