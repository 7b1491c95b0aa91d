"""The pooling engine: per-study effects, pooling families, tau^2 estimators, results."""
