"""A campaign's worker process (`python -m tfir.testing.worker`): the first
line on stdin is the campaign's spec, then one case seed per line; it
answers one JSON line per case. See campaign.py."""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import warnings
from pathlib import Path

from tfir.testing.campaign import CampaignSpec, settings_of
from tfir.testing.differential import check_program
from tfir.testing.fuzz import fuzz_source
from tfir.testing.generator import generate
from tfir.testing.gradcheck import check_gradients, gradient_case
from tfir.testing.source_check import check_source, make_fixtures

MEMORY_LIMIT = 8 << 30  # address space: a runaway allocation fails here, not on the machine


def answer(spec: CampaignSpec, seed: int, folder: Path) -> dict:
    if spec.mode == "programs":
        program = generate(seed, settings_of(spec))
        checked = check_program(program, spec.targets)
        ran, failures = checked.ran, checked.failures
    elif spec.mode == "gradients":
        case = gradient_case(seed, settings_of(spec))
        if case is None:
            return {"seed": seed, "ran": [], "failures": []}
        checked = check_gradients(case, spec.targets, seed)
        ran, failures = checked.ran, checked.failures
    else:
        case = fuzz_source(seed, spec.options.get("strategy"))
        ran, failures = check_source(case, folder, tuple(t for t in spec.targets if t != "eager"))
    return {"seed": seed, "ran": ran, "failures": [vars(f) for f in failures]}


def main() -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ValueError, OSError):
        pass
    warnings.simplefilter("ignore")
    spec = CampaignSpec(**json.loads(sys.stdin.readline())["spec"])
    with tempfile.TemporaryDirectory(prefix="tfir-fuzz-") as tmp:
        folder = Path(tmp)
        make_fixtures(folder)
        for line in sys.stdin:
            seed = json.loads(line)["seed"]
            sys.stdout.write(json.dumps(answer(spec, seed, folder)) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
