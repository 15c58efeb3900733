"""An HQ database without a schema, on both backends (the HQ fixtures are tests/conftest.py's)."""

from __future__ import annotations

import pytest


@pytest.fixture
def empty_url(backend, tmp_path, request) -> str:
    """An HQ database without a schema, on the parametrised backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'hq.db'}"
    return request.getfixturevalue("pg_cluster").create_database()
