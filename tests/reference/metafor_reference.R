# Reference values from R metafor for tests/engine/test_engine_metafor.py.
#
# Run from the project root:  Rscript tests/reference/metafor_reference.R
# Writes tests/reference/metafor_reference.json (committed; the tests read the JSON, so CI does not
# need R). Installed with: apt-get install -y --no-install-recommends r-base-core r-cran-metafor
# (Debian bookworm: R 4.2.2, metafor 3.8-1). No other R packages are needed (JSON written by hand).
#
# Where RevMan 5's recipe differs from metafor's defaults, the recipe is built from metafor's own
# functions and the comment says how (e.g. "revman_mh": MH sums on 0.5-corrected cells).

suppressPackageStartupMessages(library(metafor))

tight <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-12)

# ---- minimal JSON writer ----------------------------------------------------------------------
num <- function(x) ifelse(is.na(x), "null", sprintf("%.17g", x))
to_json <- function(x, indent = 0) {
  pad <- strrep(" ", indent + 2)
  end <- strrep(" ", indent)
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x))) {
      items <- vapply(names(x), function(n)
        paste0(pad, "\"", n, "\": ", to_json(x[[n]], indent + 2)), "")
      return(paste0("{\n", paste(items, collapse = ",\n"), "\n", end, "}"))
    }
    items <- vapply(x, function(v) paste0(pad, to_json(v, indent + 2)), "")
    return(paste0("[\n", paste(items, collapse = ",\n"), "\n", end, "]"))
  }
  if (is.character(x)) {
    s <- paste0("\"", gsub("\"", "\\\\\"", x), "\"")
  } else if (is.logical(x)) {
    s <- ifelse(is.na(x), "null", ifelse(x, "true", "false"))
  } else {
    s <- num(as.numeric(x))
  }
  if (length(x) == 1 && is.null(attr(x, "array"))) return(s)
  paste0("[", paste(s, collapse = ", "), "]")
}
arr <- function(x) { attr(x, "array") <- TRUE; x }   # force a JSON array even for length 1

fit_summary <- function(res) {
  out <- list(beta = as.numeric(res$beta), se = res$se, ci_lb = res$ci.lb, ci_ub = res$ci.ub,
              zval = res$zval, pval = res$pval, QE = res$QE, QEp = res$QEp, k = res$k)
  if (!is.null(res$tau2)) out$tau2 <- res$tau2
  if (!is.null(res$I2)) out$I2 <- res$I2
  out
}

# prediction interval, Higgins et al. (2009): mu +- t_{k-2} sqrt(tau2 + se^2), on metafor's fit
pi_t <- function(res) {
  h <- qt(0.975, res$k - 2) * sqrt(res$tau2 + res$se^2)
  list(pi_lb = as.numeric(res$beta) - h, pi_ub = as.numeric(res$beta) + h)
}

# MH risk difference variance of Greenland & Robins (1985), the one RevMan 5 uses (Deeks & Higgins
# 2010; R meta R/metabin.R, "RevMan 3.1 (MH.exact == FALSE)"). metafor's rma.mh uses Sato et al.
# (1989) instead, so the RD standard error is a hand formula here; the RD estimate is metafor's.
gr_rd_se <- function(a, b, c, d) {
  a <- as.numeric(a); b <- as.numeric(b); c <- as.numeric(c); d <- as.numeric(d)  # no integer overflow
  n1 <- a + b; n2 <- c + d; N <- n1 + n2
  sqrt(sum((a * b * n2^3 + c * d * n1^3) / (n1 * n2 * N^2)) / sum(n1 * n2 / N)^2)
}

out <- list()
out$meta <- list(R = R.version.string, metafor = as.character(packageVersion("metafor")),
                 generated = format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z", tz = "UTC"),
                 script = "tests/reference/metafor_reference.R")

# ---- 1. BCG vaccine data (dat.bcg), binary ----------------------------------------------------
bcg <- dat.bcg
out$bcg <- list(tpos = arr(bcg$tpos), tneg = arr(bcg$tneg), cpos = arr(bcg$cpos), cneg = arr(bcg$cneg),
                alloc = arr(as.character(bcg$alloc)))
