"""Benchmark: the district register at province scale, on PostgreSQL (issue 15, item 6).

    python3 tests/bench/register.py [--persons 1000000] [--stations 100] [--batch-size 500] [--lookups 2000]

Loads N persons (each a person.registered entry; every 10th also a permit application) from S
stations through HQ's real ingest path (counter.hq.ingest.ingest_batch: checkpoint signature,
chain verification, insert, projection, signed ack) into a private PostgreSQL cluster, then
measures with the persons loaded:
  - lookup by ID number (counter.hq.register.lookup.search, the route's code with its audit row and commit):
    p50 and p99;
  - name search (Chinese names, exact and prefix; 3+ characters also substring via pg_trgm): p99;
    and pinyin search (full or initials): p99;
  - ingest rate with the projection on, against the same batches ingested with it off into a fresh
    database (same run, ratio);
  - ingest with the projection against a raw COPY of the same journal rows into a plain table (ratio).
The journals are generated (hash-chained and signed as a station does, payloads shaped as
counter/services/engine.py writes them) rather than recorded through the station's forms: a
million real form submissions would take hours here and measure the station, not HQ.
The cluster runs with the settings docs/REGISTER.md gives a real HQ (HQ_SETTINGS: buffers that hold the
register's indexes, checkpoints far enough apart that bulk ingest does not rewrite whole index pages
into the WAL after each one); --stock-settings runs it with PostgreSQL's defaults instead.
Not a test: nothing asserts a speed. Goals: ID p99 <= 20 ms, name p99 <= 100 ms, projection on
>= 0.5x the rate off, ingest <= 2.5x COPY.
"""

from __future__ import annotations

import argparse
import glob
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from counter import keys as key_files  # noqa: E402
from counter.domain.citizen_id import check_character  # noqa: E402
from counter.hq import admin  # noqa: E402
from counter.hq.register import lookup as hq_lookup  # noqa: E402
from counter.hq.store import JOURNAL_COLUMNS, open_store  # noqa: E402
from counter.numbers import format_number  # noqa: E402
from counter.sync.protocol import Batch, checkpoint_message, utc_now_text  # noqa: E402
from db.journal import GENESIS_HASH, SCHEMA_VER, canonical_json, entry_hash  # noqa: E402
from tests.bench.hq_load import open_enrolled, send_batches  # noqa: E402
from tests.sync.fixtures import PgCluster  # noqa: E402

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
            "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞建国文斌宇浩凯鑫博晨欣怡佳琪子涵梓轩雨"
         "思彤一诺俊熙婷雪梅海燕志红云峰春秋冬宁安乐天成德福寿喜瑞祥嘉豪晓东慧琳悦然")
RARE = ("𠮷", "䶮", "龑", "堃", "喆", "赟", "昇", "燚")
MINORITY = ("阿依古丽·买买提", "热依拉·吐尔逊", "古丽娜尔·艾力", "巴特尔·朝鲁")
AREAS = ("210102", "210103", "210104", "110105", "110108", "320583", "440305", "510104", "370102", "420106",
         "130102", "410105", "340104", "350102", "430102", "500103", "610103", "220102", "230102", "150102")


# What docs/REGISTER.md ("PostgreSQL settings") recommends for an HQ, sized down to this 24 GB machine.
HQ_SETTINGS = {"shared_buffers": "2GB", "max_wal_size": "8GB", "checkpoint_timeout": "30min",
               "effective_cache_size": "8GB"}


def person_name(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.002:
        return rng.choice(MINORITY)
    if r < 0.004:
        return rng.choice(SURNAMES) + rng.choice(RARE)
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.35 else 2))


