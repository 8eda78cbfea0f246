"""Resampling: fast refits of one model to many covariance matrices (:mod:`.refit`), the
bootstrap and the jackknife with their intervals (:mod:`.bootstrap`)."""