with(bcg, {
  for (m in c("RR", "OR", "RD")) {
    out$bcg[[paste0("mh_", m)]] <<- fit_summary(rma.mh(measure = m, ai = tpos, bi = tneg, ci = cpos, di = cneg))
    out$bcg[[paste0("iv_fixed_", m)]] <<- fit_summary(rma(measure = m, ai = tpos, bi = tneg, ci = cpos,
                                                          di = cneg, method = "FE"))
  }
  out$bcg$mh_RD$se_greenland_robins <<- gr_rd_se(tpos, tneg, cpos, cneg)
  out$bcg$peto_OR <<- fit_summary(rma.peto(ai = tpos, bi = tneg, ci = cpos, di = cneg))
  es <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg)
  out$bcg$yi_RR <<- arr(as.numeric(es$yi)); out$bcg$vi_RR <<- arr(as.numeric(es$vi))
  for (tm in c("DL", "REML", "PM")) {
    for (test in c("z", "knha")) {
      res <- rma(es$yi, es$vi, method = tm, test = test, control = tight)
      s <- fit_summary(res); s[names(pi_t(res))] <- pi_t(res)
      p <- predict(res)
      s$metafor_pi_lb <- p$pi.lb; s$metafor_pi_ub <- p$pi.ub
      out$bcg[[paste0("random_RR_", tm, "_", test)]] <<- s
    }
  }
  # RevMan's random effects for an MH analysis: DL tau2 from the MH heterogeneity Q (rma.mh's QE is
  # Q about the MH estimate with weights 1/vi), then IV with 1/(vi + tau2): metafor rma with tau2 fixed.
  mh <- rma.mh(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg)
  w <- 1 / es$vi
  tau2 <- max(0, (mh$QE - (mh$k - 1)) / (sum(w) - sum(w^2) / sum(w)))
  res <- rma(es$yi, es$vi, tau2 = tau2)
  s <- fit_summary(res); s$QE_mh <- mh$QE
  out$bcg$revman_mh_random_RR <<- s
  # test for subgroup differences: DL random effects per allocation group, then a fixed-effect
  # meta-analysis of the subgroup estimates (Q across subgroups), as RevMan does
  groups <- c("random", "alternate", "systematic")
  fits <- lapply(groups, function(g) rma(es$yi, es$vi, method = "DL", subset = (alloc == g)))
  b <- sapply(fits, function(f) as.numeric(f$beta)); se <- sapply(fits, function(f) f$se)
  sg <- rma(b, sei = se, method = "FE")
  out$bcg$subgroups_DL <<- list(groups = arr(groups), beta = arr(b), se = arr(se),
                                tau2 = arr(sapply(fits, function(f) f$tau2)),
                                Q = sg$QE, df = length(groups) - 1, p = sg$QEp)
})

# ---- 2. zero cells ----------------------------------------------------------------------------
# study 1: one zero cell; study 3: double zero (no events); study 5: all events in both arms? no -- kept simple
z <- data.frame(ai = c(0, 3, 0, 10, 1), n1i = c(20, 25, 15, 40, 12),
                ci = c(2, 1, 0, 12, 0), n2i = c(20, 24, 15, 38, 13))
