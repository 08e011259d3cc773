"""The model card written next to the weights (``README.md`` in a model folder)."""

from __future__ import annotations

import json
from typing import Any

from .labels import LABELS


def _metrics_table(metrics: dict[str, Any]) -> str:
    if not metrics:
        return "No evaluation was recorded for this model.\n"
    lines = ["| data | posts | macro-F1 | accuracy | " + " | ".join(f"F1 {l}" for l in LABELS) +
             " | share predicted partijpoliticus | ECE |",
             "|---|---|---|---|" + "---|" * len(LABELS) + "---|---|"]
    for name, m in metrics.items():
        per_class = m.get("per_class_f1", {})
        cells = [name, str(m.get("n", "")), _fmt(m.get("macro_f1")), _fmt(m.get("accuracy"))]
        cells += [_fmt(per_class.get(label)) for label in LABELS]
        cells.append(_fmt(m.get("share_predicted", {}).get("partijpoliticus")))
        cells.append(_fmt(m.get("ece")))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Where a data set holds one label only (posts of party accounts, all labelled "
                 "partijpoliticus by sender), macro-F1 is not meaningful: read accuracy, which "
                 "equals the share predicted as that label.")
    return "\n".join(lines) + "\n"


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "–"


def model_card(metadata: dict[str, Any]) -> str:
    """Render a model card from a model's manifest."""
    training = metadata.get("training", {})
    config = metadata.get("config", {})
    return f"""# afzender model card

**Kind:** {metadata.get('kind')} · **library version:** {metadata.get('library_version')} ·
**format version:** {metadata.get('format_version')}

## Intended use
Tells, for one social-media post by or about a Dutch government member, in which capacity
the sender speaks: `minister-in-functie`, `partijpoliticus` or `privépersoon`, judged from
the text alone (see the project's `data/CODEBOOK.md`). Meant for research, monitoring and
as a second pair of eyes for communication staff. Not meant to decide about persons: a
label is a reading of one text, with a probability, and can be wrong.

## Training data
- examples used: {training.get('n_used', '–')} (of {training.get('n_rows', '–')} rows; excluded: {training.get('excluded', {}) or 'none'})
- data SHA-256: `{training.get('data_sha256', '–')}`
- label counts: {training.get('label_counts', '–')}
- calibration: {training.get('calibration', '–')}
- made with: `{metadata.get('command', '–')}`

## Configuration
```json
{json.dumps(config, indent=2, ensure_ascii=False)}
```

## Metrics
{_metrics_table(metadata.get('metrics', {}))}
Figures come from the command above; they are recomputed whenever the model is rebuilt.

## Limitations
- Trained on posts written for the project, not on real posts; real posts differ in
  topic, style and context, so expect lower accuracy on them than on the corpus split.
- One text, one label: threads, images, video and the account's history are not seen.
- Short or context-dependent posts ("Mooi!", a bare link) get the most likely label with
  a low probability; treat probabilities below about 0.6 as "twijfel".
- Posts longer than 20,000 characters are read up to that length.
"""
