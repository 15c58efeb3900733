"""Derived dimension columns of the statistics facts (small integers, dates as YYYYMMDD: the GROUP BY of
`counter hq stats` over a million facts), filled from the facts already held; and an index on the
staff audit by client address, which the dashboard's per-address sign-in limit counts.

The codes are counter.stats.ORIGIN_CODES and EDUCATION_CODES, written out: a shipped migration never changes."""

SUMMARY = "stat_facts: started_num, ended_num, origin_code, education_code; hq_staff_audit(client, at)"

STATEMENTS = (
    "ALTER TABLE stat_facts ADD COLUMN started_num INTEGER",
    "ALTER TABLE stat_facts ADD COLUMN ended_num INTEGER",
    "ALTER TABLE stat_facts ADD COLUMN origin_code SMALLINT",
    "ALTER TABLE stat_facts ADD COLUMN education_code SMALLINT",
    "UPDATE stat_facts SET started_num = CAST(REPLACE(started, '-', '') AS INTEGER),"
    " ended_num = CAST(REPLACE(ended, '-', '') AS INTEGER),"
    " origin_code = CASE origin WHEN 'same_county' THEN 0 WHEN 'other_county' THEN 1 WHEN 'other_city' THEN 2"
    " WHEN 'other_province' THEN 3 WHEN 'abroad' THEN 4 ELSE 5 END,"
    " education_code = CASE education_group WHEN 'junior_or_less' THEN 1 WHEN 'senior_secondary' THEN 2"
    " WHEN 'college_or_above' THEN 3 ELSE 0 END",
    "CREATE INDEX hq_staff_audit_client ON hq_staff_audit(client, at)",
)


def upgrade(tx) -> None:
    for statement in STATEMENTS:
        tx.execute(statement)
