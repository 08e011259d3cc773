"""The model card written next to the weights (``README.md`` in a model folder)."""

from __future__ import annotations

import json
from typing import Any

from .labels import LABELS
from .outputs import md_cell


def _metrics_table(metrics: dict[str, Any]) -> str:
    if not metrics:
        return "No evaluation was recorded for this model.\n"
    lines = ["| data | posts | macro-F1 | accuracy | " + " | ".join(f"F1 {l}" for l in LABELS) +
             " | share predicted partijpoliticus | ECE |",
             "|---|---|---|---|" + "---|" * len(LABELS) + "---|---|"]
    for name, m in metrics.items():
        per_class = m.get("per_class_f1", {})
        cells = [md_cell(name), str(m.get("n", "")), _fmt(m.get("macro_f1")), _fmt(m.get("accuracy"))]
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


def _is_project_corpus(training: dict[str, Any]) -> bool:
    return bool(training.get("source", {}).get("project_corpus"))


def _data_source(training: dict[str, Any]) -> str:
    """Where the training posts came from, as the manifest recorded it."""
    source = training.get("source")
    if not source:
        return "- source: not recorded (a model made before afzender recorded it)"
    if _is_project_corpus(training):
        return ("- source: the project's corpus (`data/corpus.jsonl`): posts written for the "
                "project about invented persons, labelled twice; see `data/DATASHEET.md`")
    if source.get("kind") == "file":
        digest = source.get("file_sha256")
        return (f"- source: the file `{source.get('name')}`, supplied by whoever trained this "
                f"model" + (f" (file SHA-256 `{digest}`)" if digest else "") +
                "; what its posts represent is for its maker to document")
    return (f"- source: a {source.get('kind')} passed to `afzender.train`; what its posts "
            "represent is for its maker to document")


def _split_lines(training: dict[str, Any]) -> str:
    split = training.get("split")
    if not split:
        return ""
    counts = ", ".join(f"{role} {split[role]['n']}" for role in ("train", "dev", "test"))
    return (f"- roles of the rows: {counts} ({split['source']}; dev: {split['dev_from']}); "
            "the manifest lists the rows of each\n")


def _c_line(training: dict[str, Any]) -> str:
    rule = training.get("C_selection")
    if not rule:
        return ""
    if isinstance(rule, str):
        return f"- regularisation C = {training.get('C')}: {rule}\n"
    return (f"- regularisation C = {rule['chosen_C']}, by the one-standard-error rule: the smallest "
            f"C whose dev macro-F1 is within one standard error ({rule['standard_error']}) of "
            f"the best ({rule['best_dev_macro_f1']} at C = {rule['best_C']}); dev macro-F1 by C: "
            f"{training.get('dev_macro_f1_by_C')}\n")


def _data_limitation(training: dict[str, Any], metrics: dict[str, Any]) -> str:
    if _is_project_corpus(training):
        return ("- Trained on posts written for the project, not on real posts; real posts differ in\n"
                "  topic, style and context, so expect lower accuracy on them than on the corpus split.")
    held_out = training.get("split", {}).get("test", {}).get("n", 0)
    measured = (f"The metrics above come from {held_out} held-out test rows of the same data"
                if held_out else "No rows were held out as a test split, so no figure above "
                "measures posts the model has not seen (unless an extra evaluation set is listed)")
    return (f"- Trained on {training.get('n_used', 'an unknown number of')} posts of the source "
            f"above. {measured}; posts from other senders, years or platforms may score lower.")


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
{_data_source(training)}
- examples used: {training.get('n_used', '–')} (of {training.get('n_rows', '–')} rows; excluded: {training.get('excluded', {}) or 'none'})
{_split_lines(training)}- data SHA-256: `{training.get('data_sha256', '–')}`
- label counts: {training.get('label_counts', '–')}
- calibration: {training.get('calibration', '–')}
{_c_line(training)}- made with: `{metadata.get('command', '–')}`

## Configuration
```json
{json.dumps(config, indent=2, ensure_ascii=False)}
```

## Metrics
{_metrics_table(metadata.get('metrics', {}))}
Figures come from the command above; they are recomputed whenever the model is rebuilt.

## Limitations
{_data_limitation(training, metadata.get('metrics', {}))}
- One text, one label: threads, images, video and the account's history are not seen.
- A post without words (a bare link, emoji only) gets the class prior of the training
  data; a post with few words leans towards it as far as the held-out posts showed short
  posts to be less certain. Context-dependent posts can still be read wrongly with
  confidence; treat probabilities below about 0.6 as "twijfel".
- Posts longer than 20,000 characters are read up to that length.
"""
