"""Small regex highlighters (to escaped HTML) for the three texts of the
report: `.tf` source, MLIR-style IR, and generated Python."""

from __future__ import annotations

import html
import re

_TF = re.compile(r"""(?P<c>\#.*$)|(?P<s>"[^"]*")|(?P<k>\b(?:fn|let|return|import|if|else|true|false)\b)
    |(?P<t>\b(?:f16|f32|f64|i32|i64|bool|int|float)\b)|(?P<n>\b\d+(?:\.\d*)?(?:e[-+]?\d+)?\b)""", re.X)

_IR = re.compile(r"""(?P<c>//.*$)|(?P<s>"(?:[^"\\]|\\.)*")|(?P<v>%[\w.$#-]+)|(?P<sym>@[\w.$-]+)
    |(?P<ty>\b(?:tensor|memref|vector)<[^>]*>|\b(?:f16|f32|f64|i1|i8|i32|i64|index)\b)
    |(?P<op>\b[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_.]*\b)""", re.X)

_PY = re.compile(r"""(?P<c>\#.*$)|(?P<s>'[^']*'|"[^"]*")
    |(?P<k>\b(?:def|return|for|in|if|else|elif|import|from|as|with|lambda|None|True|False|and|or|not)\b)
    |(?P<n>\b\d+(?:\.\d*)?(?:e[-+]?\d+)?\b)""", re.X)


# The IR of a big program is most of the report: its most frequent tokens get
# short tags (styled in report_assets.CSS) instead of `<span class=..>`.
_SHORT = {"op": "b", "v": "var", "ty": "i"}


def _spans(pattern: re.Pattern[str], text: str) -> str:
    out: list[str] = []
    last = 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[last:m.start()], quote=False))
        kind = m.lastgroup or ""
        tag = _SHORT.get(kind)
        token = html.escape(m.group(), quote=False)
        out.append(f"<{tag}>{token}</{tag}>" if tag else f'<span class="{kind}">{token}</span>')
        last = m.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)


def tf(text: str) -> str:
    return _spans(_TF, text)


def ir(text: str) -> str:
    return _spans(_IR, text)


def python(text: str) -> str:
    return _spans(_PY, text)