def journals(persons: int, stations: int, rng: random.Random):
    """{station_id: [entry dicts]} and the list of (id_number, name) generated."""
    keys = {}
    out: dict[str, list[dict]] = {}
    people = []
    now = datetime.now(UTC)
    device_time = utc_now_text(now)
    day = now.date()
    order = 0
    for s in range(stations):
        sid = f"BN-{s:04d}"
        out[sid] = []
        keys[sid] = None
    per_station = persons // stations
    for s, sid in enumerate(out):
        prev, seq, apps = GENESIS_HASH, 0, 0
        for _ in range(per_station):
            order += 1
            area = AREAS[order % len(AREAS)]
            birth = f"{1950 + order % 55}{1 + order % 12:02d}{1 + order % 28:02d}"
            body = f"{area}{birth}{(order // 1540) % 1000:03d}"
            id_number = body + check_character(body)
            name = person_name(rng)
            pid = uuid.UUID(int=rng.getrandbits(128)).hex
            people.append((id_number, name))
            payloads = [("person.registered", {
                "person_id": pid, "doc_type": "citizen_id", "id_number": id_number, "name": name,
                "sex": "M" if int(body[-1]) % 2 else "F", "birth_date": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
                "ethnicity": "01", "nationality": "CHN", "household_address": "某省某市某区某街1号",
                "phone": "13800000000", "source": "card",
                "form": {"id": "permit_apply", "version": "1.0.0", "sha256": "0" * 64}})]
            if order % 10 == 0:
                apps += 1
                number = format_number("A", "210102", sid, day, apps)
                payloads.append(("service.permit_apply", {
                    "service": "permit_apply", "person_id": pid, "name": name, "masked_id": id_number[:6] + "*" * 8
                    + id_number[-4:], "number": number, "numbers": [{"number": number, "kind": "A", "day_seq": apps}],
                    "values": {"current_address": "沈阳市和平区南京北街1号", "proof": "1", "validity_years": "1",
                               "is_student": "0", "phone": "13800000000"},
                    "derived": {"collection_date": "2026-12-23", "valid_from": day.isoformat(),
                                "valid_until": "2027-12-01"},
                    "late_days": 0, "form": {"id": "permit_apply", "version": "1.0.0", "sha256": "0" * 64}}))
            for kind, payload in payloads:
                seq += 1
                e = {"seq": seq, "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                     "business_day": day.isoformat(), "device_time_utc": device_time, "monotonic_ns": seq,
                     "boot_id": "bench", "clerk_id": "C001", "kind": kind, "schema_ver": SCHEMA_VER,
                     "payload": canonical_json(payload), "prev_hash": prev}
                e["hash"] = entry_hash(sid, e)
                prev = e["hash"]
                out[sid].append(e)
        if s % 10 == 9:
            print(f"\r  generated {s + 1}/{stations} stations' journals", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return out, people


def make_batches(root: Path, entries: dict[str, list[dict]], batch_size: int):
    keys = {sid: key_files.generate_keypair(root / f"{sid}.key", root / f"{sid}.pub") for sid in entries}
    batches = []
    sent_at = utc_now_text()
    for sid, rows in entries.items():
        for i in range(0, len(rows), batch_size):
            chunk = rows[i:i + batch_size]
            key = keys[sid]
            batches.append(Batch(station_id=sid, key_id=key.key_id, first_seq=chunk[0]["seq"],
                                 last_seq=chunk[-1]["seq"], prev_hash=chunk[0]["prev_hash"],
                                 head_hash=chunk[-1]["hash"],
                                 signature=key.sign(checkpoint_message(sid, chunk[-1]["seq"], chunk[-1]["hash"])),
                                 sent_at=sent_at, entries=chunk))
    return keys, batches


def load(url: str, key_dir: Path, keys: dict, batches: list, project: bool, label: str) -> float:
    store = open_enrolled(url, key_dir, keys)
    try:
        return send_batches(store, batches, label, project=project, every=50)
    finally:
        store.close()


def copy_baseline(url: str, batches: list, batch_size: int) -> float:
    import psycopg

    cols = ", ".join(JOURNAL_COLUMNS)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE plain_journal (station_id TEXT, seq BIGINT, uuid TEXT, business_day TEXT,"
                     " device_time_utc TEXT, monotonic_ns BIGINT, boot_id TEXT, clerk_id TEXT, kind TEXT,"
                     " schema_ver INTEGER, payload TEXT, prev_hash TEXT, hash TEXT, batch_id BIGINT,"
                     " received_at TEXT, flags TEXT)")
        started = time.perf_counter()
        for b in batches:  # one transaction per batch, like ingest
            with conn.transaction(), conn.cursor() as cur, cur.copy(f"COPY plain_journal ({cols}) FROM STDIN") as cp:
                for e in b.entries:
                    cp.write_row((b.station_id, e["seq"], e["uuid"], e["business_day"], e["device_time_utc"],
                                  e["monotonic_ns"], e["boot_id"], e["clerk_id"], e["kind"], e["schema_ver"],
                                  e["payload"], e["prev_hash"], e["hash"], 1, "2026-01-01T00:00:00.000000Z", None))
        return time.perf_counter() - started


def timed(store, queries: list[str]) -> list[float]:
    out = []
    for q in queries:
        started = time.perf_counter()
        hq_lookup.search(store, "BN-0000", "C001", q)
        out.append((time.perf_counter() - started) * 1000)
    return out


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--stock-settings", action="store_true", help="PostgreSQL's default settings, not HQ_SETTINGS")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="counter-bench-register-"))
    key_dir = root / "hqkeys"
    admin.init_keys(key_dir)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise SystemExit("PostgreSQL server binaries are absent (/usr/lib/postgresql/*/bin/initdb)")
    cluster = PgCluster(Path(found[-1]).parent)
    cluster.start()
    try:
        if not args.stock_settings:
            import psycopg

            with psycopg.connect(cluster.url(), autocommit=True) as conn:
                for name, value in HQ_SETTINGS.items():
                    conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
            cluster.stop_server()
            cluster.start_server()
        print("PostgreSQL settings: " + ("stock" if args.stock_settings else
                                         ", ".join(f"{k}={v}" for k, v in HQ_SETTINGS.items())))
        t0 = time.perf_counter()
        entries, people = journals(args.persons, args.stations, rng)
        keys, batches = make_batches(root, entries, args.batch_size)
        total = sum(len(b.entries) for b in batches)
        print(f"{len(people)} persons, {total} entries from {args.stations} stations in {len(batches)} batches"
              f" of {args.batch_size} (generated in {time.perf_counter() - t0:.0f} s)")
        off_s = load(cluster.create_database(), key_dir, keys, batches, False, "ingest, projection off")
        url = cluster.create_database()
        on_s = load(url, key_dir, keys, batches, True, "ingest, projection on")
        copy_s = copy_baseline(cluster.create_database(), batches, args.batch_size)

        store = open_store(url, admin.load_key(key_dir))
        with store.connection() as conn:
            conn.execute("ANALYZE")
        sample = rng.sample(people, min(args.lookups, len(people)))
        timed(store, [p[0] for p in sample[:100]])  # warm the cache as a running HQ's would be
        by_id = timed(store, [p[0] for p in sample])
        by_name = timed(store, [p[1] for p in sample])
        from db.name_keys import name_keys

        pinyin = [sorted(k for kind, k in name_keys(p[1]) if kind == ("full" if i % 2 else "initials"))[0]
                  for i, p in enumerate(sample)]
        by_pinyin = timed(store, pinyin)
        check = hq_lookup.search(store, "BN-0000", "C001", sample[0][0])["results"]
        assert check and check[0]["name"] == sample[0][1], "the ID lookup must find the person it looks for"
        with store.transaction() as tx:
            persons = tx.one("SELECT count(*) FROM persons")[0]
            keys_n = tx.one("SELECT count(*) FROM person_name_keys")[0]
        store.close()
        print(f"register: {persons} persons, {keys_n} name keys")
        print(f"lookup by ID number:  p50 {pct(by_id, 50):7.2f} ms   p99 {pct(by_id, 99):7.2f} ms   (goal p99 <= 20 ms)")
        print(f"name search:          p50 {pct(by_name, 50):7.2f} ms   p99 {pct(by_name, 99):7.2f} ms   (goal p99 <= 100 ms)")
        print(f"pinyin search:        p50 {pct(by_pinyin, 50):7.2f} ms   p99 {pct(by_pinyin, 99):7.2f} ms")
        print(f"ingest, projection off: {total / off_s:9,.0f} entries/s ({off_s:.0f} s)")
        print(f"ingest, projection on:  {total / on_s:9,.0f} entries/s ({on_s:.0f} s)")
        print(f"projection on / off rate ratio: {off_s / on_s:.2f}   (goal >= 0.5)")
        print(f"raw COPY of the same rows: {copy_s:.1f} s; ingest with projection / COPY: {on_s / copy_s:.1f}x,"
              f" without: {off_s / copy_s:.1f}x   (goal <= 2.5x with projection)")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
