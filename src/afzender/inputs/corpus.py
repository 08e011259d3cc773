"""The project's labelled corpus (``data/corpus.jsonl``) as a ``datasets.DatasetDict``."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError

SPLITS = ("train", "dev", "test")


def wave_of(post_id: str) -> int:
    """The writing wave of a corpus post id (``w25-0001`` → 25).

    Raises
    ------
    ValueError
        An id that is not ``w<wave>-<number>``.
    """
    head, sep, _ = post_id.partition("-")
    if not (sep and head[:1] == "w" and head[1:].isdigit()):
        raise ValueError(f"not a corpus post id (w<wave>-<number>): {post_id!r}")
    return int(head[1:])


def corpus_path() -> Path:
    """Where the corpus lies: inside the installed package, else the source checkout."""
    packaged = Path(__file__).parents[1] / "_corpus" / "corpus.jsonl"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[3] / "data" / "corpus.jsonl"


def load_corpus(path: str | Path | None = None):
    """Load the corpus, one ``datasets.Dataset`` per split (``train``, ``dev``, ``test``).

    Splits are by account: no account has posts in two splits.

    Raises
    ------
    DataError
        The corpus file is not found.
    ImportError
        The ``datasets`` package is not installed (``pip install 'afzender[data]'``).
    """
    from datasets import Dataset, DatasetDict

    from .tables import iter_file_rows

    path = Path(path) if path is not None else corpus_path()
    if not path.is_file():
        raise DataError(f"corpus not found at {path}")
    rows: dict[str, list[dict]] = {split: [] for split in SPLITS}
    for number, row in iter_file_rows(path):
        split = row.get("split")
        if split not in rows:
            raise DataError(f"{path}, line {number}: split must be one of {SPLITS}, got {split!r}")
        rows[split].append(row)
    return DatasetDict({split: Dataset.from_list(items) for split, items in rows.items()})
