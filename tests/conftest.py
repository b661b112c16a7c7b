"""Fixtures and options of the whole suite. Helpers are in tests/support/
(a test module imports from there, never from another test module)."""

from __future__ import annotations

import os

import pytest

from tests.support.golden import Golden

# Every pass's output is verified in tests (the API verifies the final IR only).
os.environ.setdefault("TFIR_VERIFY_EACH", "1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite the golden files (tests/**/golden/) with what the code produces now")


@pytest.fixture(autouse=True, scope="session")
def _private_compile_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or fill the user's compile cache."""
    os.environ["TFIR_CACHE_DIR"] = str(tmp_path_factory.mktemp("tfir-cache"))


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """Compares text with a file in the `golden/` folder next to the test
    module; `--update-goldens` (or TFIR_UPDATE_GOLDENS=1) rewrites the file."""
    update = request.config.getoption("--update-goldens") or os.environ.get("TFIR_UPDATE_GOLDENS") == "1"
    return Golden(request.path.parent / "golden", update)
