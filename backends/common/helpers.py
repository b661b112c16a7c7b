"""Helper code a generated module includes only when the code emitted uses it.

The code that emits a call of a helper declares it (`use_helper`); a helper
lists the imports it needs and the module-level names it defines or that
the generated code refers to through it, which no value of a generated
module may take (`reserved_names`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Helper:
    code: str = ""  # module-level source, empty for an import alone
    imports: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


def reserved_names(helpers: Mapping[str, Helper]) -> list[str]:
    return [name for helper in helpers.values() for name in helper.names]


def helper_imports(helpers: Mapping[str, Helper], used: Iterable[str]) -> set[str]:
    return {line for key in used for line in helpers[key].imports}
