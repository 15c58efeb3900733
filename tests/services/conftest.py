from tests.stations import DISTRICT, clerk_fixture, station_fixture, supervisor_fixture

__all__ = ["DISTRICT"]

station = station_fixture("T-01", "测试服务中心")
clerk = clerk_fixture("柜员甲")
supervisor = supervisor_fixture("主管乙")


# 𠮷 (U+20BB7) outside the BMP, born 1949-12-31, female
YOSHIDA = {"doc_type": "citizen_id", "id_number": "11010519491231002X", "name": "𠮷田", "sex": "F",
           "birth_date": "1949-12-31", "ethnicity": "01", "nationality": "CHN",
           "household_address": "北京市朝阳区幸福街1号", "current_address": "沈阳市和平区南京北街10号",
           "arrival_date": "-2", "stay_reason": "1", "phone": "13812345678"}
