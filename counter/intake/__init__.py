"""Bulk intake: reports and the previous system's permits, brought in from CSV and xlsx files.

`reading` opens a file (CSV as UTF-8 or GB18030, detected and said; xlsx through openpyxl),
`columns` maps its headers (zh or en, as data in templates/intake/columns.toml), `rows` checks every
row on its own; the services (counter/services/reports.py, counter/intake/legacy.py) do the rest.
"""
