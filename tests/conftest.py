"""Shared fixtures: paths to the project, its data and the read-only ../shared folder.

../shared (the RevMan files, Pairwise70 sample, seeds and evidence notes) sits beside the project
in CI and is absent in a user's clone. There, each module's tests that need it (through the
``shared`` fixture, directly or via another fixture, or marked ``needs_shared`` where they reach it
through ``request.getfixturevalue``) are replaced by one skipped item named ``needs_shared`` that
says how many tests and which folder: one skip per module, not one per test.
The engine is still tested against RevMan's numbers without it (tests/fixtures/pairwise70).
"""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


class NeedsShared(pytest.Item):
    """One module's tests that need ../shared, when it is missing: a single skip, reported at the
    module (a skip mark, so pytest names the item's file, line 1)."""

    def __init__(self, *, count: int, **kw) -> None:
        super().__init__(**kw)
        self.count = count

    def skip_now(self) -> None:
        self.add_marker(pytest.mark.skip(reason=(
            f"{self.count} test(s) need ../shared ({SHARED}), the read-only reference folder "
            "beside the project; it is not there (a user's clone)")))

    def runtest(self) -> None:  # never reached: the skip mark stops it at setup
        raise AssertionError("needs_shared ran")

    def reportinfo(self):
        return self.path, 0, self.name


@pytest.hookimpl(trylast=True)  # after -m / -k have chosen the items
def pytest_collection_modifyitems(config, items) -> None:
    """Without ../shared: each module's tests that need it give way to one NeedsShared item."""
    if SHARED.is_dir():
        return
    out, stand_in = [], {}
    for item in items:
        module = item.getparent(pytest.Module)
        needs = ("shared" in getattr(item, "fixturenames", ())
                 or item.get_closest_marker("needs_shared") is not None)
        if module is None or not needs:
            out.append(item)
        elif module in stand_in:
            stand_in[module].count += 1
        else:
            stand_in[module] = NeedsShared.from_parent(module, name="needs_shared", count=1)
            out.append(stand_in[module])
    for item in stand_in.values():
        item.skip_now()
    items[:] = out


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
