"""Pilot flows: every service from card read to document, in zh_CN and in en, plus void and correction."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from counter.services import people
from db import journal
from printing.documents import Certificate, Receipt
from screens.app import CounterApp
from screens.document import DocumentScreen
from screens.person import PersonScreen
from screens.wizard import WizardScreen
from tests.screens.conftest import SUPERVISOR, sign_in
from tests.screens.driver import Clerk


@pytest.fixture
def flow_station(station):
    # every service in one visit: a card is ready at once, and a 1-year permit can be extended at once
    policy = station.config.data["policy"]
    policy["collection_working_days"] = 0
    policy["extension_window_days"] = 400
    return station


async def run_service(clerk: Clerk, key: str, fields: list[tuple[str, str]], expect_title: str,
                      supervisor: bool = False):
    app = clerk.app
    await clerk.press(key)
    assert isinstance(app.screen, WizardScreen), f"{key} did not open a form"
    assert app.screen.query_one("#wizard-title", Static).content.startswith(expect_title)
    await clerk.fill(fields)
    await clerk.press("f10")
    assert app.screen.on_review, app.screen.query_one("#wizard-error", Static).content
    await clerk.press("f10")
    if supervisor:
        await clerk.type(SUPERVISOR[0])
        await clerk.press("enter")
        await clerk.type(SUPERVISOR[1])
        await clerk.press("enter")
    assert isinstance(app.screen, DocumentScreen), "confirm did not produce a document"
    document = app.screen.document
    await clerk.press("escape")
    assert isinstance(app.screen, PersonScreen)
    return document


SERVICES_ZH = [
    ("1", [("current_address", "沈阳市和平区南京北街10号"), ("arrival_date", "-9")], "居住登记"),
    ("3", [("validity_years", "1")], "居住证申领"),
    ("8", [], "居住证领取"),
    ("4", [("validity_years", "2")], "居住证延期"),
    ("5", [("new_address", "沈阳市和平区中山路1号")], "居住证变更"),
    ("6", [("replace_reason", "2")], "居住证补领"),
    ("8", [], "居住证领取"),
    ("9", [("purpose", "子女入学")], "居住证明"),
    ("0", [], "生存证明"),
    ("c", [("request_purpose", "出国"), ("phone", "13812345678")], "有无犯罪记录证明"),
    ("a", [("new_address", "沈阳市和平区三好街5号")], "变更居住地址"),
    ("e", [("new_employer", "沈阳𠮷祥有限公司")], "变更工作单位"),
    ("t", [("new_phone", "13900001111")], "变更联系电话"),
    ("n", [("new_name", "𠮷田春花")], "姓名更正"),
    ("7", [], "居住证注销"),
]
TITLES_EN = ["Residence registration", "Residence permit: apply", "Residence permit: collect",
             "Residence permit: extend", "Residence permit: change", "Residence permit: replace",
             "Residence permit: collect", "Residence certificate", "Proof of life", "Criminal-record certificate",
             "Change of address", "Change of employer", "Change of phone", "Name correction",
             "Residence permit: cancel"]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
async def test_every_service_from_card_to_document(flow_station, lang):
    station = flow_station
    app = CounterApp(station, lang=lang, idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2")  # the demo source inserts 𠮷田春's social security card
        assert isinstance(app.screen, PersonScreen) and app.screen.file is None
        documents = []
        for (key, fields, zh_title), en_title in zip(SERVICES_ZH, TITLES_EN, strict=True):
            title = zh_title if lang == "zh_CN" else en_title
            documents.append(await run_service(clerk, key, fields, title, supervisor=key == "n"))
        pid = app.screen.person_id
        person = people.get(station, pid)
        assert person.name == "𠮷田春花" and person.employer == "沈阳𠮷祥有限公司"
        assert person.phone == "13900001111" and person.current_address == "沈阳市和平区三好街5号"
        assert isinstance(documents[7], Certificate) and isinstance(documents[8], Certificate)
        assert all(isinstance(d, Receipt) for i, d in enumerate(documents) if i not in (7, 8))
        assert documents[0].applicant_name == "𠮷田春" and documents[0].masked_id == "110105********2125"
        assert any(label == "逾期" for label, _ in documents[0].lines)  # arrived 9 days ago: late, accepted
        kinds = [h.service for h in people.history(station, pid)]
        assert len(kinds) == 15 and kinds[0] == "permit_cancel"
        # from another province: a lodging registration (寄住登记, in-province only) is refused at its key
        await clerk.press("2")
        assert isinstance(app.screen, PersonScreen)
        # the footer speaks the chosen language
        footer_text = " ".join(b.description for _k, b in app.screen._bindings if b.description)
        assert ("办理记录" if lang == "zh_CN" else "History") in str(
            app.screen.query_one(".title", Static).content)
        assert ("补打" if lang == "zh_CN" else "Reprint") in footer_text


async def test_bad_input_is_blocked_at_the_field_and_nothing_saved(flow_station):
    station = flow_station
    app = CounterApp(station, lang="en", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f3")
        await clerk.press("ctrl+n")  # a new person by hand, no card
        await clerk.press("1")
        assert isinstance(app.screen, WizardScreen)
        head = journal.head(station.db)
        await clerk.fill([("id_number", "210102198803142121"), ("name", "张3"), ("sex", "2"),
                          ("birth_date", "2099-01-01"), ("ethnicity", "01")])
        await clerk.press("f10")
        screen = app.screen
        assert not screen.on_review
        errors = {fid: str(screen.query_one(f"#e-{fid}", Static).content) for fid in screen.spec.fields}
        assert "check character" in errors["id_number"]
        assert "digits" in errors["name"]
        assert "in the future" in errors["birth_date"]
        assert "required" in errors["current_address"] and errors["sex"] == ""
        assert app.focused.id == "f-id_number"  # focus goes to the first field in error
        await clerk.fill([("id_number", "110105198803142125"), ("name", "张三"), ("birth_date", "19880314"),
                          ("household_address", "北京市朝阳区")], clear=True)
        assert journal.head(station.db) == head  # nothing half-saved
        await clerk.fill([("current_address", "沈阳市和平区南京北街1号"), ("arrival_date", "2026-02-30")])
        await clerk.press("f10")
        assert "not a real date" in str(screen.query_one("#e-arrival_date", Static).content)
        await clerk.fill([("arrival_date", "0")], clear=True)
        await clerk.press("f10", "f10")
        assert isinstance(app.screen, DocumentScreen)


async def test_void_and_correct_from_history_need_a_supervisor(flow_station):
    station = flow_station
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2", "f2")  # the second sample: 阿依古丽·买买提
        assert app.screen.card_values["name"] == "阿依古丽·买买提"
        await run_service(clerk, "1", [("current_address", "沈阳市和平区北四马路2号"), ("arrival_date", "0")],
                          "居住登记")
        await run_service(clerk, "3", [], "居住证申领")
        table = app.screen.query_one("#person-history", DataTable)
        table.focus()
        await clerk.press("v")
        await clerk.type("录入错误")
        await clerk.press("enter")
        await clerk.type(SUPERVISOR[0])
        await clerk.press("enter")
        await clerk.type("0000")  # wrong PIN: refused, dialog stays
        await clerk.press("enter")
        assert "PIN" in str(app.screen.query_one("#sup-error", Static).content)
        await clerk.type(SUPERVISOR[1])
        await clerk.press("enter")
        assert isinstance(app.screen, DocumentScreen) and app.screen.document.service == "void"
        await clerk.press("escape")
        pid = app.screen.person_id
        hist = people.history(station, pid)
        assert [h.service for h in hist] == ["void", "permit_apply", "residence_registration"]
        assert hist[1].status == "voided" and hist[0].ref_seq == hist[1].seq
        assert people.current_permit(station, pid) is None
        # correct the registration's phone: select its row (the last)
        table = app.screen.query_one("#person-history", DataTable)
        table.focus()
        table.move_cursor(row=2)
        await clerk.press("x")
        dialog = app.screen
        dialog.query_one("#extra-phone").value = "13700001234"
        dialog.query_one("#reason").focus()
        await pilot.pause()
        await clerk.type("电话有误")
        await clerk.press("enter")
        await clerk.type(SUPERVISOR[0])
        await clerk.press("enter")
        await clerk.type(SUPERVISOR[1])
        await clerk.press("enter")
        assert isinstance(app.screen, DocumentScreen), app.screen.query_one("#sup-error", Static).content
        assert app.screen.document.service == "correction"
        assert people.get(station, pid).phone == "13700001234"
        assert station.verify_journal().ok


async def test_card_of_a_person_on_file_opens_their_file_and_journals_the_opening(flow_station):
    station = flow_station
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2")
        await run_service(clerk, "1", [("current_address", "沈阳市和平区南京北街10号"), ("arrival_date", "0")],
                          "居住登记")
        await clerk.press("escape")
        app._next_demo_card = 0
        await clerk.press("f2")
        assert isinstance(app.screen, PersonScreen) and app.screen.file is not None
        opened = station.db.conn.execute("SELECT count(*) FROM access_log WHERE record_id = ?",
                                         (app.screen.person_id,)).fetchone()[0]
        assert opened == 2  # after registering, and on this card read
        # lookup by name finds the same file
        await clerk.press("f3")
        await clerk.type("𠮷田")
        await clerk.press("enter")
        assert isinstance(app.screen, PersonScreen) and app.screen.file.person.name == "𠮷田春"


async def test_a_broken_spec_is_reported_and_the_app_still_starts(flow_station, tmp_path, monkeypatch):
    from importlib import resources

    from counter.forms import spec as form_specs

    broken = tmp_path / "forms"
    broken.mkdir()
    for item in (resources.files("templates") / "forms").iterdir():
        if item.name.endswith(".toml"):
            (broken / item.name).write_bytes(item.read_bytes())
    path = broken / "proof_of_life.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('type = "text"', 'type = "txet"'), encoding="utf-8")
    monkeypatch.setattr(form_specs, "catalogue", lambda: form_specs.load_catalogue(broken))
    app = CounterApp(flow_station, lang="en", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        errors = str(app.screen.query_one("#home-spec-errors", Static).content)
        assert "proof_of_life.toml:" in errors and "unknown type 'txet'" in errors
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2")
        await clerk.press("0")  # proof of life: unavailable, nothing opens
        assert isinstance(app.screen, PersonScreen)
        await run_service(clerk, "1", [("current_address", "沈阳市和平区南京北街10号"), ("arrival_date", "0")],
                          "Residence registration")


async def test_a_crash_report_shows_no_local_variables(flow_station):
    """Textual's default crash report prints locals; ours must not (they hold ID numbers)."""

    from textual.binding import Binding

    class Crashing(CounterApp):
        BINDINGS = [Binding("f9", "boom", "boom")]
        captured: list = []

        def action_boom(self) -> None:
            # built at run time, so only the locals (not the source lines shown) could carry it
            secret_id_number = "".join(reversed("X20013219491501011"))  # noqa: F841
            raise RuntimeError("boom")

        def _fatal_error(self) -> None:
            super()._fatal_error()
            self.captured.extend(self._exit_renderables)

    app = Crashing(flow_station, lang="en", idle_lock_seconds=0)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("f9")
            await pilot.pause()
    rendered = "".join(seg.text for r in app.captured for seg in r.segments)
    assert "RuntimeError" in rendered
    assert "11010519491231002X" not in rendered


async def test_leaving_a_field_checks_it_inline(flow_station):
    app = CounterApp(flow_station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f2", "1")
        await clerk.fill([("arrival_date", "2099-01-01")])
        await clerk.press("tab")
        error = str(app.screen.query_one("#e-arrival_date", Static).content)
        assert error == "2099-01-01 晚于今天"  # the zh_CN message, at the field
        assert str(app.screen.query_one("#e-current_address", Static).content) == ""
