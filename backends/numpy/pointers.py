"""Loop-invariant buffer addresses, taken once before a loop.

A C kernel is called with its buffers' addresses (`_nk.k0(x.ctypes.data,
...)`), and NumPy builds a ctypes object for each `.ctypes.data`: about
1 us, as much as a small kernel's work. Inside the innermost program loops
(an RNN's step: four addresses, 256 steps) the address of a buffer the loop
never rebinds is the same every iteration, so it is taken once, before the
loop (`x_p = x.ctypes.data`), as a hand-written loop would. A name the loop
assigns (a row read in place, `numpy-gather-views`) keeps its
`.ctypes.data` at the call. Works on the emitted lines of one loop whose
body holds no nested loop, function or `with` block.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=(?!=)")
_ADDRESS = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\.ctypes\.data\b")
_NESTED = ("for ", "while ", "def ", "with ", "async ", "class ")


def hoist_pointers(lines: list[str], loop_at: int, fresh: Callable[[str], str]) -> None:
    """Rewrites the loop whose header is `lines[loop_at]` (the last statement
    emitted: its body runs to the end of `lines`) to take the addresses of
    the buffers it does not rebind once, in lines inserted before it."""
    body = lines[loop_at + 1:]
    if any(line.lstrip().startswith(_NESTED) for line in body):
        return
    rebound = {name.strip() for line in body if (m := _ASSIGN.match(line)) for name in m.group(1).split(",")}
    used = dict.fromkeys(m.group(1) for line in body for m in _ADDRESS.finditer(line))
    names = {name: fresh(f"{name}_p") for name in used if name not in rebound}
    if not names:
        return
    header = lines[loop_at]
    pad = header[:len(header) - len(header.lstrip())]
    for k in range(loop_at + 1, len(lines)):
        lines[k] = _ADDRESS.sub(lambda m: names.get(m.group(1), m.group(0)), lines[k])
    lines[loop_at:loop_at] = [f"{pad}{pointer} = {name}.ctypes.data" for name, pointer in names.items()]
