"""The reference interpreter of linalg on tensors, now in the package
(tfir/testing/linalg_interp.py, used by `tfir bisect`); kept importable here
for the tests that use it."""

from tfir.testing.linalg_interp import *  # noqa: F403
from tfir.testing.linalg_interp import run  # noqa: F401
