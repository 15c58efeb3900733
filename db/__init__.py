"""SQLite storage: connection and pragmas, migrations, the journal and its projections.

Imports nothing of ours, and never textual.
"""
