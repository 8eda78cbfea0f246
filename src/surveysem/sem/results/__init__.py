"""The results every stage reads: lavaan's ``parameterEstimates`` table with standardized
values and defined parameters (:mod:`.estimates`), the admissibility report
(:mod:`.diagnostics`) and residual correlations (:mod:`.residuals`)."""
