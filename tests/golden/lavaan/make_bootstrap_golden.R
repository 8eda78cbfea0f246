# Golden references from R lavaan for tests/test_bootstrap.py and tests/test_comparison.py.
# Usage (from this folder): Rscript make_bootstrap_golden.R
#   needs Debian packages r-base-core r-cran-lavaan; made with R 4.2.2, lavaan 0.6-14; 4-6 min.
# R is only needed to regenerate these files, never to run the project or its tests.
#
# Writes
#   pd_bootstrap.csv        PoliticalDemocracy SEM (with := indirect/total), two references:
#                           reference = "lavaan_10000": lavaan se = "bootstrap" with B = 10000
#                             own draws: per parameter est, bootstrap se (SD with divisor B),
#                             percentile CI (boot.ci.type = "perc"), quartiles q25/q75 (the
#                             percentile interval with level = 0.5), bias-corrected CI
#                             ("bca.simple"), BCa CI ("bca", acceleration from regression-based
#                             influence values), B, failed and nonadmissible draws;
#                           reference = "draws_200": lavaan's percentile (95% and 50%) and
#                             bca.simple CIs computed by parameterEstimates() from exactly the
#                             200 draws of pd_bootstrap_draws.csv (injected into the @boot slot
#                             of a bootstrap fit).
#   pd_bootstrap_draws.csv  200 bootstrapLavaan draws of the same model with their row indices
#                           (keep.idx = TRUE, 1-based, space-separated): per draw failed and
#                           nonadmissible flags and est / std.all of every parameter-table row.
#   anova_nested.csv        anova() chi-square difference tests of two nested pairs:
#                           HS 3-factor vs 1-factor CFA; PD SEM with vs without y4 ~~ y8.
# and prints HS residual correlations (type = "cor.bentler"), copied into test_comparison.py.
suppressPackageStartupMessages(library(lavaan))
cat(R.version.string, "| lavaan", as.character(packageVersion("lavaan")), "\n")

pd_model <- '
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + y2 + y3 + y4
  dem65 =~ y5 + y6 + y7 + y8
  dem60 ~ a*ind60
  dem65 ~ c*ind60 + b*dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
  indirect := a*b
  total := c + a*b '
PD <- PoliticalDemocracy

# 1. lavaan's own bootstrap (ordinary/nonparametric), large B for a precise reference.
B <- 10000L
set.seed(20090401)
t0 <- proc.time()
fit_b <- sem(pd_model, data = PD, se = "bootstrap", bootstrap = B)
cat("bootstrap fit:", (proc.time() - t0)[["elapsed"]], "s\n")
coef_b <- fit_b@boot$coef
pe_perc <- parameterEstimates(fit_b, boot.ci.type = "perc")
pe_bc <- parameterEstimates(fit_b, boot.ci.type = "bca.simple")
pe_bca <- parameterEstimates(fit_b, boot.ci.type = "bca")
pe_quart <- parameterEstimates(fit_b, boot.ci.type = "perc", level = 0.5)
ci_table <- function(reference, perc, quart, bc, bca, se, B, coef) {
  data.frame(
    reference = reference, lhs = perc$lhs, op = perc$op, rhs = perc$rhs, label = perc$label,
    est = perc$est, se = se, ci.lower = perc$ci.lower, ci.upper = perc$ci.upper,
    q25 = quart$ci.lower, q75 = quart$ci.upper,
    bc.lower = bc$ci.lower, bc.upper = bc$ci.upper, bca.lower = bca$ci.lower,
    bca.upper = bca$ci.upper, B = B, n_failed = length(attr(coef, "error.idx")),
    n_nonadmissible = length(attr(coef, "nonadmissible")))
}
out <- ci_table("lavaan_10000", pe_perc, pe_quart, pe_bc, pe_bca, pe_perc$se, B, coef_b)
print(out[out$op %in% c("~", ":="), ])

