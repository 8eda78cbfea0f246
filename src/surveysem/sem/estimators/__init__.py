"""The estimators: what is minimized, with its standard errors, test statistic and tables.

Each family holds its discrepancy (or likelihood), minimized by
:func:`surveysem.sem.optimizer.minimize`, and what lavaan 0.6.14 derives from it; the
estimates tables come from :mod:`surveysem.sem.results` and the fit measures from the rules of
:mod:`surveysem.sem.measures`:

* complete data: :mod:`.ml` (normal-theory ML, exact low-rank derivatives, also the engine
  of the bootstrap's refits), :mod:`.robust` (MLR's sandwich and Yuan-Bentler test),
  :mod:`.weights` (sampling weights), :mod:`.least_squares` (GLS, ULS), combined by
  :mod:`.fitting` (:func:`fit_model`) with :mod:`.fit_measures`; local tests of an ML fit:
  :mod:`.modindices`;
* :mod:`.fiml`: ML on incomplete data (lavaan ``missing = "ml"``), in one or several groups;
* :mod:`.multigroup`: several groups (ML, MLR; complete data, or incomplete data through the
  FIML engine of :mod:`.fiml`; GLS, ULS and WLSMV on continuous items through the group
  objective of :mod:`.least_squares`), with :mod:`.score_tests` (``lavTestScore``, complete data);
* ordered items by WLSMV: :mod:`.polychoric` (sample statistics), :mod:`.ordinal` (the fit)
  and :mod:`.ordinal_measures`.
"""
