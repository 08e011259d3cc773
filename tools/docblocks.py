"""Replace a generated block (between <!-- NAME:start --> and <!-- NAME:end -->) in a doc."""

from __future__ import annotations

import re
from pathlib import Path


def replace_block(path: Path, name: str, body: str) -> None:
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path}: no <!-- {name}:start --> block")
    path.write_text(pattern.sub(lambda m: m.group(1) + body.rstrip() + "\n" + m.group(2), text),
                    encoding="utf-8")
