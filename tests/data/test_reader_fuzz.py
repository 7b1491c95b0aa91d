"""The fuzz contract in the unit suite: seeded mutants of the shared fixtures (tests/data/fuzz.py) give
a result or a clean DataError, never another exception or a hang. ~20 s here; a longer run is
``python -m tests.data.fuzz --seconds 600`` or ``FUZZ_SECONDS=600`` for this test."""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("fuzz", Path(__file__).with_name("fuzz.py"))
fuzz = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("fuzz", fuzz)  # dataclasses look their module up
_spec.loader.exec_module(fuzz)


def test_mutants_give_a_result_or_a_clean_data_error(shared: Path):
    seconds = float(os.environ.get("FUZZ_SECONDS", "20"))
    stats = fuzz.run(seconds, seed=int(os.environ.get("FUZZ_SEED", "0")))
    assert stats.mutants >= 50, stats.line()  # the fuzzer really ran
    assert stats.read and stats.refused, stats.line()  # both outcomes were exercised
    assert not stats.failures, "\n\n".join(f"{n} [{w}]\n{d}" for n, w, d in stats.failures[:5])


def test_mutations_are_seeded(tmp_path: Path, shared: Path):
    import random

    seeds = fuzz._seed_files()
    made = []
    for run in range(2):
        rng = random.Random(7)
        where = tmp_path / str(run)
        where.mkdir()
        made.append([fuzz.make_mutant(rng, seeds[i % len(seeds)], where / str(i))[1]
                     for i in range(20) if (where / str(i)).mkdir() is None])
    assert made[0] == made[1]
