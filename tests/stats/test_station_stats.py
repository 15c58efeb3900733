"""`counter stats` on a station: real registrations through the service layer, every output format."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from datetime import date

import pytest

from counter import stats as S
from counter.domain.citizen_id import check_character
from counter.errors import ValidationError
from counter.forms.clean import Context, clean_field
from counter.forms.options import options_for
from counter.forms.spec import catalogue, historical_spec
from counter.services import clerks, engine
from counter.station import Station
from tests.conftest import run_cli

DISTRICT = "210102"


def citizen(area: str, birth: str, order: int) -> str:
    first17 = f"{area}{birth.replace('-', '')}{order:03d}"
    return first17 + check_character(first17)


def person(area: str, birth: str, order: int, name: str, **extra) -> dict:
    return {"doc_type": "citizen_id", "id_number": citizen(area, birth, order), "name": name,
            "sex": "M" if order % 2 else "F", "birth_date": birth, "ethnicity": "01", "nationality": "CHN",
            "household_address": "河北省唐山市路北区幸福街1号", "current_address": "沈阳市和平区南京北街10号",
            "arrival_date": "-2", "stay_reason": "1", "phone": "13812345678", **extra}


@pytest.fixture
def seeded(tmp_path):
    st = Station.init(tmp_path / "station", "T-01", DISTRICT, "测试服务中心")
    clerk = clerks.add_clerk(st, "柜员甲", "clerk", "1234")
    # 7 from Hebei (13), junior school (6 = 初级中学 70), in their twenties; 3 from sister counties of the
    # city (people of this county itself have nothing to register: art. 8); and 𠮷田 with a minority-style
    # name from Beijing.
    for i in range(7):
        engine.perform(st, "residence_registration",
                       person("130203", f"199{i}-03-0{i + 1}", 11 + 2 * i, "张" + "一二三四五六七"[i], education="6", housing_type="1",
                              occupation="H", intended_stay="3"),
                       clerk=clerk, build_document=False)
    for i in range(2):
        engine.perform(st, "lodging_registration", person("210104", "1960-05-05", 21 + i, "李" + "甲乙"[i], education="2"),
                       clerk=clerk, build_document=False)
    engine.perform(st, "lodging_registration", person("210103", "2000-01-01", 31, "王五"), clerk=clerk,
                   build_document=False)
    engine.perform(st, "residence_registration", person("110105", "1949-12-31", 2, "𠮷田·阿依古丽", education="1"),
                   clerk=clerk, build_document=False)
    yield st
    st.close()


def _json(station_dir, *args):
    r = run_cli("stats", "--data-dir", str(station_dir), "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_origin_counts_and_suppression_on_the_real_journal(seeded):
    out = _json(seeded.data_dir, "--by", "origin")
    cells = {c["dims"]["origin"]: c["count"] for c in out["cells"]}
    # other_county 3 is under k=5; hidden alone it would be 11 - 8, so other_province (8: 7 Hebei + Beijing)
    # is hidden with it
    assert set(cells) == {"other_county", "other_province"}
    assert set(cells.values()) == {None}
    assert out["total"] == 11 and out["k"] == 5
    assert "5" in out["footnote"]


def test_two_way_table_has_no_recoverable_cell(seeded):
    tx = S.station_facts(seeded)
    today = engine.business_date(seeded)
    counts = S.count(tx, ["education", "age"], today, today, (20, 30, 50, 60))
    assert counts[("junior_or_less", "30-49")] + counts.get(("junior_or_less", "20-29"), 0) == 7
    pub = S.publish(counts, ["education", "age"], today, today, 5, (20, 30, 50, 60))
    from counter.domain import stats as D

    assert D.recoverable(pub.table) == set()
    for pos in D._all_positions(pub.table):
        if 0 < pub.table.value(pos) < 5:
            assert pub.table.shown(pos) is None


def test_every_format_carries_no_personal_data(seeded, tmp_path):
    d = seeded.data_dir
    names = ["张一", "𠮷田", "阿依古丽", "王五", "13812345678", "南京北街", citizen("130203", "1990-03-01", 11)]
    text = run_cli("stats", "--data-dir", str(d), "--by", "origin,sex").stdout
    csv_bytes = run_cli("stats", "--data-dir", str(d), "--by", "origin,sex", "--csv").stdout
    assert "外省" in text and "合计" in text
    assert csv_bytes.startswith("\ufeff")
    xlsx, pdf = tmp_path / "s.xlsx", tmp_path / "s.pdf"
    for flag, path in (("--xlsx", xlsx), ("--pdf", pdf)):
        r = run_cli("stats", "--data-dir", str(d), "--by", "education,age", flag, "--out", str(path))
        assert r.returncode == 0, r.stderr
        assert path.stat().st_mode & 0o777 == 0o600
    with zipfile.ZipFile(io.BytesIO(xlsx.read_bytes())) as z:
        sheet = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    pdf_text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "初中及以下" in pdf_text and "合计" in pdf_text and "不予公布" in pdf_text
    assert "初中及以下" in sheet
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "Helvetica" not in fonts
    for blob in (text, csv_bytes, sheet, pdf_text, json.dumps(_json(d, "--by", "province,age"), ensure_ascii=False)):
        for secret in names:
            assert secret not in blob


def test_rare_character_survives_a_published_label_path(seeded):
    # no name is ever a label; the scope (office name) is the only free text, and it goes through as is
    out = _json(seeded.data_dir, "--by", "kind")
    assert out["scope"] == "T-01 测试服务中心"


def test_bad_arguments_are_one_line(seeded):
    d = str(seeded.data_dir)
    for args, needle in ((["--by", "colour"], "unknown dimension colour"),
                         (["--by", "origin", "--from", "2026-13-01"], "is not a date"),
                         (["--by", "origin", "--pdf"], "--out"),
                         (["--by", "origin", "--json", "--csv"], "one of"),
                         (["--by", "station"], "counter hq stats"),
                         (["--by", "origin", "--from", "2026-12-02", "--to", "2026-12-01"], "after")):
        r = run_cli("stats", "--data-dir", d, *args)
        assert r.returncode != 0
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], r.stderr


def test_period_filter_and_voided_registration(seeded):
    tx = S.station_facts(seeded)
    assert S.count(tx, ["kind"], date(2000, 1, 1), date(2000, 1, 2), (20, 30, 50, 60)) == {}
    # a voided registration leaves the figures
    seq = seeded.db.conn.execute("SELECT seq FROM transactions WHERE service = 'lodging_registration'"
                                 " ORDER BY seq LIMIT 1").fetchone()[0]
    sup = clerks.add_clerk(seeded, "主管乙", "supervisor", "4321")
    assert sup
    auth = clerks.authorize_supervisor(seeded, "主管乙", "4321", "test")
    from counter.services import amendments

    amendments.void(seeded, seq, "录入错误", supervisor=auth, clerk=None)
    tx = S.station_facts(seeded)
    today = engine.business_date(seeded)
    assert sum(S.count(tx, ["kind"], today, today, (20, 30, 50, 60)).values()) == 10


def test_new_form_version_keeps_the_old_one_explainable():
    spec = catalogue().get("residence_registration")
    assert spec.version == "1.1.0"
    assert {"education", "occupation", "housing_type", "intended_stay", "stay_reason"} <= set(spec.fields)
    old = historical_spec("residence_registration", "1.0.0")
    assert old is not None and "education" not in old.fields and "stay_reason" in old.fields
    assert historical_spec("residence_registration", "0.9") is None


def test_items_are_optional_unless_policy_requires_them():
    from counter.domain.policy import Policy

    spec = catalogue().get("residence_registration")
    ctx = Context(date(2026, 12, 2), Policy())
    assert clean_field(spec.fields["education"], "", ctx) is None
    strict = Context(date(2026, 12, 2), Policy(required_items=("education",)))
    with pytest.raises(ValidationError):
        clean_field(spec.fields["education"], "", strict)
    assert clean_field(spec.fields["education"], "6", ctx) == "70"
    occupations = options_for(spec.fields["occupation"], Policy(occupations=("E", "H")))
    assert [(o.value, o.zh) for o in occupations] == [("E", "建筑业"), ("H", "住宿和餐饮业")]


def test_a_station_with_no_registrations_prints_an_empty_table(tmp_path):
    st = Station.init(tmp_path / "empty", "E-01", DISTRICT, "空站")
    st.close()
    for args in (["--by", "origin,age"], ["--by", "origin"]):
        r = run_cli("stats", "--data-dir", str(tmp_path / "empty"), *args)
        assert r.returncode == 0, r.stderr
        assert "合计" in r.stdout and "count" not in r.stdout
    r = run_cli("stats", "--data-dir", str(tmp_path / "empty"), "--by", "origin,age", "--pdf", "--out",
                str(tmp_path / "e.pdf"))
    assert r.returncode == 0 and (tmp_path / "e.pdf").read_bytes().startswith(b"%PDF")


def test_flow_per_week_lists_every_week_with_inflow_and_outflow(seeded, tmp_path):
    from datetime import timedelta

    today = engine.business_date(seeded)
    start = today - timedelta(days=20)
    data = _json(seeded.data_dir, "--flow", "week", "--from", start.isoformat(), "--to", today.isoformat())
    assert data["by"] == ["week", "flow"]
    weeks = {c["dims"]["week"] for c in data["cells"]}
    expected = {S.D.period_of(start + timedelta(days=n), "week") for n in range(21)}
    assert weeks == expected  # quiet weeks are rows of zeros, not missing
    arrived = S.D.period_of(today - timedelta(days=2), "week")
    inflow = {c["dims"]["week"]: c["count"] for c in data["cells"] if c["dims"]["flow"] == "inflow"}
    outflow = [c["count"] for c in data["cells"] if c["dims"]["flow"] == "outflow"]
    assert inflow[arrived] == 11 and outflow == [0] * len(weeks)  # 11 persons arrived two days ago
    assert all(v == 0 for w, v in inflow.items() if w != arrived)
    assert data["total"] == 11 and "不予公布" in data["footnote"]
    # every format, like the other dimensions
    r = run_cli("stats", "--data-dir", str(seeded.data_dir), "--flow", "month", "--csv")
    assert r.returncode == 0 and "流入（登记开始）" in r.stdout and "流出（登记结束）" in r.stdout
    for fmt in ("xlsx", "pdf"):
        out = tmp_path / f"flow.{fmt}"
        r = run_cli("stats", "--data-dir", str(seeded.data_dir), "--flow", "month", f"--{fmt}", "--out", str(out))
        assert r.returncode == 0, r.stderr
        assert out.stat().st_mode & 0o777 == 0o600 and out.stat().st_size > 1000
    text = subprocess.run(["pdftotext", str(tmp_path / "flow.pdf"), "-"], capture_output=True, text=True).stdout
    assert "流入" in text and "张一" not in text


def test_flow_with_by_or_a_bad_period_is_one_line(seeded):
    for args, words in ((("--flow", "week", "--by", "origin"), "--flow and --by"), (("--flow", "day"), "week or month")):
        r = run_cli("stats", "--data-dir", str(seeded.data_dir), *args)
        assert r.returncode != 0 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_flow_cells_under_k_are_suppressed_and_not_recoverable():
    # a crafted month: 12 arrivals and 2 departures in one week, 1 departure in the next
    tx = S.memory_facts()
    tx.execute("INSERT INTO stat_cursor (station_id, last_seq) VALUES ('T', 0)")
    rows = [("2026-11-02", None)] * 10 + [("2026-11-03", "2026-11-04")] * 2 + [("2026-10-01", "2026-11-10")]
    for i, (began, ended) in enumerate(rows):
        tx.execute("INSERT INTO stat_facts (station_id, person_id, reg_seq, kind, started, started_week,"
                   " started_month, ended, origin, sex, started_num, ended_num) VALUES"
                   " ('T', ?, ?, 'residence', ?, '', '', ?, 'other_province', 'M', ?, ?)",
                   (f"p{i}", i, began, ended, S.day_number(began), S.day_number(ended)))
    counts = S.flow_table_counts(tx, "week", date(2026, 11, 2), date(2026, 11, 15))
    assert counts == {("2026-W45", "inflow"): 12, ("2026-W45", "outflow"): 2, ("2026-W46", "inflow"): 0,
                      ("2026-W46", "outflow"): 1}
    pub = S.publish(counts, ["week", "flow"], date(2026, 11, 2), date(2026, 11, 15), 5, (20, 30, 50, 60))
    shown = {(r["dims"]["week"], r["dims"]["flow"]): r["count"] for r in pub.records()}
    assert shown[("2026-W45", "outflow")] is None and shown[("2026-W46", "outflow")] is None
    assert shown[("2026-W46", "inflow")] == 0  # zeros single no one out
    assert S.D.recoverable(pub.table) == set()
