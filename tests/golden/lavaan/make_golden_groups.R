# Golden values for multi-group models with sampling weights or FIML (lavaan 0.6.14).
# Same conventions as make_golden.R. Usage: Rscript make_golden_groups.R
# (Debian r-base-core r-cran-lavaan), in this folder.
suppressPackageStartupMessages({library(lavaan)})
out <- function(name, df) write.csv(df, sprintf("%s.csv", name), row.names = FALSE)
fm <- function(fit) { v <- fitMeasures(fit); data.frame(measure = names(v), value = as.numeric(v)) }
save_fit <- function(case, fit) {
  out(sprintf("%s_estimates", case), parameterEstimates(fit, standardized = TRUE))
  out(sprintf("%s_fit", case), fm(fit))
}
cat(R.version.string, "| lavaan", as.character(packageVersion("lavaan")), "\n")
hs_model <- ' visual  =~ x1 + x2 + x3
              textual =~ x4 + x5 + x6
              speed   =~ x7 + x8 + x9 '
HS <- HolzingerSwineford1939
w <- 1 + (HS$id %% 5) / 2                        # the weight pattern of make_golden_combos.R
# metric invariance across schools with design weights (ML becomes MLR, as lavaan does)
save_fit("hs_mi_metric_weights_mlr", cfa(hs_model, data = cbind(HS, w = w), group = "school",
                                         group.equal = "loadings", sampling.weights = "w",
                                         estimator = "MLR"))
# several groups with FIML (missing = "ml") on hs_missing_data.csv (written by make_golden.R;
# 10% of each item set missing, fixed pattern): configural and metric invariance across
# schools by ML, metric invariance by MLR (sandwich SEs, Yuan-Bentler test, FIML-corrected
# robust indices)
HSm <- read.csv("hs_missing_data.csv")
save_fit("hs_mi_configural_fiml", cfa(hs_model, data = HSm, group = "school", missing = "ml"))
save_fit("hs_mi_metric_fiml", cfa(hs_model, data = HSm, group = "school",
                                  group.equal = "loadings", missing = "ml"))
save_fit("hs_mi_metric_mlr_fiml", cfa(hs_model, data = HSm, group = "school",
                                      group.equal = "loadings", missing = "ml",
                                      estimator = "MLR"))
# several groups with FIML and sampling weights (the weight above, from the id column of
# hs_missing_data.csv): metric invariance by ML (lavaan makes it MLR) and by MLR; weights
# normalized over every row used (at least one observed item), GFI from each group's EM moments
HSmw <- cbind(HSm, w = 1 + (HSm$id %% 5) / 2)
save_fit("hs_mi_metric_weights_fiml", cfa(hs_model, data = HSmw, group = "school",
                                          group.equal = "loadings", missing = "ml",
                                          sampling.weights = "w"))
save_fit("hs_mi_metric_weights_mlr_fiml", cfa(hs_model, data = HSmw, group = "school",
                                              group.equal = "loadings", missing = "ml",
                                              sampling.weights = "w", estimator = "MLR"))
# WLSMV on continuous (not ordered) items in several groups (lavaan: DWLS on each group's
# means and vech(S), weights 1/diag(Gamma_ADF with the means), robust.sem SEs, the
# scaled-and-shifted test over groups): configural, metric and scalar invariance across schools
save_fit("hs_mi_configural_wlsmv_continuous", cfa(hs_model, data = HS, group = "school",
                                                  estimator = "WLSMV"))
save_fit("hs_mi_metric_wlsmv_continuous", cfa(hs_model, data = HS, group = "school",
                                              group.equal = "loadings", estimator = "WLSMV"))
save_fit("hs_mi_scalar_wlsmv_continuous", cfa(hs_model, data = HS, group = "school",
                                              group.equal = c("loadings", "intercepts"),
                                              estimator = "WLSMV"))
# the same with sampling weights (w above; lavaan: each group's weighted means and covariances,
# divisor its sum of weights N_g, the unweighted Gamma_g, groups weighed by N_g - 1)
save_fit("hs_mi_configural_weights_wlsmv_continuous", cfa(hs_model, data = cbind(HS, w = w),
                                                          group = "school", estimator = "WLSMV",
                                                          sampling.weights = "w"))
save_fit("hs_mi_metric_weights_wlsmv_continuous", cfa(hs_model, data = cbind(HS, w = w),
                                                      group = "school", group.equal = "loadings",
                                                      estimator = "WLSMV", sampling.weights = "w"))
# GLS and ULS in several groups (lavaan: meanstructure, each group's means and vech(S_g) with
# the N_g - 1 divisor, WLS.V = blockdiag(S_g^-1, 1/2 D'(S_g^-1 x S_g^-1) D) for GLS and the
# identity for ULS, groups weighed by N_g - 1, expected-information SEs with N - G, ULS
# p-values NA): configural, metric and scalar invariance across schools
levels <- list(configural = "", metric = "loadings",
               scalar = c("loadings", "intercepts"))
for (est in c("GLS", "ULS")) {
  for (level in names(levels)) {
    save_fit(sprintf("hs_mi_%s_%s", level, tolower(est)),
             cfa(hs_model, data = HS, group = "school", group.equal = levels[[level]],
                 estimator = est))
  }
}
