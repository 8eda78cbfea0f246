"""The fit-measure layer: lavaan's rules, as functions of test statistics and moments.

:mod:`.indices` holds every index formula with lavaan 0.6.14's edge-case rules (chi-square
tests, CFI/TLI and the other incremental indices, RMSEA with its interval and tests, the
Yuan-Bentler scaled, the scaled-and-shifted and the robust versions, the corrected robust
indices of FIML and ordered items, information criteria, residual summaries, GFI) and
:mod:`.difference` the chi-square difference tests. Each estimator assembles its
``fitMeasures`` from them.
"""
