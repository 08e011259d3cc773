"""Build steps that pyproject.toml cannot express: the optional C scoring core, and
shipping the default model, the static e5 vectors (for training static models) and the
corpus inside the wheel."""

import os
import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
SHIPPED = {"models/default": "afzender/models/default",
           "models/static-vectors": "afzender/models/static-vectors",
           "data/corpus.jsonl": "afzender/_corpus/corpus.jsonl"}


class BuildPyWithModel(build_py):
    """Copy models/default, the static e5 vectors and data/corpus.jsonl into the built package."""

    def run(self):
        super().run()
        for source, target in SHIPPED.items():
            src, dst = ROOT / source, Path(self.build_lib) / target
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            elif src.is_file():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)


core = ROOT / "src" / "afzender" / "_fastcore.c"
# Optional (pure numpy fallback) unless AFZENDER_REQUIRE_FASTCORE=1, as in CI (.ci/run).
required = os.environ.get("AFZENDER_REQUIRE_FASTCORE") == "1"
extensions = [Extension("afzender._fastcore", [str(core.relative_to(ROOT))], optional=not required,
                        extra_compile_args=["-O3", "-ffp-contract=off"])] if core.is_file() else []

setup(cmdclass={"build_py": BuildPyWithModel}, ext_modules=extensions)
