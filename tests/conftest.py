"""Shared fixtures: paths to the project, its data and the read-only ../shared folder."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared folder beside the project (present in CI, absent in a user's clone)."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared is not beside the project ({SHARED}); these reference tests need it")
    return SHARED


@pytest.fixture(scope="session")
def revman_fixtures(shared: Path) -> Path:
    path = shared / "fixtures" / "revman"
    if not path.is_dir():
        pytest.skip(f"{path} is missing; the RevMan reference tests need it")
    return path