out$zero <- list(ai = arr(z$ai), n1i = arr(z$n1i), ci = arr(z$ci), n2i = arr(z$n2i))
with(z, {
  for (m in c("RR", "OR")) {
    # metafor default: MH sums on raw counts; yi with 0.5 added to all cells of zero-cell studies;
    # double-zero study dropped (drop00 = TRUE) == zero_cell = "none"
    out$zero[[paste0("mh_none_", m)]] <<- fit_summary(rma.mh(measure = m, ai = ai, n1i = n1i, ci = ci, n2i = n2i))
    # RevMan: the same, but the MH sums use the 0.5-corrected cells (double zero left out)
    keep <- !(ai + ci == 0 | (n1i - ai) + (n2i - ci) == 0)
    zc <- (ai == 0 | ci == 0 | ai == n1i | ci == n2i) & keep
    a2 <- ai + 0.5 * zc; b2 <- n1i - ai + 0.5 * zc; c2 <- ci + 0.5 * zc; d2 <- n2i - ci + 0.5 * zc
    out$zero[[paste0("mh_revman_", m)]] <<- fit_summary(rma.mh(measure = m, ai = a2[keep], bi = b2[keep],
                                                               ci = c2[keep], di = d2[keep], add = 0))
    es <- escalc(measure = m, ai = ai, n1i = n1i, ci = ci, n2i = n2i, drop00 = TRUE)
    out$zero[[paste0("yi_", m)]] <<- arr(as.numeric(es$yi)); out$zero[[paste0("vi_", m)]] <<- arr(as.numeric(es$vi))
    out$zero[[paste0("iv_fixed_", m)]] <<- fit_summary(rma(es$yi, es$vi, method = "FE"))
  }
  # RD: the double-zero study is estimable (RD = 0) and kept. Estimate = MH RD on the raw counts
  # (metafor rma.mh, drop00 = FALSE); per-study RD raw (escalc add = 0); per-study variances with 0.5
  # added to all cells of zero-cell studies (escalc default); SE: Greenland-Robins on raw ("none")
  # or corrected ("revman") cells; Q = sum((yi_raw - beta)^2 / vi).
  mh <- rma.mh(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, drop00 = FALSE)
  raw <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, add = 0)
  es <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i)
  zc <- (ai == 0 | ci == 0 | ai == n1i | ci == n2i)
  q <- sum((raw$yi - as.numeric(mh$beta))^2 / es$vi)
  out$zero$mh_RD <<- list(beta = as.numeric(mh$beta), QE = q,
    se_none = gr_rd_se(ai, n1i - ai, ci, n2i - ci),
    se_revman = gr_rd_se(ai + 0.5 * zc, n1i - ai + 0.5 * zc, ci + 0.5 * zc, n2i - ci + 0.5 * zc))
  out$zero$yi_RD_raw <<- arr(as.numeric(raw$yi))
  out$zero$yi_RD <<- arr(as.numeric(es$yi)); out$zero$vi_RD <<- arr(as.numeric(es$vi))
  out$zero$peto_OR <<- fit_summary(rma.peto(ai = ai, n1i = n1i, ci = ci, n2i = n2i))
})

# ---- 3. continuous: dat.normand1999 (SMD exact = escalc "SMD", and MD) -------------------------
n9 <- dat.normand1999
out$normand <- list(m1i = arr(n9$m1i), sd1i = arr(n9$sd1i), n1i = arr(n9$n1i),
                    m2i = arr(n9$m2i), sd2i = arr(n9$sd2i), n2i = arr(n9$n2i))
with(n9, {
  for (m in c("SMD", "MD")) {
    es <- escalc(measure = m, m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i)
    out$normand[[paste0("yi_", m)]] <<- arr(as.numeric(es$yi))
    out$normand[[paste0("vi_", m)]] <<- arr(as.numeric(es$vi))
    out$normand[[paste0("fixed_", m)]] <<- fit_summary(rma(es$yi, es$vi, method = "FE"))
    for (tm in c("DL", "REML", "PM")) {
      res <- rma(es$yi, es$vi, method = tm, control = tight)
      s <- fit_summary(res); s[names(pi_t(res))] <- pi_t(res)
      out$normand[[paste0("random_", m, "_", tm)]] <<- s
      res <- rma(es$yi, es$vi, method = tm, test = "knha", control = tight)
      out$normand[[paste0("random_", m, "_", tm, "_knha")]] <<- fit_summary(res)
    }
  }
})

