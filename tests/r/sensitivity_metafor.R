suppressMessages(library(metafor))
d <- read.csv(commandArgs(TRUE)[1], check.names = FALSE)
d$key <- paste(d[["Analysis group"]], d[["Analysis number"]], sep = ".")
out <- list()
add <- function(key, variant, r, tr = identity) {
  out[[length(out) + 1]] <<- data.frame(key = key, variant = variant, estimate = tr(as.numeric(r$b)),
                                         ci_low = tr(r$ci.lb), ci_high = tr(r$ci.ub), tau2 = r$tau2)
}
units <- list(c("1.7", ""), c("1.8", ""), c("3.5", ""), c("3.6", ""), c("5.6", ""), c("8.6", ""),
              c("1.2", ""), c("1.4", ""), c("1.4", "MMT (potential score 0 to 90)"))
for (u in units) {
  s <- d[d$key == u[1], ]
  if (u[2] != "") s <- s[trimws(s$Subgroup) == u[2], ]
  key <- if (u[2] == "") u[1] else paste(u[1], "/", u[2])
  if (any(s[["Experimental cases"]] > 0 | s[["Control cases"]] > 0)) {
    ai <- s[["Experimental cases"]]; n1 <- s[["Experimental N"]]; ci <- s[["Control cases"]]; n2 <- s[["Control N"]]
    keep <- !(ai == 0 & ci == 0)
    ai <- ai[keep]; n1 <- n1[keep]; ci <- ci[keep]; n2 <- n2[keep]
    es <- escalc("RR", ai = ai, n1i = n1, ci = ci, n2i = n2, add = 0.5, to = "only0")
    add(key, "revman", rma.mh(measure = "RR", ai = ai, n1i = n1, ci = ci, n2i = n2, add = 0.5, to = "only0"), exp)
    add(key, "mh_no_correction", rma.mh(measure = "RR", ai = ai, n1i = n1, ci = ci, n2i = n2, add = 0, to = "none"), exp)
    # RevMan 5: DerSimonian-Laird tau^2 from Q about the MH estimate (RevMan 5 statistical methods,
    # Deeks & Higgins 2010); metafor's rma(method = "DL") takes Q about the IV estimate instead
    mh <- rma.mh(measure = "RR", ai = ai, n1i = n1, ci = ci, n2i = n2, add = 0.5, to = "only0", drop00 = TRUE)
    cc <- ai == 0 | ci == 0
    mh05 <- exp(log(sum((ai + 0.5 * cc) * (n2 + cc) / (n1 + n2 + 2 * cc))) -
                log(sum((ci + 0.5 * cc) * (n1 + cc) / (n1 + n2 + 2 * cc))))
    w <- 1 / es$vi
    q <- sum(w * (es$yi - log(mh05))^2)
    t2 <- max(0, (q - (length(w) - 1)) / (sum(w) - sum(w^2) / sum(w)))
    add(key, "random_dl", rma(es, method = "DL", tau2 = t2), exp)
    add(key, "reml_hksj", rma(es, method = "REML", test = "knha"), exp)
    add(key, "reml_hksj_floor", rma(es, method = "REML", test = "adhoc"), exp)
  } else {
    m1 <- s[["Experimental mean"]]; s1 <- s[["Experimental SD"]]; n1 <- s[["Experimental N"]]
    m2 <- s[["Control mean"]]; s2 <- s[["Control SD"]]; n2 <- s[["Control N"]]
    N <- n1 + n2
    sp <- sqrt(((n1 - 1) * s1^2 + (n2 - 1) * s2^2) / (N - 2))
    g <- (1 - 3 / (4 * N - 9)) * (m1 - m2) / sp          # RevMan 5's Hedges' g
    v <- N / (n1 * n2) + g^2 / (2 * (N - 3.94))
    add(key, "revman", rma(g, v, method = "FE"))
    add(key, "random_dl", rma(g, v, method = "DL"))
    add(key, "reml_hksj", rma(g, v, method = "REML", test = "knha"))
    add(key, "reml_hksj_floor", rma(g, v, method = "REML", test = "adhoc"))
  }
}
write.csv(do.call(rbind, out), stdout(), row.names = FALSE)
