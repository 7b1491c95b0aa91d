"""pool_bayes (quadrature) against PyMC (NUTS) on the book's analyses, side by side in one run.

    flock /tmp/heavy.lock nice python benchmarks/bayes_vs_pymc.py            # headline subset for PyMC
    flock /tmp/heavy.lock nice python benchmarks/bayes_vs_pymc.py --pymc all # every analysis (slow)

pool_bayes runs every analysis of the registry × the five priors of the chapter in ONE call
(median of 5 repeats). PyMC fits the same model (μ flat, θ_i = μ + τ z_i non-centred, the same τ
prior, θ_new = μ + τ z_new) with NUTS, 4 chains × 1,000 draws after 1,000 tuning steps, one core
(``cores=1``: the machine has 2 cores shared by several people), on a stated subset: by default the
14 results of the review's abstract × 5 priors. Time per PyMC fit = model build + compile +
sampling, as a user waits for it; sampling alone is reported too.

Agreement: for μ, τ and θ_new, the PyMC 2.5%, 50% and 97.5% quantiles minus pool_bayes's exact
ones, in units of PyMC's Monte Carlo standard error of that quantile (arviz ``mcse(method=
"quantile")``); |z| ≤ 3 counts as agreeing within Monte Carlo error. Requirements:
benchmarks/requirements.txt (pymc). R/bayesmeta: not installable here (no r-cran-bayesmeta in
Debian's archive for this machine), so not included.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mytools.analyses.bayes import PRIOR_KEYS, bayes_inputs  # noqa: E402
from mytools.data import load_data  # noqa: E402
from mytools.engine import (HalfCauchy, HalfNormal, InvGammaTau, LogNormalTau2, LogTTau2,  # noqa: E402
                            pool_bayes)

QS = (0.025, 0.5, 0.975)


def pymc_fit(y, se, prior, draws, chains, seed):
    """One NUTS fit; returns (arviz InferenceData, wall seconds, sampling seconds)."""
    import pymc as pm

    t0 = time.perf_counter()
    with pm.Model():
        mu = pm.Flat("mu")
        if isinstance(prior, HalfNormal):
            tau = pm.HalfNormal("tau", sigma=prior.scale)
        elif isinstance(prior, HalfCauchy):
            tau = pm.HalfCauchy("tau", beta=prior.scale)
        elif isinstance(prior, LogNormalTau2):
            tau = pm.LogNormal("tau", mu=prior.mean / 2, sigma=prior.sd / 2)
        elif isinstance(prior, LogTTau2):
            lt2 = pm.StudentT("log_tau2", nu=prior.df, mu=prior.location, sigma=prior.scale_t)
            tau = pm.Deterministic("tau", pm.math.exp(lt2 / 2))
        elif isinstance(prior, InvGammaTau):
            tau = pm.InverseGamma("tau", alpha=prior.shape, beta=prior.scale_ig)
        else:
            raise TypeError(prior)
        z = pm.Normal("z", 0.0, 1.0, shape=len(y))
        pm.Normal("y", mu + tau * z, sigma=se, observed=y)
        z_new = pm.Normal("z_new", 0.0, 1.0)
        pm.Deterministic("theta_new", mu + tau * z_new)
        idata = pm.sample(draws=draws, tune=1000, chains=chains, cores=1, random_seed=seed,
                          progressbar=False, compute_convergence_checks=False)
    wall = time.perf_counter() - t0
    return idata, wall, float(idata.posterior.attrs.get("sampling_time", np.nan))


def compare(idata, exact_row) -> list[dict]:
    import arviz as az

    out = []
    for par in ("mu", "tau", "theta_new"):
        draws = idata.posterior[par].values.ravel()
        ex = exact_row[par]
        for q, col in zip(QS, ("ci_low", "median", "ci_high")):
            mcse = float(az.mcse(idata, var_names=[par], method="quantile", prob=q)[par])
            est = float(np.quantile(draws, q))
            out.append({"parameter": par, "q": q, "pymc": est, "exact": ex[col], "mcse": mcse,
                        "z": (est - ex[col]) / mcse if mcse > 0 else np.nan})
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pymc", choices=["headline", "all", "none"], default="headline")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--limit", type=int, default=None, help="at most this many PyMC analyses")
    args = ap.parse_args(argv)

    data = load_data()
    inp = bayes_inputs(data)
    n_units = len(inp["ids"]) * len(PRIOR_KEYS)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        res = pool_bayes(inp["y"], inp["se"], inp["priors"], labels=inp["ids"], prior_labels=list(PRIOR_KEYS))
        times.append(time.perf_counter() - t0)
    t_all = statistics.median(times)
    per_unit = t_all / n_units
    print(f"pool_bayes: {len(inp['ids'])} analyses × {len(PRIOR_KEYS)} priors = {n_units} in one call: "
          f"median {t_all:.3f} s of 5 ({1e3 * per_unit:.2f} ms per analysis and prior)")
    if args.pymc == "none":
        return
    exact = res.summary_frame()
    if args.pymc == "headline":
        head = set(data.analyses.loc[data.analyses["in_abstract"].fillna(False).astype(bool), "analysis_id"])
        ids = [a for a in inp["ids"] if a in head]
    else:
        ids = list(inp["ids"])
    ids = ids[: args.limit] if args.limit else ids
    rows, fits = [], []
    for aid in ids:
        i = inp["ids"].index(aid)
        for j, key in enumerate(PRIOR_KEYS):
            idata, wall, samp = pymc_fit(inp["y"][i], inp["se"][i], inp["priors"][i][j], args.draws,
                                         args.chains, seed=1000 + 10 * i + j)
            div = int(idata.sample_stats["diverging"].values.sum())
            fits.append({"analysis_id": aid, "prior": key, "k": len(inp["y"][i]), "wall_s": wall,
                         "sampling_s": samp, "divergences": div})
            ex = {p: exact.loc[(aid, key, p)] for p in ("mu", "tau", "theta_new")}
            for r in compare(idata, ex):
                rows.append({"analysis_id": aid, "prior": key, **r})
            print(f"  {aid:24s} {key:9s} k={len(inp['y'][i])} PyMC {wall:6.2f} s (sampling {samp:5.2f} s), "
                  f"divergences {div}", flush=True)
    fits_df, cmp_df = pd.DataFrame(fits), pd.DataFrame(rows)
    med_wall, med_samp = fits_df["wall_s"].median(), fits_df["sampling_s"].median()
    print(f"\nPyMC NUTS ({args.chains} chains × {args.draws} draws, cores=1): {len(fits_df)} fits "
          f"({len(ids)} analyses × {len(PRIOR_KEYS)} priors); median {med_wall:.2f} s per fit "
          f"(sampling alone {med_samp:.2f} s)")
    print(f"ratio per analysis and prior: PyMC / pool_bayes = {med_wall / per_unit:,.0f}× "
          f"(sampling alone: {med_samp / per_unit:,.0f}×)")
    ok = cmp_df["z"].abs() <= 3
    print(f"agreement: {ok.sum()} of {len(cmp_df)} quantiles within 3 Monte Carlo SE "
          f"(median |z| {cmp_df['z'].abs().median():.2f}); fits with divergences: "
          f"{(fits_df['divergences'] > 0).sum()} of {len(fits_df)}")
    worst = cmp_df.loc[~ok].sort_values("z", key=np.abs, ascending=False).head(10)
    if len(worst):
        print("outside 3 MCSE (heavy-tailed posteriors and divergent fits first):")
        print(worst.merge(fits_df, on=["analysis_id", "prior"]).to_string(index=False))


if __name__ == "__main__":
    main()
