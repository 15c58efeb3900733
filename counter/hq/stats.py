"""District statistics at HQ: the facts kept up to date from hq_journal, then counted like a station's.

`refresh` folds each station's journal rows past its stat cursor into stat_facts (counter/stats.py),
in chunks, one transaction per chunk: a crash mid-way leaves a consistent cursor. Figures never read
the raw journal beyond that.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from counter import stats as S
from counter.domain.language import is_chinese
from counter.domain.policy import Policy
from counter.hq.store import Store

CHUNK = 5000


def default_policy() -> Policy:
    """HQ has no station.toml: the shipped policy's statistics values (k, age bands)."""
    from counter.config_schema import SCHEMA

    return Policy.from_config({k: default for k, (_kind, default) in SCHEMA["policy"].items()})


def pending(store: Store) -> int:
    """Journal rows of the kinds that matter, not yet folded into the facts (for the progress bar)."""
    marks = ", ".join("?" * len(S.STAT_KINDS))
    with store.transaction() as tx:
        row = tx.one(f"SELECT COUNT(*) FROM hq_journal j LEFT JOIN stat_cursor c ON c.station_id = j.station_id"
                     f" WHERE j.kind IN ({marks}) AND j.seq > COALESCE(c.last_seq, 0)", S.STAT_KINDS)
    return int(row[0])


def refresh(store: Store, progress: Callable[[int], None] | None = None) -> int:
    """Bring the facts up to date; returns the number of journal rows folded."""
    marks = ", ".join("?" * len(S.STAT_KINDS))
    done = 0
    with store.transaction() as tx:
        stations = tx.all("SELECT station_id, cursor_seq FROM hq_stations ORDER BY station_id")
    for station_id, upto in stations:
        while True:
            with store.transaction() as tx:
                cur = tx.one("SELECT last_seq FROM stat_cursor WHERE station_id = ?", (station_id,))
                after = cur[0] if cur else 0
                if after >= upto:
                    break
                rows = tx.all(f"SELECT seq, business_day, kind, payload FROM hq_journal WHERE station_id = ?"
                              f" AND seq > ? AND seq <= ? AND kind IN ({marks}) ORDER BY seq LIMIT {CHUNK}",
                              (station_id, after, upto, *S.STAT_KINDS))
                S.apply_entries(tx, station_id, rows)
                if len(rows) < CHUNK:
                    # every entry up to the station's acked seq is folded, the skipped kinds too
                    tx.execute("UPDATE stat_cursor SET last_seq = ? WHERE station_id = ?", (upto, station_id))
            done += len(rows)
            if progress:
                progress(len(rows))
            if len(rows) < CHUNK:
                break
    return done


def district_counts(store: Store, dims: list[str], date_from: date, date_to: date, policy: Policy,
                    stations: list[str] | None = None) -> dict[tuple, int]:
    with store.transaction() as tx:
        return S.count(tx, dims, date_from, date_to, policy.stats_age_bands, stations)


def district_table(store: Store, dims: list[str], date_from: date, date_to: date, *, k: int | None = None,
                   lang: str = "zh_CN", policy: Policy | None = None) -> S.Published:
    policy = policy or default_policy()
    counts = district_counts(store, dims, date_from, date_to, policy)
    zh = is_chinese(lang)
    return S.publish(counts, dims, date_from, date_to, k or policy.stats_min_cell, policy.stats_age_bands, lang,
                     scope="全区 District" if zh else "District")


def district_flow_table(store: Store, by: str, date_from: date, date_to: date, *, lang: str = "zh_CN",
                        policy: Policy | None = None) -> S.Published:
    """Inflow and outflow across the district per week or month, suppressed like every table."""
    policy = policy or default_policy()
    with store.transaction() as tx:
        counts = S.flow_table_counts(tx, by, date_from, date_to)
    return S.publish(counts, [by, "flow"], date_from, date_to, policy.stats_min_cell, policy.stats_age_bands, lang,
                     scope="全区 District" if is_chinese(lang) else "District")
