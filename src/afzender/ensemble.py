"""Deprecated for one release: the e5 ensemble moved to :mod:`afzender.backends.ensemble`
(:mod:`~afzender.backends.ensemble.encoder`, :mod:`~afzender.backends.ensemble.model`,
:mod:`~afzender.backends.ensemble.fit`). Using a name here warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    "afzender.backends.ensemble.encoder": ("ENCODER", "E5_DIM", "EMBED_BATCH", "ENGINES",
                                           "Embedder", "embed", "encoder_version", "Once",
                                           "_encoder", "_make_encoder"),
    "afzender.backends.ensemble.model": ("HEAD", "N_CLASSES", "mix_logits", "EnsembleModel"),
    "afzender.backends.ensemble.fit": ("MIX_GRID", "fit_head"),
    "afzender._legacy": ("train_ensemble",),
})
