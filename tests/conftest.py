from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_1d7ffd685080755d.txt"
CORPORA = SHARED / "corpora"
SAMPLES = ROOT / "articles" / "samples"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def corpora() -> Path:
    """The real dumps in ../shared/corpora; tests using it skip where it is absent."""
    if not CORPORA.is_dir():
        pytest.skip(f"real corpora not found at {CORPORA} (only present on developer machines)")
    return CORPORA
