"""Benchmark: the station's F3 lookups, by pinyin (full and initials) and by name plus birth date,
against the lookup by ID number (a primary-key-like index probe) on the same station, same run.

Persons are recorded through the journal (`person.registered`, so the search keys come from the real
projector); names are drawn from common surnames and given-name characters, heteronyms included, plus
rare characters (𠮷) and minority names with ·. Prints p50/p99 in ms per kind and the ratio of each p99
to the ID-number p99; the key table's rows per person.

Run: python3 tests/bench/register_window.py [--persons N] [--queries N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单𠮷"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文红建国志新春晓燕海波宁乐长朝重行和"


def _check(body: str) -> str:
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(x) * y for x, y in zip(body, w, strict=True)) % 11]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    from counter.domain.pinyin import name_keys

    from counter.services import people
    from counter.station import Station
    from db.connection import write_transaction

    rng = random.Random(15)
    with tempfile.TemporaryDirectory() as tmp:
        station = Station.init(Path(tmp) / "st", "BENCH-01", "210102", "基准测试中心")
        persons = []
        seen: set[str] = set()
        started = time.perf_counter()
        with write_transaction(station.db):
            for n in range(args.persons):
                name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
                if n % 97 == 0:
                    name = "阿依古丽·" + rng.choice(("买买提", "艾力", "吐尔逊"))
                birth = f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                id_number = _check(f"110105{birth.replace('-', '')}{n % 997:03d}")
                if id_number in seen:
                    continue
                seen.add(id_number)
                pid = f"p{n:07d}"
                station.record("person.registered", {
                    "person_id": pid, "doc_type": "citizen_id", "id_number": id_number, "name": name,
                    "sex": "M", "birth_date": birth, "ethnicity": "01", "nationality": "CHN",
                    "household_address": "北京市朝阳区", "phone": None, "source": "bench"})
                persons.append((name, birth, id_number))
        load_s = time.perf_counter() - started
        keys = station.db.conn.execute("SELECT count(*) FROM person_search").fetchone()[0]

        def timed(queries: list[str]) -> list[float]:
            out = []
            for q in queries:
                t = time.perf_counter()
                people.search(station, q)
                out.append((time.perf_counter() - t) * 1000)
            return out

        picks = [rng.choice(persons) for _ in range(args.queries)]

        def a_key(name: str, kind: str) -> str:
            found = sorted(k for c, k in name_keys(name) if c == kind)
            return rng.choice(found) if found else "x"

        kinds = {
            "id_number": [p[2] for p in picks],
            "pinyin_full": [a_key(p[0], "full") for p in picks],
            "pinyin_initials": [a_key(p[0], "initials") for p in picks],
            "name_birth": [f"{p[0]} {p[1]}" for p in picks],
        }
        results = {k: timed(v) for k, v in kinds.items()}
        base = _percentile(results["id_number"], 99)
        print(f"persons {len(persons)} recorded in {load_s:.1f} s; search keys {keys}"
              f" ({keys / len(persons):.1f} per person); {args.queries} queries per kind")
        for kind, ms in results.items():
            p99 = _percentile(ms, 99)
            print(f"{kind:16s} p50 {statistics.median(ms):7.3f} ms  p99 {p99:7.3f} ms  p99/id_number {p99 / base:5.2f}x")
        station.close()


if __name__ == "__main__":
    main()
