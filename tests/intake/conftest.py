"""A station with a house and entities (the houses fixtures), and files of report rows to import."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest

from tests.houses.conftest import EMPLOYER, HOUSE, citizen_id, clerk, landlord, registers, station  # noqa: F401

AREAS = ("110101", "130102", "320583", "440305", "510104")  # other provinces: residence registration
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = "伟芳娜敏静丽强磊军洋"
HEADER_ZH = ["姓名", "公民身份号码", "入职日期", "申报类型", "地址", "联系电话"]


def person(i: int) -> tuple[str, str]:
    """(name, valid citizen ID) number i: distinct, from another province."""
    birth = date(1970, 1, 1) + timedelta(days=i % 9000)
    id_number = citizen_id(AREAS[i % len(AREAS)], birth.strftime("%Y%m%d"), 1 + i // 9000 % 999)
    name = SURNAMES[i % 10] + GIVEN[(i // 10) % 10] + GIVEN[(i // 100) % 10]
    return name, id_number


def hired_rows(n: int, event: date) -> list[list[str]]:
    return [[name, id_number, event.isoformat(), "入职", "沈阳市和平区中华路5号宿舍", "13800000000"]
            for name, id_number in (person(i) for i in range(n))]


def write_csv(path, header, rows, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(path, header, rows):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("申报")
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


@pytest.fixture
def today(station):  # noqa: F811 (the fixture of that name)
    from counter.services import engine

    return engine.business_date(station)
