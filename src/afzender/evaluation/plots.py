"""PNG plots (matplotlib, imported only when a plot is drawn, with the Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..labels import LABELS


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion_matrix(matrix: list[list[int]], path: Path, title: str = "Confusion matrix") -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=110)
    image = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=20, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    peak = max(max(row) for row in matrix) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center",
                    color="white" if value > peak / 2 else "black")
    ax.set_title(title.replace("$", r"\$"), fontsize=10)  # '$' would start math markup
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def plot_reliability(bins: list[dict[str, Any]], ece: float, path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.8, 4.5), dpi=110)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    centres = [(b["lower"] + b["upper"]) / 2 for b in bins]
    ax.bar(centres, [b["accuracy"] for b in bins], width=0.09, alpha=0.7, label="accuracy per bin")
    ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o-", color="C1",
            label="mean confidence vs accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"Reliability diagram (ECE {ece:.3f})", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path
