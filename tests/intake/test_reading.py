"""Files as tables: CSV in UTF-8 (BOM or not) or GB18030, said, never guessed; anything else refused."""

from __future__ import annotations

import pytest

from counter.errors import CounterError, ValidationError
from counter.intake import reading, rows
from tests.intake.conftest import HEADER_ZH, hired_rows, write_csv, write_xlsx

NAMES = ["𠮷永康", "阿依古丽·买买提", "王小䶮"]


def _rows(today):
    out = hired_rows(3, today)
    for r, name in zip(out, NAMES, strict=True):
        r[0] = name
    return out


@pytest.mark.parametrize(("encoding", "said"), [("gb18030", "GB18030"), ("utf-8", "UTF-8"),
                                                ("utf-8-sig", "UTF-8 (BOM)")])
def test_csv_encodings_are_detected_and_names_kept_exactly(tmp_path, today, encoding, said):
    path = write_csv(tmp_path / "r.csv", HEADER_ZH, _rows(today), encoding)
    checked = rows.check_report_table(reading.open_table(path), today=today)
    assert checked.encoding == said
    assert not checked.rejects and checked.report_type == "hired"
    assert [r.name for r in checked.rows] == NAMES  # 𠮷 (U+20BB7, 4 bytes in GB18030) and · survive
    assert checked.rows[0].name.encode("utf-16-le") == "𠮷永康".encode("utf-16-le")


def test_gb18030_bytes_of_the_rare_character_are_the_four_byte_form(tmp_path, today):
    path = write_csv(tmp_path / "r.csv", HEADER_ZH, _rows(today), "gb18030")
    assert "𠮷".encode("gb18030") == b"\x95\x34\xb2\x35" and b"\x95\x34\xb2\x35" in path.read_bytes()


@pytest.mark.parametrize("encoding", ["big5", "shift_jis", "latin-1"])
def test_an_undecidable_encoding_is_refused_in_one_line(tmp_path, today, encoding):
    path = tmp_path / "r.csv"
    text = {"big5": "姓名,身分證號碼\n張偉臺北市中華路,1\n", "shift_jis": "名前,番号\n山田太郎,1\n",
            "latin-1": "name,id\nMüller café,1\n"}[encoding]
    path.write_bytes(text.encode(encoding))
    with pytest.raises(CounterError) as err:
        reading.open_table(path)
    message = str(err.value)
    assert "neither UTF-8 nor GB18030" in message and "\n" not in message and err.value.exit_code == 2


def test_utf16_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("姓名\n张伟\n".encode("utf-16"))
    with pytest.raises(CounterError, match="UTF-16; save it as UTF-8 or GB18030"):
        reading.open_table(path)


def test_xlsx_is_read_with_row_numbers_as_the_sheet_shows(tmp_path, today):
    data = _rows(today)
    data[1][1] = "11010119900307123"  # 17 characters
    checked = rows.check_report_table(reading.open_table(write_xlsx(tmp_path / "r.xlsx", HEADER_ZH, data)),
                                      today=today)
    assert checked.encoding == "xlsx" and [r.name for r in checked.rows] == [NAMES[0], NAMES[2]]
    assert checked.rejects[0][0] == 3 and "18" in checked.rejects[0][1]  # header is row 1


def test_an_id_number_stored_as_a_float_is_refused_not_rounded(tmp_path, today):
    data = _rows(today)
    data[0][1] = float(data[0][1][:17] + "0") if data[0][1][-1] != "X" else 1.1e17
    checked = rows.check_report_table(reading.open_table(write_xlsx(tmp_path / "r.xlsx", HEADER_ZH, data)),
                                      today=today)
    assert checked.rejects[0][0] == 2 and ("数字" in checked.rejects[0][1] or "number" in checked.rejects[0][1])


def test_english_headers_and_an_unknown_column(tmp_path, today):
    header = ["name", "ID number", "date", "type", "address", "phone"]
    checked = rows.check_report_table(reading.open_table(write_csv(tmp_path / "e.csv", header, _rows(today))),
                                      today=today)
    assert len(checked.rows) == 3
    with pytest.raises(CounterError, match="column 3 '民族' is not a known column"):
        rows.check_report_table(reading.open_table(write_csv(tmp_path / "x.csv", ["姓名", "公民身份号码", "民族"],
                                                             [["张伟", "1", "汉"]])), today=today)


def test_dates_in_the_forms_clerks_type():
    from datetime import date

    for text in ("2024-03-07", "2024/3/7", "2024.3.7", "2024年3月7日", "20240307"):
        assert rows.parse_date(text) == date(2024, 3, 7)
    with pytest.raises(ValidationError):
        rows.parse_date("2024-02-30")


def test_a_utf16_surrogate_pair_in_a_cell_becomes_the_one_character():
    assert rows.cell_text("\ud842\udfb7永康", "name") == "𠮷永康"


def test_terminal_escapes_in_a_cell_are_refused_not_printed(tmp_path, today):
    data = _rows(today)
    data[1][4] = "沈阳市\x1b[2J和平区"
    checked = rows.check_report_table(reading.open_table(write_csv(tmp_path / "r.csv", HEADER_ZH, data)),
                                      today=today)
    assert [n for n, _ in checked.rejects] == [3] and "\x1b" not in checked.rejects[0][1]
    assert "U+001B" in checked.rejects[0][1]


def test_too_many_rows_are_refused_before_anything_else(tmp_path, today, monkeypatch):
    monkeypatch.setattr(rows, "MAX_ROWS", 2)
    with pytest.raises(CounterError, match="at most 2 rows"):
        rows.check_report_table(reading.open_table(write_csv(tmp_path / "r.csv", HEADER_ZH, _rows(today))),
                                today=today)
