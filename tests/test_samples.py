"""The bundled samples: the seed is the canonical one, and every sample imports cleanly."""

from __future__ import annotations

import pytest

from articles.ingest import ParseOptions, RecordError, iter_records
from tests.conftest import SAMPLES, SEED, SHARED_SEED


def test_the_bundled_seed_is_byte_identical_to_the_shared_one():
    if not SHARED_SEED.exists():
        pytest.skip(f"{SHARED_SEED} not found (only present on developer machines)")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_every_sample_parses_without_an_error():
    records = list(iter_records([str(SAMPLES)], ParseOptions()))
    errors = [r for r in records if isinstance(r, RecordError)]
    assert errors == []
    assert len(records) >= 13
    assert {r.language for r in records if not isinstance(r, RecordError)} >= {"en", "fr", "ar"}
