"""The bias chapter's helpers (mytools.teaching.risk_of_bias, .small_studies) against the review's
own rows read with the csv module, RevMan's per-study numbers in them, and the 2015 review's table."""
from __future__ import annotations

import csv
from collections import defaultdict

import pandas as pd
import pytest

from mytools.data import DATA_DIR, load_data
from mytools.teaching import risk_of_bias as rob
from mytools.teaching import small_studies as ss

BLINDING = {"Aggarwal2022": "proderm_blinding", "Ruperto2016": "printo_blinding",
            "Prometheus2014": "prometheus_blinding", "Fujisawa2021": "fujisawa_blinding",
            "ISRCTN87782942": "isrctn87782942_blinding"}


def _csv(name: str) -> list[dict]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def data():
    return load_data()


@pytest.fixture(scope="module")
def rows(data):
    return data.review("cochrane2025").rows


@pytest.fixture(scope="module")
def raw_k() -> dict[str, int]:
    """Distinct study labels per analysis, straight from the review's data rows."""
    studies: dict[str, set] = defaultdict(set)
    for r in _csv("CD015855-data-rows.csv"):
        studies[f"{r['Analysis group']}.{r['Analysis number']}"].add(r["Study"].strip())
    return {a: len(s) for a, s in studies.items()}


def test_studies_per_analysis_equal_the_rows(rows, raw_k):
    per = ss.studies_per_analysis(rows)
    assert dict(zip(per["analysis"], per["k"])) == raw_k
    # a trial in two subgroups of one analysis counts once: PRINTO and PROMETHEUS in 3.4
    assert per.set_index("analysis").at["3.4", "k"] == 2


def test_the_counts_the_page_prints(rows, raw_k):
    v = ss.small_study_values(rows, "b")
    ks = list(raw_k.values())
    assert v["b_analyses"] == len(raw_k)
    assert v["b_k_max"] == max(ks) == 3
    assert v["b_k_max_n"] == sum(k == max(ks) for k in ks)
    assert v["b_k1"] == sum(k == 1 for k in ks)
    assert v["b_min"] == ss.FUNNEL_MIN_STUDIES == 10  # Sterne et al. 2011, recommendation 1
    assert v["b_enough"] == sum(k >= 10 for k in ks) == 0 and v["b_enough_words"] == "none"
    top = sorted(a for a, k in raw_k.items() if k == max(ks))
    assert all(a in v["b_k_max_which"] for a in top)
    dist = ss.k_distribution(ss.studies_per_analysis(rows))
    assert sum(int(n) for n in dist["Analyses"]) == len(raw_k)


def test_bad_rows_get_a_clear_error(rows):
    with pytest.raises(ValueError, match="missing column"):
        ss.studies_per_analysis(rows.drop(columns=["study"]))
    bad = rows.copy()
    bad.loc[bad.index[0], "study"] = " "
    with pytest.raises(ValueError, match=r"analysis 1\.1 has a row with no study label"):
        ss.studies_per_analysis(bad)
    with pytest.raises(ValueError, match="no rows"):
        ss.studies_per_analysis(rows.iloc[:0])


