"""Peto odds ratios from O − E and variance, against RevMan's own rows: CD008469 (the only real
"O-E and variance" data rows found; ../shared/fixtures/revman/derived, rebuilt from Pairwise70,
6 decimals). RevMan's study estimate is exp((O − E)/V) with CI exp((O − E)/V ± z/√V), and in the
subtotal-only analyses 1.1 and 1.6 the fixed-effect (Peto) weights sum to 100 within each subgroup.
Peto from 2×2 tables is tested against metafor's rma.peto and Stata metan in
test_engine_metafor.py (95% and 90/99%).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mytools import pool_by_subgroup, pool_oe

ATOL = 6e-6


@pytest.fixture(scope="module")
def rows(revman_fixtures):
    d = pd.read_csv(revman_fixtures / "derived" / "CD008469_pub3-data-rows_from_Pairwise70.csv")
    d["Subgroup"] = d["Subgroup"].astype(object).fillna("")
    return d


@pytest.mark.parametrize("group,number", [(1, 1), (1, 6), (2, 1), (2, 4)])
def test_oe_rows_and_weights(rows, group, number):
    a = rows[(rows["Analysis group"] == group) & (rows["Analysis number"] == number)]
    assert len(a) >= 4
    if (a["Subgroup"] != "").any():
        res = pool_by_subgroup(pool_oe, a["Subgroup"], a["O-E"], a["Variance"], labels=a["Study"],
                               overall=False)
        parts = [(r, a[a["Subgroup"] == name]) for name, r in res.subgroups.items()]
        assert len(parts) == a["Subgroup"].nunique() and res.df == len(parts) - 1
    else:
        parts = [(pool_oe(a["O-E"], a["Variance"], labels=a["Study"]), a)]
    for r, s in parts:
        assert r.measure == "PETO_OR" and r.data_type == "o_e" and r.log_scale
        np.testing.assert_allclose(r.studies["estimate"], s["Mean"], atol=ATOL)
        np.testing.assert_allclose(r.studies["ci_low"], s["CI start"], atol=ATOL)
        np.testing.assert_allclose(r.studies["ci_high"], s["CI end"], atol=ATOL)
        np.testing.assert_allclose(r.studies["weight_percent"], s["Weight"], atol=ATOL)
        # pooled Peto: Σ(O − E)/ΣV with SE 1/√ΣV
        np.testing.assert_allclose(r.theta, s["O-E"].sum() / s["Variance"].sum(), rtol=1e-12)
        np.testing.assert_allclose(r.se, 1 / np.sqrt(s["Variance"].sum()), rtol=1e-12)


def test_oe_bad_input():
    with pytest.raises(ValueError, match="variance"):
        pool_oe([1.0, 2.0], [3.0, -1.0])
    r = pool_oe([1.0, 2.0, 0.5], [3.0, 0.0, 2.0], labels=["a", "b", "c"])
    assert r.k == 2 and not r.studies["estimable"].iloc[1]
