"""The linear backend: :mod:`.model` (prediction, numpy and the C core) and :mod:`.fit`
(training, scikit-learn)."""
