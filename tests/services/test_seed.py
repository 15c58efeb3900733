import os
import subprocess
import sys
from pathlib import Path

from counter.services import people
from counter.services.seed import seed
from db import rebuild

ROOT = Path(__file__).resolve().parents[2]


def test_seed_goes_through_the_services_and_is_varied(station, clerk):
    result = seed(station, 300, clerk=clerk, rng_seed=7)
    assert result.transactions == 300
    n = station.db.conn.execute("SELECT count(*) FROM transactions").fetchone()[0]
    assert n == 300
    names = [r[0] for r in station.db.conn.execute("SELECT name FROM persons")]
    assert any("·" in name for name in names)
    assert station.db.conn.execute("SELECT count(*) FROM persons WHERE doc_type = 'passport'").fetchone()[0] > 0
    assert result.late > 0
    assert station.db.conn.execute("SELECT count(*) FROM transactions WHERE late_days > 0").fetchone()[0] == result.late
    # numbers are gapless per kind and day
    for kind, day, count, top in station.db.conn.execute(
            "SELECT kind, business_day, count(*), max(day_seq) FROM numbers GROUP BY kind, business_day"):
        assert count == top, (kind, day)
    assert station.verify_journal().ok
    before = rebuild.checksum(station.db)
    rebuild.rebuild(station.db)
    assert rebuild.checksum(station.db) == before
    assert people.search(station, names[0])


def test_demo_seed_cli_does_not_import_textual(tmp_path):
    code = ("import sys; from counter.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "assert 'textual' not in sys.modules, 'textual imported'\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code, "demo", "seed", "--count", "40", "--data-dir",
                          str(tmp_path / "demo")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "seeded 40 transactions" in out.stdout


def test_seed_never_dates_a_transaction_in_the_future(station, clerk):
    """Retried attempts (e.g. a card not ready to collect) used to advance the clock past now,
    so a seeded station held entries of tomorrow's business day."""
    from datetime import UTC, datetime

    now = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)
    seed(station, 300, clerk=clerk, rng_seed=2026, now=now)
    latest = station.db.conn.execute(
        "SELECT max(device_time_utc) FROM journal WHERE kind LIKE 'service.%'").fetchone()[0]
    assert latest <= "2026-11-21T06:30:00.000000Z", latest
    days = {r[0] for r in station.db.conn.execute(
        "SELECT DISTINCT business_day FROM journal WHERE kind LIKE 'service.%'")}
    assert max(days) == "2026-11-21", days
