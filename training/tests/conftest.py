"""Shared fixtures of the model-factory tests (the data generator's own tests are test_data_*.py)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TRAINING = Path(__file__).resolve().parents[1]
REPO = TRAINING.parent
if str(TRAINING) not in sys.path:
    sys.path.insert(0, str(TRAINING))
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    """The synthetic generator's tiny preset (144 frames), generated once per test session."""
    from fasedge.data import generate_dataset

    out = tmp_path_factory.mktemp("tiny-data")
    return Path(generate_dataset(out, seed=1234, preset="tiny", workers=1))