def test_prometheus_attrition_from_the_rows(rows):
    """Analysis 3.4 counts completers, 3.5 everyone randomised (= the registry's 31); the
    as-analysed risk ratio is RevMan's own per-study result in the rows."""
    raw = {(r["Analysis group"], r["Analysis number"]): r for r in _csv("CD015855-data-rows.csv")
           if r["Study"] == "PROMETHEUS"}
    imacs, sae = raw[("3", "4")], raw[("3", "5")]
    study = {r["study_id"]: r for r in _csv("studies.csv")}["Prometheus2014"]
    v = rob.attrition_values(rows, "3.4", "3.5", "PROMETHEUS", "p", withdrawals="3.6")
    a, n1 = int(imacs["Experimental cases"]), int(imacs["Experimental N"])
    c, n2 = int(imacs["Control cases"]), int(imacs["Control N"])
    r1, r2 = int(sae["Experimental N"]), int(sae["Control N"])
    assert (v["p_a"], v["p_n1"], v["p_c"], v["p_n2"], v["p_r1"], v["p_r2"]) == (a, n1, c, n2, r1, r2)
    assert r1 + r2 == int(study["n_randomised"]) and v["p_m"] == r1 + r2 - n1 - n2 > 0
    assert v["p_rr_asis"] == pytest.approx(float(imacs["Mean"]), abs=1e-6)
    assert v["p_lo_asis"] == pytest.approx(float(imacs["CI start"]), abs=1e-6)
    assert v["p_hi_asis"] == pytest.approx(float(imacs["CI end"]), abs=1e-6)
    m1, m2 = r1 - n1, r2 - n2
    assert v["p_rr_nonresp"] == pytest.approx((a / r1) / (c / r2))
    assert v["p_rr_worst"] == pytest.approx((a / r1) / ((c + m2) / r2))
    assert v["p_rr_best"] == pytest.approx(((a + m1) / r1) / (c / r2))
    assert v["p_missing_vs_nonresp"] == ("more than" if m2 > n2 - c else "as many as" if m2 == n2 - c
                                         else "fewer than")
    assert v["p_judgement"] == "high"
    wd = raw[("3", "6")]  # withdrawals for lack of benefit or adverse events: the missing, arm by arm
    assert (v["p_w1"], v["p_w2"]) == (int(wd["Experimental cases"]), int(wd["Control cases"])) == (m1, m2)
    assert v["p_w_match"] == "the same numbers as"
    assert v["p_direction"].startswith("favours either arm") == (v["p_rr_worst"] < 1 < v["p_rr_best"])


def test_attrition_rejects_impossible_counts():
    with pytest.raises(ValueError, match="0 <= events <= analysed <= randomised"):
        rob.attrition_scenarios(12, 14, 13, 11, 13, 16)
    with pytest.raises(KeyError, match="PROMETHEUS"):
        rob.arm_sizes(load_data().review("cochrane2025").rows, "1.1", "PROMETHEUS")


def test_design_table_covers_every_trial_with_the_2015_scores(data, rows):
    t = rob.design_table(rows, data.review_study_map, data.studies, data.sr2015_studies,
                         data.trial_facts, BLINDING)
    labels = list(dict.fromkeys(r["Study"].strip() for r in _csv("CD015855-data-rows.csv")))
    assert t["Label in the rows"].tolist() == labels
    jadad = {r["study_id"]: r["jadad"] for r in _csv("sr2015_studies.csv")}
    label_to_id = {r["review_label"]: r["study_id"] for r in _csv("review_study_map.csv")
                   if r["review_id"] == "cochrane2025"}
    for lab, score in zip(t["Label in the rows"], t["Jadad (2015 review)"]):
        assert score == jadad.get(label_to_id[lab], "not scored")
    assert rob.trials_matching(t, "open-label").count("PROMETHEUS") == 1
    with pytest.raises(KeyError, match="no 2015 Jadad row and no blinding fact"):
        rob.design_table(rows, data.review_study_map, data.studies, data.sr2015_studies,
                         data.trial_facts, {})
    assert len(rob.domains_table()) == 7  # Higgins 2011, Table 2


def test_registry_labels_and_the_unidentified_trial(data):
    t = ss.registry_labels(data.review_study_map, data.studies)
    expect = {r["review_label"]: r["identity"] for r in _csv("review_study_map.csv")
              if r["review_id"] == "cochrane2025" and r["review_label"].startswith(("NCT", "ISRCTN", "JPRN-"))}
    assert dict(zip(t["Label in the rows"], t["Identity"])) == expect
    assert expect["ISRCTN87782942"] == "unidentified" and "JPRN-UMIN000015469" in expect
    assert "Dalakas 1993" not in set(t["Label in the rows"])


def test_funnel_figure_draws_one_point_per_trial():
    pts = pd.DataFrame({"study": ["a", "b", "c"], "theta": [0.1, 0.5, 0.3], "se": [0.4, 0.2, 0.3],
                        "pooled": 0.35})
    fig = ss.funnel_figure(pts, "SMD")
    assert len(fig.axes[0].collections[0].get_offsets()) == 3
    assert fig.axes[0].get_ylim()[0] > fig.axes[0].get_ylim()[1]  # precise at the top
    with pytest.raises(ValueError, match="pooled"):
        ss.funnel_figure(pts.drop(columns=["pooled"]), "SMD")
