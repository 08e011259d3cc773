"""Concurrency, processes, determinism and bounded memory."""

import json
import subprocess
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

import afzender

POSTS = [f"Post {i}: het kabinet besluit over de zorg" if i % 3 == 0 else
         f"Stem op ons, ronde {i}!" if i % 3 == 1 else f"Fijne zondag nummer {i} 🌞" for i in range(600)]

_worker_model = None


def _init(path):
    global _worker_model
    _worker_model = afzender.load(path)


def _work(chunk):
    return _worker_model.predict_proba(chunk)


def test_eight_threads_give_the_single_threaded_results(default_model):
    expected = default_model.predict_proba(POSTS)
    chunks = [POSTS[i::8] for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(default_model.predict_proba, chunks * 3))
    for i, result in enumerate(results):
        assert np.array_equal(result, expected[i % 8::8])


def test_process_pool_loads_the_model_per_worker(default_model):
    path = default_model.metadata["path"]
    chunks = [POSTS[:300], POSTS[300:]]
    with ProcessPoolExecutor(2, initializer=_init, initargs=(path,)) as pool:
        results = list(pool.map(_work, chunks))
    assert np.allclose(np.vstack(results), default_model.predict_proba(POSTS), atol=1e-12)


def test_first_prediction_loads_the_default_model_once_under_threads():
    code = textwrap.dedent("""
        import threading, afzender, afzender.classifier as c
        calls = []
        original = c.load
        c.load = lambda path=None: calls.append(1) or original(path)
        threads = [threading.Thread(target=afzender.predict, args=("x",)) for _ in range(8)]
        [t.start() for t in threads]; [t.join() for t in threads]
        assert len(calls) == 1, calls
    """)
    subprocess.run([sys.executable, "-c", code], check=True)


def _peak_rss_mb(n_posts):
    # VmHWM is this process's own peak; ru_maxrss can carry the parent's peak over a fork.
    code = textwrap.dedent(f"""
        import afzender
        model = afzender.load()
        posts = (f"Bericht {{i}} over het kabinet en de partij, met wat extra woorden erbij"
                 for i in range({n_posts}))
        count = sum(1 for _ in model.predict_iter(posts, batch_size=2048))
        assert count == {n_posts}
        status = open("/proc/self/status").read()
        print(int(status.split("VmHWM:")[1].split()[0]) / 1024)
    """)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def test_streaming_memory_does_not_grow_with_input_size():
    small, large = _peak_rss_mb(10_000), _peak_rss_mb(150_000)
    assert large - small < 40, (small, large)
    assert large < 500


def test_training_is_deterministic_across_processes(tmp_path, tiny_rows):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in tiny_rows))
    for name in ("a", "b"):
        subprocess.run([sys.executable, "-m", "afzender.cli", "train", str(data), "-o",
                        str(tmp_path / name), "--seed", "7", "--no-record-command"], check=True,
                       capture_output=True)
    for name in ("manifest.json", "weights.safetensors"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
