"""HQ on both backends (SQLite and a private PostgreSQL cluster on loopback) for the statistics tests."""

from __future__ import annotations

import pytest

from tests.sync.fixtures import backend, hq_key_dir, hq_url, pg_cluster, store  # noqa: F401


@pytest.fixture
def empty_url(backend, tmp_path, request) -> str:  # noqa: F811
    """An HQ database without a schema, on the parametrised backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'hq.db'}"
    return request.getfixturevalue("pg_cluster").create_database()
