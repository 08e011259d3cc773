"""Model-agnostic explanations by occlusion: drop one word, see how much the winning
class's probability falls. Used for models without linear feature contributions."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

MAX_WORDS = 64  # occlude at most this many words per post (the first ones)


def occlusion(predict_proba: Callable[[list[str]], np.ndarray], texts: list[str],
              top: int = 8) -> list[list[tuple[str, float]]]:
    """Per post, up to ``top`` ``(word, drop in probability of the predicted class)``.

    All occluded variants of all posts go through ``predict_proba`` in one call, so a
    batched engine serves them efficiently.
    """
    base = predict_proba(texts)
    predicted = base.argmax(axis=1)
    variants: list[str] = []
    owners: list[tuple[int, str]] = []
    for index, text in enumerate(texts):
        words = text.split()[:MAX_WORDS]
        for position, word in enumerate(words):
            variants.append(" ".join(words[:position] + words[position + 1:]))
            owners.append((index, word))
    result: list[list[tuple[str, float]]] = [[] for _ in texts]
    if variants:
        occluded = predict_proba(variants)
        for (index, word), row in zip(owners, occluded):
            drop = float(base[index, predicted[index]] - row[predicted[index]])
            result[index].append((word, drop))
    return [merge_by_word(items, top) for items in result]


def merge_by_word(items: Iterable[tuple[str, float]], top: int) -> list[tuple[str, float]]:
    """One entry per word (its contributions summed, in order of first occurrence), the
    ``top`` strongest by magnitude first."""
    totals: dict[str, float] = {}
    for word, value in items:
        totals[word] = totals.get(word, 0.0) + value
    return sorted(totals.items(), key=lambda item: -abs(item[1]))[:top]
