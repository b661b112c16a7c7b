"""Discovery of user dialects: those registered from Python
(`tfir.load_plugin`) and installed packages of the `tfir.dialects`
entry-point group, loaded on first `use`."""

from __future__ import annotations

from importlib.metadata import entry_points

from tfir.dialects.registry import REGISTRY

ENTRY_POINT_GROUP = "tfir.dialects"


def ensure_dialect(name: str) -> bool:
    """True when dialect `name` is registered, loading its plugin if installed."""
    if name in REGISTRY.dialect_names():
        return True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            from tfir.plugin import load_plugin

            load_plugin(ep.value.split(":", 1)[0])
            return name in REGISTRY.dialect_names()
    return False
