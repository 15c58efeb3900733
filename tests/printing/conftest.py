from __future__ import annotations

import dataclasses

import pytest

from printing.documents import Certificate, Receipt

NAME = "\U00020BB7田阿依古丽·买买提"  # 𠮷 (U+20BB7, outside GBK and Big5) and the middle dot
ENTITLEMENTS = ["社会保险", "公共租赁住房", "机动车驾驶证", "子女入学", "法律援助", "开具证明"]


@pytest.fixture
def receipt() -> Receipt:
    return Receipt(
        service="permit_apply", service_name="居住证申领", title="居住证申领受理回执", office="和平区政务服务中心",
        station_id="DEMO-01",
        clerk_name="王小明", issued_at="2026-11-21 10:32", applicant_name=NAME, masked_id="210102********1241",
        number="A20261121-0001", lines=[("居住地址：", "沈阳市和平区南京北街 1 号 2 单元 301 室")],
        next_steps="请于 2026-12-12 起凭本回执和身份证到本窗口领取居住证。", collection_date="2026-12-12",
        entitlements=ENTITLEMENTS, verification="CNTR1:TEST-PAYLOAD",
    )


@pytest.fixture
def certificate() -> Certificate:
    return Certificate(
        kind="residence_certificate", title="居住证明", number="C20261121-0001", subject_name=NAME,
        subject_id_number="210102199003071241", subject_sex="女", subject_birth_date="1990-03-07",
        office="和平区政务服务中心", station_id="DEMO-01", issue_date="2026-11-21", valid_until="2027-05-21",
        verification="CNTR1:TEST-PAYLOAD",
    )


@pytest.fixture
def station(tmp_path):
    from counter.station import Station

    st = Station.init(tmp_path / "station", "DEMO-01", "210102", "和平区政务服务中心", printer={"kind": "simulated"})
    yield st
    st.close()


def replace(doc, **changes):
    return dataclasses.replace(doc, **changes)
