"""The e5 ensemble backend: :mod:`.encoder` (e5 passage embeddings, the one choice of
engine), :mod:`.model` (the linear model mixed with an e5 head; prediction, load, save)
and :mod:`.fit` (training)."""
