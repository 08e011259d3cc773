"""Optional transformer backend (needs ``pip install 'afzender[transformer]'``).

``train.py`` fine-tunes any Hugging Face encoder, ``engine.py`` is the batched inference
core, ``model.py`` the backend the :class:`~afzender.Classifier` talks to, and ``tiny.py``
builds small local encoders for tests and benchmarks (no download).
"""