# 2. Draw-level reference: lavaan's refits of 200 resamples, with the resampled rows.
fit <- sem(pd_model, data = PD)
pe0 <- parameterEstimates(fit)
keys <- paste0(pe0$lhs, pe0$op, pe0$rhs)
both <- function(f) {
  pe <- parameterEstimates(f, se = FALSE, zstat = FALSE, pvalue = FALSE, ci = FALSE,
                           standardized = TRUE)
  c(pe$est, pe$std.all)
}
set.seed(20090402)
draws <- bootstrapLavaan(fit, R = 200L, FUN = both, keep.idx = TRUE)
idx <- attr(draws, "boot.idx")[[1]]
failed <- seq_len(nrow(draws)) %in% attr(draws, "error.idx")
nonadm <- seq_len(nrow(draws)) %in% attr(draws, "nonadmissible")
vals <- as.data.frame(unclass(draws)[, seq_len(2 * length(keys)), drop = FALSE])
names(vals) <- c(paste0("est:", keys), paste0("std.all:", keys))
write.csv(data.frame(draw = seq_len(nrow(draws)) - 1L, failed = failed, nonadmissible = nonadm,
                     idx = apply(idx, 1, paste, collapse = " "), vals, check.names = FALSE),
          "pd_bootstrap_draws.csv", row.names = FALSE)
cat("draws: failed", sum(failed), "nonadmissible", sum(nonadm), "\n")
# lavaan's own CIs from exactly these draws: put their free-parameter values into the @boot
# slot of a bootstrap fit (its 20 own draws are replaced) and call parameterEstimates().
free <- parTable(fit)$free
coef_200 <- unclass(draws)[, which(free > 0)[order(free[free > 0])], drop = FALSE]
attr(coef_200, "error.idx") <- attr(draws, "error.idx")
attr(coef_200, "nonadmissible") <- attr(draws, "nonadmissible")
set.seed(3)
fit_inj <- sem(pd_model, data = PD, se = "bootstrap", bootstrap = 20L)
fit_inj@boot$coef <- coef_200
perc_200 <- parameterEstimates(fit_inj, boot.ci.type = "perc")
quart_200 <- parameterEstimates(fit_inj, boot.ci.type = "perc", level = 0.5)
bc_200 <- parameterEstimates(fit_inj, boot.ci.type = "bca.simple")
na_ci <- data.frame(ci.lower = rep(NA, nrow(perc_200)), ci.upper = NA)
out <- rbind(out, ci_table("draws_200", perc_200, quart_200, bc_200, na_ci, NA, 200L, coef_200))
write.csv(out, "pd_bootstrap.csv", row.names = FALSE)

# 3. Chi-square difference tests (anova) of nested models.
hs3 <- cfa(' visual =~ x1 + x2 + x3
             textual =~ x4 + x5 + x6
             speed =~ x7 + x8 + x9 ', data = HolzingerSwineford1939)
hs1 <- cfa(' g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 ', data = HolzingerSwineford1939)
pd_no48 <- sem(sub("  y4 ~~ y8\n", "", pd_model, fixed = TRUE), data = PD)
tab <- function(case, a, names) {
  x <- as.data.frame(anova(a[[1]], a[[2]]))
  data.frame(case = case, model = names, npar = sapply(a, function(f) fitMeasures(f, "npar")),
             df = x$Df, aic = x$AIC, bic = x$BIC, chisq = x$Chisq,
             chisq_diff = x[["Chisq diff"]], df_diff = x[["Df diff"]],
             pvalue = x[["Pr(>Chisq)"]])
}
an <- rbind(tab("hs", list(hs3, hs1), c("three_factor", "one_factor")),
            tab("pd", list(fit, pd_no48), c("with_y4y8", "without_y4y8")))
write.csv(an, "anova_nested.csv", row.names = FALSE)
print(an)

# 4. Residual correlations of the HS CFA (printed only).
res <- unclass(residuals(hs3, type = "cor.bentler")$cov)
print(round(res[c("x7", "x9", "x5"), c("x1", "x2", "x3")], 6))
cat("done\n")
