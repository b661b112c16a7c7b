"""Fixes for gaps in xDSL 0.74 that tfir's IR runs into, applied on import.

- `linalg.generic` with several results prints `-> (t1, t2)` (as MLIR does)
  but xDSL's parser only reads `-> t1, t2`: a multi-result generic (our
  argmax form) would not parse back. The parser is taught the parenthesized
  form; everything else is xDSL's own code.
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects.linalg.ops import GenericOp
from xdsl.parser import Parser

_original_parse = GenericOp.parse.__func__  # type: ignore[attr-defined]


def _parse_generic(cls: type[GenericOp], parser: Parser) -> Any:
    # Rewrites `-> (a, b)` into the form the original parser reads by parsing
    # the result list here when it is parenthesized.
    original = parser.parse_comma_separated_list

    def parse_list(delimiter: Any, parse: Any, *args: Any) -> Any:
        if delimiter == parser.Delimiter.NONE and parse == parser.parse_attribute \
                and parser.parse_optional_punctuation("("):
            items = original(parser.Delimiter.NONE, parse, *args)
            parser.parse_punctuation(")")
            return items
        return original(delimiter, parse, *args)

    parser.parse_comma_separated_list = parse_list  # type: ignore[method-assign]
    try:
        return _original_parse(cls, parser)
    finally:
        del parser.parse_comma_separated_list


if not getattr(GenericOp, "_tfir_patched", False):
    GenericOp.parse = classmethod(_parse_generic)  # type: ignore[method-assign]
    GenericOp._tfir_patched = True  # type: ignore[attr-defined]
