"""HQ's district register: the projection of every station's journal, conflicts, lookups (docs/REGISTER.md).

- `projection`: the shared projectors applied to a batch inside the ingest transaction (`project_entries`);
- `conflicts`: two windows acting on one permit, the open conflicts an ack carries, their resolution;
- `lookup`: the stations' signed lookups (search, open a file, permit re-check), each recorded;
- `rebuild`: `counter hq rebuild` from the stored journals, the checksum, row counts;
- `duplicates`: files that may be one person twice (`counter hq duplicates`);
- `overdue`: the district's late reporters (`counter hq overdue`).
The tables' DDL is counter/hq/register_schema.py (HQ migrations 0006 and later use it).
"""
