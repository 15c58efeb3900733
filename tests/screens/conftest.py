import pytest

from counter.i18n import set_language
from counter.services import clerks
from counter.station import Station

CLERK = ("柜员甲", "1234")
SUPERVISOR = ("主管乙", "4321")


@pytest.fixture
def station(tmp_path):
    st = Station.init(tmp_path / "station", "T-01", "210102", "和平区政务服务中心", reader={"kind": "simulated"})
    clerks.add_clerk(st, CLERK[0], "clerk", CLERK[1])
    clerks.add_clerk(st, SUPERVISOR[0], "supervisor", SUPERVISOR[1])
    yield st
    st.close()
    set_language("zh_CN")


async def sign_in(pilot):
    await pilot.pause()
    pilot.app.screen.query_one("#name").value = CLERK[0]
    pilot.app.screen.query_one("#pin").value = CLERK[1]
    pilot.app.screen.attempt()
    await pilot.pause()
