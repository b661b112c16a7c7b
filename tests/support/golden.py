"""Golden files: expected outputs kept as files next to the tests that check
them (`tests/<folder>/golden/<name>`), rewritten by `pytest --update-goldens`
(or TFIR_UPDATE_GOLDENS=1) after an intended change; review the diff."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Golden:
    folder: Path
    update: bool = False

    def path(self, name: str) -> Path:
        return self.folder / name

    def read(self, name: str) -> str:
        return self.path(name).read_text(encoding="utf-8")

    def check(self, name: str, got: str) -> None:
        """`got` equals the golden file `name`, or (updating) becomes it."""
        path = self.path(name)
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(got, encoding="utf-8")
            return
        assert path.exists(), f"no golden file {path}: run pytest with --update-goldens to write it"
        want = path.read_text(encoding="utf-8")
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                            str(path), "generated"))
        assert got == want, f"differs from {path} (pytest --update-goldens rewrites it):\n{diff}"
