"""Where a base model comes from: a local folder, the Hugging Face cache, or the hub.

Without network, ``from_pretrained("org/name")`` retries for about a minute before it
fails. :func:`resolve_base_model` finds out first (the offline switches, then one short
connection attempt) and fails at once with one line that says how to use a local folder.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

PROBE_TIMEOUT = 3.0  # seconds for the one connection attempt to the hub
_TRUE = ("1", "on", "yes", "true")


def offline_switch() -> bool:
    """``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` is set to a true value."""
    return any(os.environ.get(name, "").strip().lower() in _TRUE
               for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_reachable(timeout: float = PROBE_TIMEOUT) -> bool:
    """One TCP connection to the hub's host (``HF_ENDPOINT``, default huggingface.co)."""
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        with socket.create_connection((url.hostname or "huggingface.co", port), timeout=timeout):
            return True
    except OSError:
        return False


def _cached(name: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers depends on huggingface_hub
        return False
    found = try_to_load_from_cache(name, "config.json")
    return isinstance(found, str)


def resolve_base_model(name: str) -> tuple[str, dict[str, Any]]:
    """``name`` and the keyword arguments for ``from_pretrained``.

    A local folder loads as it is. A hub name loads from the cache without network
    (``local_files_only=True``) when the hub cannot be reached, and otherwise from the
    hub.

    Raises
    ------
    ValueError
        A hub name that is neither cached nor reachable (one line, with what to do).
    """
    if Path(name).expanduser().is_dir():
        return name, {}
    offline = offline_switch() or not hub_reachable()
    if not offline:
        return name, {}
    if _cached(name):
        return name, {"local_files_only": True}
    why = "HF_HUB_OFFLINE is set" if offline_switch() else "the Hugging Face hub cannot be reached"
    raise ValueError(f"base model {name!r} is not a local folder and not in the Hugging Face cache, "
                     f"and {why}: download it where there is network (e.g. `hf download {name} "
                     f"--local-dir my-encoder`) and pass that folder: --base-model my-encoder")
