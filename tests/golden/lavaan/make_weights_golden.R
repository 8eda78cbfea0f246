# Golden values for design-weighted estimation (lavaan sampling.weights), tests/test_weights.py.
# Usage (from this folder): Rscript make_weights_golden.R
# Made with R 4.2.2 and lavaan 0.6.14 (Debian r-base-core, r-cran-lavaan), like make_golden.R.
#
# Deterministic weights, not normalized (lavaan rescales them to sum to N,
# sampling.weights.normalization = "total"):
#   HolzingerSwineford1939 (hs_data.csv): w = (1 + (id %% 5) / 2) * (2 if school == "Pasteur" else 1)
#     i.e. five within-school weight levels 1, 1.5, ..., 3, with the Pasteur school
#     oversampled twice (weights 1 ... 6, sum 1005.5 for N = 301);
#   PoliticalDemocracy (pd_data.csv, row i = 1..75): w = 1 + (i %% 4) / 3 (1, 4/3, 5/3, 2).
# With sampling.weights and estimator "default"/"ML", lavaan 0.6.14 switches to MLR: ML on the
# weighted moments, sandwich SEs with weighted scores, Yuan-Bentler (Mplus variant) test.
#
# Writes <case>_estimates.csv (parameterEstimates(standardized = TRUE)) and <case>_fit.csv
# (fitMeasures) for hs_cfa_weighted and pd_sem_weighted.
suppressPackageStartupMessages(library(lavaan))
out <- function(name, df) write.csv(df, sprintf("%s.csv", name), row.names = FALSE)
fm <- function(fit) { v <- fitMeasures(fit); data.frame(measure = names(v), value = as.numeric(v)) }
save_fit <- function(case, fit) {
  stopifnot(lavInspect(fit, "converged"), lavInspect(fit, "options")$se == "robust.huber.white",
            lavInspect(fit, "options")$test == "yuan.bentler.mplus")
  out(sprintf("%s_estimates", case), parameterEstimates(fit, standardized = TRUE))
  out(sprintf("%s_fit", case), fm(fit))
}
cat(R.version.string, "| lavaan", as.character(packageVersion("lavaan")), "\n")

hs_model <- ' visual  =~ x1 + x2 + x3
              textual =~ x4 + x5 + x6
              speed   =~ x7 + x8 + x9 '
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

HS <- read.csv("hs_data.csv")
HS$w <- (1 + (HS$id %% 5) / 2) * ifelse(HS$school == "Pasteur", 2, 1)
save_fit("hs_cfa_weighted", cfa(hs_model, data = HS, sampling.weights = "w"))

PD <- read.csv("pd_data.csv")
PD$w <- 1 + (seq_len(nrow(PD)) %% 4) / 3
save_fit("pd_sem_weighted", sem(pd_model, data = PD, sampling.weights = "w"))
cat("done\n")
