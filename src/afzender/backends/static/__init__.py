"""The static backend: the linear model mixed with a logistic-regression head on static e5
vectors (:mod:`.vectors`, numpy only); :mod:`.model` (prediction, load, save) and :mod:`.fit`
(training)."""
