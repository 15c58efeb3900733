from tests.services.conftest import DISTRICT, YOSHIDA, clerk, station, supervisor  # noqa: F401
