# Golden values for comparing structural paths across groups under GLS and ULS
# (tests/test_invariance.py): the metric model of HolzingerSwineford1939 across school with
# speed ~ visual + textual, and for each path the model with that path equal across groups;
# lavaan's anova() of the two (the standard chi-square difference, with a p-value also for ULS);
# and under WLSMV (ordered items, hs_ordinal_group_data.csv), configural and with thresholds and
# loadings equal, lavaan's lavTestWald() of each path's equality across schools.
# Usage (from this folder): Rscript make_golden_paths.R   (R 4.2.2, lavaan 0.6.14, Debian)
suppressPackageStartupMessages(library(lavaan))
hs_model <- ' visual  =~ x1 + x2 + x3
              textual =~ x4 + x5 + x6
              speed   =~ x7 + x8 + x9 '
HS <- HolzingerSwineford1939
free <- paste(hs_model, "\n speed ~ visual + textual")
rows <- list()
for (est in c("GLS", "ULS")) {
  base <- sem(free, data = HS, group = "school", group.equal = "loadings", estimator = est)
  pe <- parameterEstimates(base)
  for (rhs in c("visual", "textual")) {
    other <- setdiff(c("visual", "textual"), rhs)
    con <- sem(paste(hs_model, sprintf("\n speed ~ c(b, b)*%s + %s", rhs, other)), data = HS,
               group = "school", group.equal = "loadings", estimator = est)
    a <- anova(con, base)
    p <- pe[pe$op == "~" & pe$rhs == rhs, ]
    rows[[length(rows) + 1]] <- data.frame(estimator = est, lhs = "speed", op = "~", rhs = rhs,
      est.Pasteur = p$est[1], est.Grant.White = p$est[2], se.Pasteur = p$se[1], se.Grant.White = p$se[2],
      delta_chisq = a[["Chisq diff"]][2], delta_df = a[["Df diff"]][2], pvalue = a[["Pr(>Chisq)"]][2])
  }
}
write.csv(do.call(rbind, rows), "hs_mi_paths_least_squares.csv", row.names = FALSE)
HSo <- read.csv("hs_ordinal_group_data.csv"); items <- paste0("x", 1:9)
rows <- list()
for (level in c("configural", "thresholds_loadings")) {
  equal <- if (level == "configural") "" else c("thresholds", "loadings")
  fit <- sem(paste(hs_model, "\n speed ~ c(v1, v2)*visual + c(t1, t2)*textual"), data = HSo,
             ordered = items, group = "school", group.equal = equal)
  pe <- parameterEstimates(fit)
  for (rhs in c("visual", "textual")) {
    lab <- if (rhs == "visual") c("v1", "v2") else c("t1", "t2")
    w <- lavTestWald(fit, sprintf("%s == %s", lab[1], lab[2]))
    p <- pe[pe$op == "~" & pe$rhs == rhs, ]
    rows[[length(rows) + 1]] <- data.frame(level = level, lhs = "speed", op = "~", rhs = rhs,
      est.Pasteur = p$est[1], est.Grant.White = p$est[2], se.Pasteur = p$se[1], se.Grant.White = p$se[2],
      wald = w$stat, wald_df = w$df, wald_pvalue = w$p.value)
  }
}
write.csv(do.call(rbind, rows), "hs_mi_ordinal_paths_wald.csv", row.names = FALSE)
