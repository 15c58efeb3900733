"""The nonces of signed requests (counter.hq.auth), shared by every server process."""

SUMMARY = "hq_request_nonces: replay protection for signed requests"


def upgrade(tx) -> None:
    # IF NOT EXISTS: HQs before this migration made the table on start (counter.hq.auth.ensure_schema)
    tx.execute("""CREATE TABLE IF NOT EXISTS hq_request_nonces (
        key_id TEXT NOT NULL,
        nonce TEXT NOT NULL,
        created_epoch BIGINT NOT NULL,
        PRIMARY KEY (key_id, nonce)
    )""")
    tx.execute("CREATE INDEX IF NOT EXISTS hq_request_nonces_created ON hq_request_nonces(created_epoch)")
