"""Sample cards of our simulated SAM reader (invented people, numbers and photos).

Each card builds the text block a real reader returns (UTF-16LE, fixed-width fields, the card-type
mark at unit 124; see devices/resident_id.py) and a 1024-byte stand-in for the WLT photo.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from devices.resident_id import FOREIGNER_FIELDS, LONG_TERM, RESIDENT_FIELDS, encode_fields
from devices.sim.samples import citizen_id


@dataclass(frozen=True)
class SamCard:
    sample_id: str
    label: str  # the demo's F2 menu (no ID numbers)
    name: str
    sex: str  # "1" male, "2" female
    birth: date
    number: str
    valid_from: date
    valid_until: date | None  # None: 长期
    ethnicity: str = "01"
    address: str = ""
    authority: str = ""
    mark: str = " "  # " " resident ID card, "I" foreigner, "J" HMT permit
    english_name: str = ""
    nationality: str = ""
    travel_permit: str = ""
    issue_count: str = ""
    extra: dict = field(default_factory=dict)

    def text_block(self) -> bytes:
        until = LONG_TERM if self.valid_until is None else f"{self.valid_until:%Y%m%d}"
        common = {"sex": self.sex, "birth": f"{self.birth:%Y%m%d}", "number": self.number,
                  "valid_from": f"{self.valid_from:%Y%m%d}", "valid_until": until, "mark": self.mark}
        if self.mark == "I":
            return encode_fields({**common, "english_name": self.english_name, "nationality": self.nationality,
                                  "name": self.name, "version": "20", "authority": self.authority},
                                 FOREIGNER_FIELDS)
        return encode_fields({**common, "name": self.name, "ethnicity": self.ethnicity, "address": self.address,
                              "authority": self.authority, "travel_permit": self.travel_permit,
                              "issue_count": self.issue_count}, RESIDENT_FIELDS)

    def photo(self) -> bytes:
        seed = hashlib.sha256(self.sample_id.encode()).digest()
        return b"WLT" + b"".join(hashlib.sha256(seed + bytes([i])).digest() for i in range(32))[:1021]


def _bad_check(number: str) -> str:
    """The same number with a wrong check character."""
    return number[:17] + ("0" if number[17] != "0" else "1")


_CARDS = [
    SamCard("sam-ji", "居民身份证 𠮷祥云", "𠮷祥云", "1", date(1986, 9, 12),
            citizen_id("210102", date(1986, 9, 12), 157), date(2019, 5, 8), date(2039, 5, 8),
            address="辽宁省沈阳市和平区南京北街𠮷祥里12号", authority="沈阳市公安局和平分局"),
    SamCard("sam-ayigul", "居民身份证 阿依古丽·吐尔逊", "阿依古丽·吐尔逊", "2", date(1994, 3, 21),
            citizen_id("650102", date(1994, 3, 21), 248), date(2016, 7, 1), date(2036, 7, 1),
            ethnicity="05", address="新疆维吾尔自治区乌鲁木齐市天山区解放南路88号", authority="乌鲁木齐市公安局天山区分局"),
    SamCard("sam-yan", "居民身份证 刘䶮", "刘䶮", "1", date(2000, 1, 30),
            citizen_id("440305", date(2000, 1, 30), 11), date(2018, 2, 14), date(2028, 2, 14),
            address="广东省深圳市南山区科技园路1号", authority="深圳市公安局南山分局"),
    SamCard("sam-expired", "居民身份证 张伟 (已过期)", "张伟", "1", date(1975, 6, 3),
            citizen_id("110105", date(1975, 6, 3), 35), date(2005, 6, 1), date(2025, 6, 1),
            address="北京市朝阳区建国路100号", authority="北京市公安局朝阳分局"),
    SamCard("sam-longterm", "居民身份证 李秀英 (长期)", "李秀英", "2", date(1952, 10, 9),
            citizen_id("320583", date(1952, 10, 9), 64), date(2012, 3, 5), None,
            address="江苏省昆山市玉山镇同心路5号", authority="昆山市公安局"),
    SamCard("sam-foreigner", "外国人永久居留身份证 MÜLLER", "穆勒安娜", "2", date(1979, 8, 12),
            "DEU310079081227", date(2021, 4, 1), date(2031, 4, 1), mark="I",
            english_name="MUELLER, ANNA MARIA", nationality="DEU", authority="1500"),
    SamCard("sam-hmt", "港澳居民居住证 陈家明", "陈家明", "1", date(1991, 12, 24),
            citizen_id("810000", date(1991, 12, 24), 19), date(2022, 9, 1), date(2027, 9, 1),
            ethnicity="", address="广东省深圳市福田区福华路3号", authority="深圳市公安局福田分局", mark="J",
            travel_permit="H12345678", issue_count="01"),
    SamCard("sam-badcheck", "居民身份证 王强 (号码校验位错误)", "王强", "1", date(1988, 4, 17),
            _bad_check(citizen_id("210102", date(1988, 4, 17), 133)), date(2015, 1, 1), date(2035, 1, 1),
            address="辽宁省沈阳市和平区中华路7号", authority="沈阳市公安局和平分局"),
]

SAM_SAMPLES: dict[str, SamCard] = {c.sample_id: c for c in _CARDS}
