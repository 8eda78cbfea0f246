"""The model: lavaan syntax to parameter table to the matrices of each group.

* :mod:`.syntax` parses lavaan model syntax (``=~``, ``~``, ``~~``, ``~1``, labels, fixed
  values, ``:=``) and :mod:`.expressions` the defined parameters;
* :mod:`.partable` builds lavaan's parameter table (``lhs, op, rhs, free, value, label``)
  with lavaan's defaults (marker loadings, free variances, exogenous covariances), and
  :mod:`.groups` the table of several groups with ``group.equal`` constraints;
* :mod:`.ram` holds one group's model in RAM form (A, S, m) with its implied moments and
  their derivatives, the one model form of every estimator; :mod:`.ordinal_model` adds the
  thresholds and scales of ordered items (delta parameterization) to it;
* :mod:`.start` gives the starting values of the free parameters from the sample moments.

Nothing here depends on an estimator.
"""