# ---- 4. many small analyses for pool_many -----------------------------------------------------
set.seed(20251121)
nrow_ <- 40
Y <- matrix(rnorm(nrow_ * 3, 0, 0.4), nrow_, 3)
V <- matrix(runif(nrow_ * 3, 0.01, 0.4), nrow_, 3)
Y[1:5, 3] <- NA; V[1:5, 3] <- NA     # five 2-study rows (NaN padding)
Y[6, 2:3] <- NA; V[6, 2:3] <- NA      # one single-study row
many <- list(y = lapply(seq_len(nrow_), function(i) arr(Y[i, ])), v = lapply(seq_len(nrow_), function(i) arr(V[i, ])))
for (tm in c("DL", "REML", "PM")) {
  for (test in c("z", "knha")) {
    rows <- lapply(seq_len(nrow_), function(i) {
      ok <- !is.na(Y[i, ])
      if (test == "knha" && sum(ok) < 2) return(NULL)
      res <- rma(Y[i, ok], V[i, ok], method = tm, test = test, control = tight)
      list(row = i - 1, beta = as.numeric(res$beta), se = res$se, ci_lb = res$ci.lb, ci_ub = res$ci.ub,
           tau2 = res$tau2, QE = res$QE, I2 = res$I2)
    })
    many[[paste0(tm, "_", test)]] <- Filter(Negate(is.null), rows)
  }
}
out$many <- many


# ---- 5. RevMan Web's random effects, prediction intervals, Q-profile CI, other CI levels ---------
# REML + Hartung-Knapp (test = "knha"): metafor's predict() then gives the prediction interval on
# t with k - 1 df and the Hartung-Knapp SE (RevMan Web's choice, see test_engine_revman_packages);
# confint() gives the Q-profile CI of tau2 (type "QP", metafor's default for rma.uni). Levels 90,
# 95 and 99 percent. Also: swap event and non-event (non-events as the events), the Peto odds ratio
# at 99%, and per-study 99% intervals (escalc + summary).
qp <- list(tol = 1e-13, maxiter = 10000)
web <- list()
with(bcg, {
  es <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg)
  for (lev in c(90, 95, 99)) {
    for (tm in c("REML", "DL")) {
      for (test in c("knha", "z")) {
        res <- rma(es$yi, es$vi, method = tm, test = test, level = lev, control = tight)
        s <- fit_summary(res)
        p <- predict(res, level = lev)
        s$pi_lb <- p$pi.lb; s$pi_ub <- p$pi.ub
        ci <- confint(res, level = lev, control = qp)
        s$tau2_lb <- ci$random["tau^2", "ci.lb"]; s$tau2_ub <- ci$random["tau^2", "ci.ub"]
        web[[paste0("RR_", tm, "_", test, "_", lev)]] <<- s
      }
    }
    web[[paste0("mh_RR_", lev)]] <<- fit_summary(rma.mh(measure = "RR", ai = tpos, bi = tneg, ci = cpos,
                                                        di = cneg, level = lev))
    web[[paste0("peto_OR_", lev)]] <<- fit_summary(rma.peto(ai = tpos, bi = tneg, ci = cpos, di = cneg,
                                                            level = lev))
    st <- summary(es, level = lev)
    web[[paste0("study_RR_", lev)]] <<- list(ci_lb = arr(as.numeric(st$ci.lb)), ci_ub = arr(as.numeric(st$ci.ub)))
  }
  # swap event and non-event: the non-events (n - events) are pooled
  web$swap_mh_RR <<- fit_summary(rma.mh(measure = "RR", ai = tneg, bi = tpos, ci = cneg, di = cpos))
  sw <- escalc(measure = "RR", ai = tneg, bi = tpos, ci = cneg, di = cpos)
  web$swap_yi_RR <<- arr(as.numeric(sw$yi)); web$swap_vi_RR <<- arr(as.numeric(sw$vi))
})
# normand1999 (MD): REML + knha at 95% with PI and tau2 CI, and the Paule-Mandel Q-profile CI
with(n9, {
  es <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i)
  for (tm in c("REML", "PM")) {
    res <- rma(es$yi, es$vi, method = tm, test = "knha", control = tight)
    s <- fit_summary(res)
    p <- predict(res); s$pi_lb <- p$pi.lb; s$pi_ub <- p$pi.ub
    ci <- confint(res, control = qp)
    s$tau2_lb <- ci$random["tau^2", "ci.lb"]; s$tau2_ub <- ci$random["tau^2", "ci.ub"]
    web[[paste0("normand_MD_", tm, "_knha")]] <<- s
  }
})
out$web <- web

path <- file.path("tests", "reference", "metafor_reference.json")
writeLines(to_json(out), path)
cat("wrote", path, "\n")
