from tests.sync.fixtures import (  # noqa: F401
    backend,
    hq_key_dir,
    hq_server,
    hq_url,
    pg_cluster,
    server_factory,
    store,
)
