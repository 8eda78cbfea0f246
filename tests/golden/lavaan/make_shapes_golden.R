# Golden values for model shapes beyond pure latent-variable models (tests/test_shapes.py).
# Usage (from this folder): Rscript make_shapes_golden.R
# Made with R 4.2.2 and lavaan 0.6.14 (Debian r-base-core, r-cran-lavaan), like make_golden.R.
#
# HolzingerSwineford1939 (hs_data.csv), lavaan's defaults throughout:
#   hs_single_*: a single-indicator factor (speed =~ x7): lavaan fixes its loading at 1 and the
#     residual variance of x7 at 0 (auto.fix.single), ML;
#   hs_covariates_<est>: observed covariates ageyr and sex (numeric) in the structural part,
#     for ML, MLR, GLS, ULS and WLSMV (continuous items: DWLS); lavaan fixes their
#     (co)variances at the sample values for ML and MLR (fixed.x = TRUE) and frees them for
#     GLS, ULS and WLSMV. Rows with a missing value on a
#     model variable are dropped before fitting (none are).
# Writes <case>_estimates.csv (parameterEstimates(standardized = TRUE)) and <case>_fit.csv
# (fitMeasures), hs_covariates_partable.csv (free and exo columns of the ML table),
# hs_covariates_modindices.csv (modindices of the ML fit) and
# hs_single_nonconverging_lavaan.csv (see the end of this file).
suppressPackageStartupMessages(library(lavaan))
out <- function(name, df) write.csv(df, sprintf("%s.csv", name), row.names = FALSE)
fm <- function(fit) { v <- fitMeasures(fit); data.frame(measure = names(v), value = as.numeric(v)) }
save_fit <- function(case, fit) {
  stopifnot(lavInspect(fit, "converged"))
  out(sprintf("%s_estimates", case), parameterEstimates(fit, standardized = TRUE))
  out(sprintf("%s_fit", case), fm(fit))
}
cat(R.version.string, "| lavaan", as.character(packageVersion("lavaan")), "\n")
HS <- read.csv("hs_data.csv")

single_model <- ' visual  =~ x1 + x2 + x3
                  textual =~ x4 + x5 + x6
                  speed   =~ x7
                  textual ~ visual + speed '
save_fit("hs_single_ml", sem(single_model, data = HS))

covariate_model <- ' visual  =~ x1 + x2 + x3
                     textual =~ x4 + x5 + x6
                     speed   =~ x7 + x8 + x9
                     visual  ~ ageyr + sex
                     textual ~ visual + ageyr
                     speed   ~ textual '
for (est in c("ML", "MLR", "GLS", "ULS", "WLSMV")) {
  save_fit(sprintf("hs_covariates_%s", tolower(est)), sem(covariate_model, data = HS, estimator = est))
}
pt <- parTable(sem(covariate_model, data = HS))
out("hs_covariates_partable", pt[, c("lhs", "op", "rhs", "free", "exo")])
mi <- modindices(sem(covariate_model, data = HS))
out("hs_covariates_modindices", mi[, c("lhs", "op", "rhs", "mi", "epc", "sepc.lv", "sepc.all")])

# A data set on which lavaan does not converge: the HolzingerSwineford rows of bootstrap draw
# 47 with seed 1 (surveysem.sem.resampling.bootstrap.resample_indices(301, 47, 1) + 1, written by Python
# to hs_single_nonconverging_rows.csv), single-indicator model. Records lavaan's verdict.
rows <- read.csv("hs_single_nonconverging_rows.csv")$row
bad <- suppressWarnings(sem(single_model, data = HS[rows, ]))
out("hs_single_nonconverging_lavaan", data.frame(converged = lavInspect(bad, "converged")))
