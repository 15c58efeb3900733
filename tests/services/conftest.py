import pytest

from counter.services import clerks
from counter.station import Station

DISTRICT = "210102"


@pytest.fixture
def station(tmp_path):
    st = Station.init(tmp_path / "station", "T-01", DISTRICT, "测试服务中心")
    yield st
    st.close()


@pytest.fixture
def clerk(station):
    return clerks.add_clerk(station, "柜员甲", "clerk", "1234")


@pytest.fixture
def supervisor(station):
    clerks.add_clerk(station, "主管乙", "supervisor", "4321")
    return clerks.authorize_supervisor(station, "主管乙", "4321", "test")


# 𠮷 (U+20BB7) outside the BMP, born 1949-12-31, female
YOSHIDA = {"doc_type": "citizen_id", "id_number": "11010519491231002X", "name": "𠮷田", "sex": "F",
           "birth_date": "1949-12-31", "ethnicity": "01", "nationality": "CHN",
           "household_address": "北京市朝阳区幸福街1号", "current_address": "沈阳市和平区南京北街10号",
           "arrival_date": "-2", "stay_reason": "1", "phone": "13812345678"}
