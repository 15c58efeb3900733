"""The statistics facts keyed by registration: one row per residence period (station, seq of the entry that
started it) instead of one per person and station, so a person who left and came back counts in the inflow
and outflow of each period (counter/stats.py). The rows held kept only each person's latest registration,
so they are dropped with the table and the stat cursors reset: the next `counter hq stats` (or dashboard
page) folds the journals HQ holds again, with a progress bar.

The table is written out (counter.stats.PERIOD_FACTS is the same): a shipped migration never changes."""

SUMMARY = "stat_facts: one row per registration (station_id, reg_seq), ended_seq, next_started_num; facts refolded"

TABLE = """CREATE TABLE stat_facts (
    station_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    reg_seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    started TEXT NOT NULL,
    started_week TEXT NOT NULL,
    started_month TEXT NOT NULL,
    ended TEXT,
    ended_band TEXT,
    origin TEXT NOT NULL,
    province TEXT,
    birth_date TEXT,
    birth_num INTEGER,
    sex TEXT NOT NULL,
    education TEXT,
    education_group TEXT,
    occupation TEXT,
    housing TEXT,
    reason TEXT,
    intended_stay TEXT,
    started_num INTEGER,
    ended_num INTEGER,
    origin_code SMALLINT,
    education_code SMALLINT,
    ended_seq BIGINT,
    next_started_num INTEGER,
    PRIMARY KEY (station_id, reg_seq)
)"""


def upgrade(tx) -> None:
    table = TABLE.replace(" TEXT", ' TEXT COLLATE "C"') if tx.dialect == "postgresql" else TABLE
    for statement in ("DROP TABLE stat_facts", table,
                      "CREATE INDEX stat_facts_started ON stat_facts(started)",
                      "CREATE INDEX stat_facts_person ON stat_facts(station_id, person_id)",
                      # fold every journal again: the persons and permits are re-derived with the periods
                      "DELETE FROM stat_persons", "DELETE FROM stat_permits", "DELETE FROM stat_cursor"):
        tx.execute(statement)
