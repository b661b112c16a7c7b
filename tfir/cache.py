"""The on-disk cache of generated modules, so a second process skips
compilation. Keyed by every source file of the program (and the prelude),
the entry, the input signature, the target, the options and tfir's version.
Writes are atomic (a temporary file renamed into place); an entry that cannot
be read or does not load is ignored and rebuilt.

`TFIR_CACHE_DIR` moves the cache (default `~/.cache/tfir`); `TFIR_CACHE=0`
or the compile option `cache=False` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

HEADER = "# tfir-cache "


def cache_dir() -> Path | None:
    if os.environ.get("TFIR_CACHE", "1") in ("0", "false", "no", "off"):
        return None
    root = os.environ.get("TFIR_CACHE_DIR") or Path.home() / ".cache" / "tfir"
    return Path(root)


def cache_key(texts: list[str], entry: str, signature: Any, target: str, options: dict[str, Any],
              extra: list[str]) -> str:
    from tfir import __version__

    h = hashlib.sha256()
    for part in [__version__, target, entry, repr(signature), repr(sorted(options.items(), key=str)),
                 *extra, *texts]:
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def load(key: str) -> str | None:
    root = cache_dir()
    if root is None:
        return None
    path = root / f"{key}.py"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    first, _, body = text.partition("\n")
    if first != HEADER + key:
        return None
    return body


def store(key: str, source: str) -> None:
    root = cache_dir()
    if root is None:
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".tmp-", suffix=".py")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"{HEADER}{key}\n{source}")
        os.replace(tmp, root / f"{key}.py")
    except OSError:
        pass  # a cache that cannot be written only costs a recompilation


def discard(key: str) -> None:
    root = cache_dir()
    if root is not None:
        try:
            (root / f"{key}.py").unlink()
        except OSError:
            pass
