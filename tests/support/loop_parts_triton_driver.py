"""Runs in a subprocess for tests/integration/test_loop_body_combinations.py:
every combination of loop_body_parts.py on the triton target under
TRITON_INTERPRET=1, against the eager target. Prints one `OK name` or
`FAIL name: reason` line per combination."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.loop_body_parts import combinations, differences  # noqa: E402


def main() -> None:
    for combination in combinations():
        try:
            problem = differences(combination, "triton")
        except Exception:  # noqa: BLE001 - reported per combination
            problem = traceback.format_exc().strip().splitlines()[-1]
        print(f"OK {combination.name}" if problem is None else f"FAIL {combination.name}: {problem}",
              flush=True)


if __name__ == "__main__":
    os.environ.setdefault("TFIR_CACHE", "0")
    os.environ["TRITON_INTERPRET"] = "1"
    main()
