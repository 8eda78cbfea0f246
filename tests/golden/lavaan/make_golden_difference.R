# Golden values for chi-square difference tests of nested models under each estimator and
# missing-data treatment (lavaan lavTestLRT with its default method per test).
# Usage: Rscript make_golden_difference.R   (Debian r-base-core r-cran-lavaan); reads
# hs_missing_data.csv (make_golden.R) and hs_ordinal_group_data.csv (make_golden_combos.R);
# writes anova_estimators.csv and ordinal_invariance.csv.
suppressPackageStartupMessages({library(lavaan)})
cat(R.version.string, "| lavaan", as.character(packageVersion("lavaan")), "\n")
three <- ' visual  =~ x1 + x2 + x3
           textual =~ x4 + x5 + x6
           speed   =~ x7 + x8 + x9 '
one <- ' g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 '
pd_free <- '
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + y2 + y3 + y4
  dem65 =~ y5 + y6 + y7 + y8
  dem60 ~ ind60
  dem65 ~ ind60 + dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8 '
pd_fixed <- sub("  y4 ~~ y8\n", "", pd_free, fixed = TRUE)
HS <- HolzingerSwineford1939
HSm <- read.csv("hs_missing_data.csv")
PD <- PoliticalDemocracy
row <- function(case, estimator, missing, general, restricted) {
  a <- anova(general, restricted)
  data.frame(case = case, estimator = estimator, missing = missing,
             chisq_general = fitMeasures(general, "chisq"),
             chisq_restricted = fitMeasures(restricted, "chisq"),
             chisq_diff = a[2, "Chisq diff"], df_diff = a[2, "Df diff"],
             pvalue = a[2, "Pr(>Chisq)"],
             method = ifelse(grepl("satorra.bentler.2001", attr(a, "heading")[1]),
                             "satorra.bentler.2001", "standard"))
}
cases <- list()
for (est in c("ML", "MLR", "GLS", "ULS")) {
  cases[[length(cases) + 1]] <- row("hs", est, "listwise",
    cfa(three, HS, estimator = est), cfa(one, HS, estimator = est))
  cases[[length(cases) + 1]] <- row("pd", est, "listwise",
    sem(pd_free, PD, estimator = est), sem(pd_fixed, PD, estimator = est))
}
for (est in c("ML", "MLR")) {
  cases[[length(cases) + 1]] <- row("hs", est, "fiml",
    cfa(three, HSm, estimator = est, missing = "ml"), cfa(one, HSm, estimator = est, missing = "ml"))
}
for (est in c("ML", "MLR")) {  # measurement invariance: configural against metric
  cases[[length(cases) + 1]] <- row("hs_groups", est, "listwise",
    cfa(three, HS, estimator = est, group = "school"),
    cfa(three, HS, estimator = est, group = "school", group.equal = "loadings"))
}
for (est in c("ML", "MLR")) {  # the same with FIML on hs_missing_data.csv
  cases[[length(cases) + 1]] <- row("hs_groups", est, "fiml",
    cfa(three, HSm, estimator = est, group = "school", missing = "ml"),
    cfa(three, HSm, estimator = est, group = "school", group.equal = "loadings",
        missing = "ml"))
}
for (est in c("GLS", "ULS")) {  # measurement invariance by least squares (standard test)
  cases[[length(cases) + 1]] <- row("hs_groups", est, "listwise",
    cfa(three, HS, estimator = est, group = "school"),
    cfa(three, HS, estimator = est, group = "school", group.equal = "loadings"))
}
out <- do.call(rbind, cases)
write.csv(out, "anova_estimators.csv", row.names = FALSE)
# The invariance sequence of ordered items (WLSMV, delta): configural, thresholds, thresholds
# and loadings equal (Wu & Estabrook 2016), on hs_ordinal_group_data.csv (make_golden_combos.R).
ORD <- read.csv("hs_ordinal_group_data.csv")
levels <- list(configural = "none", thresholds = "thresholds",
               thresholds_loadings = c("thresholds", "loadings"))
seq_rows <- lapply(names(levels), function(level) {
  f <- cfa(three, ORD, ordered = paste0("x", 1:9), group = "school", group.equal = levels[[level]])
  v <- fitMeasures(f, c("npar", "chisq", "df", "chisq.scaled", "cfi.scaled"))
  data.frame(level = level, npar = v[["npar"]], chisq = v[["chisq"]], df = v[["df"]],
             chisq.scaled = v[["chisq.scaled"]], cfi.scaled = v[["cfi.scaled"]])
})
write.csv(do.call(rbind, seq_rows), "ordinal_invariance.csv", row.names = FALSE)
