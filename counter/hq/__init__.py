"""The headquarters service: storage backends, the ingest path and the HTTP API.

`counter.hq.ingest.ingest_batch(store, batch)` is THE way entries enter HQ,
for network sync and for bundle import alike, so each path deduplicates
against the other. It also projects them into the district register
(`counter.hq.register.projection`, docs/REGISTER.md) in the same transaction.
"""
