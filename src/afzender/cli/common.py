"""What the commands share: the model option, the CSV separator option."""

from __future__ import annotations

import argparse

from ..classifier import Classifier, load

SEPARATORS = {",": ",", ";": ";", "tab": "\t", "\t": "\t"}


def add_sep(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sep", choices=[",", ";", "\t"], metavar="{',',';',tab}",
                   type=lambda v: SEPARATORS.get(v, v),
                   help="separator of CSV files (default: sniffed from the header line: "
                        "',', ';' as Dutch Excel writes, or tab)")


def add_model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="model folder (default: the shipped model)")


def load_model(path: str | None) -> Classifier:
    """The model folder ``path`` names, or the shipped model."""
    return load(path)


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number
