from tests.sync.fixtures import backend, hq_key_dir, hq_server, hq_url, pg_cluster, store  # noqa: F401
