"""Feature hashing under threads and with long batches (the numpy path)."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from afzender import features
from afzender.features import occurrences
from afzender.text import normalize_joined


@pytest.fixture()
def fresh_powers(monkeypatch):
    """An empty power table, so every call below has to grow it."""
    powers = features._Powers()
    monkeypatch.setattr(features, "_POWERS", powers)
    return powers


def test_power_tables_grow_safely_under_many_threads(fresh_powers, monkeypatch):
    batches = [normalize_joined([f"post {i} " + "woord " * (40 * i + 7)]) for i in range(1, 17)]
    expected = [occurrences(b).buckets for b in batches]
    for _ in range(30):
        monkeypatch.setattr(features, "_POWERS", features._Powers())
        with ThreadPoolExecutor(max_workers=8) as pool:
            got = list(pool.map(lambda b: occurrences(b).buckets, batches))
        for want, have in zip(expected, got):
            assert np.array_equal(want, have)


def test_power_cache_is_capped(fresh_powers):
    long_batch = normalize_joined(["lang bericht " * 1500] * 200)   # ~3.9 M code points
    assert len(long_batch) > features.POWERS_CACHED
    occ = occurrences(long_batch)
    assert occ.n_docs == 200
    pos, neg = fresh_powers.tables
    assert len(pos) == len(neg) <= features.POWERS_CACHED
    # a long batch hashes the same as its posts one by one
    single = occurrences(normalize_joined(["lang bericht " * 1500]))
    assert np.array_equal(np.sort(occ.buckets[occ.docs == 7]), np.sort(single.buckets))
