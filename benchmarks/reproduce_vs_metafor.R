# R metafor side of benchmarks/reproduce_vs_metafor.py: loop over the same pooled units
# (segments) the Python engine pools in one batch, time the loop, write the results.
#   Rscript benchmarks/reproduce_vs_metafor.R rows.csv segments.csv out.csv [repeats]
# rows.csv: segment, yi, vi (per-study effect and variance on the analysis scale, RevMan's rules)
#           and ai, bi, ci, di (2x2 cells, 0.5 added to every cell of a zero-cell study as RevMan's
#           Mantel-Haenszel sums do); segments.csv: segment, fit ("rma" | "rma.mh"), method
#           ("FE" | "DL" | "REML"), measure ("RR" | "OR" | "RD" | ...).
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
rows <- read.csv(args[1])
segs <- read.csv(args[2], stringsAsFactors = FALSE)
reps <- if (length(args) >= 4) as.integer(args[4]) else 1L
by_seg <- split(rows, factor(rows$segment, levels = segs$segment))

fit_one <- function(s, d) {
  if (s$fit == "rma.mh") {
    r <- rma.mh(ai = d$ai, bi = d$bi, ci = d$ci, di = d$di, measure = s$measure,
                add = 0, to = "none", drop00 = FALSE)
    return(c(r$beta[1], r$se, 0, NA))
  }
  r <- rma.uni(yi = d$yi, vi = d$vi, method = s$method)
  c(r$beta[1], r$se, r$tau2, r$QE)
}

out <- matrix(NA_real_, nrow(segs), 4)
elapsed <- numeric(reps)
for (k in seq_len(reps)) {
  t0 <- proc.time()[["elapsed"]]
  for (i in seq_len(nrow(segs))) {
    out[i, ] <- suppressWarnings(fit_one(segs[i, ], by_seg[[i]]))
  }
  elapsed[k] <- proc.time()[["elapsed"]] - t0
}
res <- data.frame(segment = segs$segment, theta = out[, 1], se = out[, 2], tau2 = out[, 3],
                  q = out[, 4])
write.csv(res, args[3], row.names = FALSE)
cat(sprintf("metafor %s: %d pooled units, best of %d loops %.3f s\n",
            as.character(packageVersion("metafor")), nrow(segs), reps, min(elapsed)))
cat(sprintf("ELAPSED %.6f\n", min(elapsed)))
