"""tfir's own testing tools, for users and CI alike (docs/testing.md):

- `generate(seed)`: a random well-typed program with its inputs and its
  expected results, computed with NumPy independently of tfir;
- `check_program(program, targets)`: runs it on eager and the compiled
  targets and compares (the differential tester);
- `fuzz_source(seed)`: a mutated or adversarial source, for the "a
  diagnostic or a run, never a traceback or a hang" check;
- `run_campaign(...)`: many of either, in worker processes with time limits
  (`tfir fuzz`);
- `reduce_file(...)` and `bisect(...)`: `tfir reduce` and `tfir bisect`.
"""

from tfir.testing.gen_core import Program, Settings
from tfir.testing.generator import generate

__all__ = ["Program", "Settings", "generate"]
