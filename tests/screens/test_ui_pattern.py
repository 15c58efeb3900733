"""The one UI pattern, enforced on the source of screens/ (issue 11, item 4) and on the running app.

Workers are @work(thread=True, exclusive=True, exit_on_error=False) and report by posting a message of
screens/messages.py; no call_from_thread, hand-made threads, run_worker or on_worker_state_changed.
Screens read app.state instead of probing App attributes, never set App attributes as a back channel,
and reach devices only through counter.services.devices. Every dialog is a screens.dialogs.Dialog.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from textual.message import Message
from textual.screen import ModalScreen

from screens.app import CounterApp
from tests.screens.conftest import sign_in

SCREENS = Path(__file__).resolve().parents[2] / "screens"
SOURCES = sorted(SCREENS.glob("*.py"))
# App attributes Textual itself defines and a screen may set
TEXTUAL_APP_ATTRIBUTES = {"sub_title", "title"}


def trees():
    for path in SOURCES:
        yield path.name, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def is_app(node: ast.AST) -> bool:
    """`self.app` or a local named `app`."""
    return ((isinstance(node, ast.Attribute) and node.attr == "app" and isinstance(node.value, ast.Name)
             and node.value.id == "self") or (isinstance(node, ast.Name) and node.id == "app"))


def offences(name: str, tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Attribute) and node.attr in ("call_from_thread", "run_worker", "Thread"):
            found.append(f"{where} {node.attr}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("threading", "devices"):
                    found.append(f"{where} import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("threading", "devices"):
            found.append(f"{where} from {node.module} import")
        elif isinstance(node, ast.Name) and node.id == "Thread":
            found.append(f"{where} Thread")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "on_worker_state_changed":
            found.append(f"{where} on_worker_state_changed")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr")
              and node.args and is_app(node.args[0])):
            found.append(f"{where} {node.func.id}(app, ...)")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (isinstance(target, ast.Attribute) and is_app(target.value)
                        and target.attr not in TEXTUAL_APP_ATTRIBUTES):
                    found.append(f"{where} app.{target.attr} = (a back channel: use app.state or a message)")
    return found


def test_screens_follow_the_one_ui_pattern():
    # the checker reports each old pattern, as they were in screens/ before...
    found = " ".join(offences("old.py", ast.parse(OLD_PATTERNS)))
    for pattern in ("call_from_thread", "run_worker", "import threading", "from devices.sim.samples", " Thread",
                    "getattr(app", "app.last_outcome_person", "on_worker_state_changed"):
        assert pattern in found
    # ...and none is left
    found = [o for name, tree in trees() for o in offences(name, tree)]
    assert found == []


OLD_PATTERNS = '''
import threading
from devices.sim.samples import SAMPLES

class S:
    def go(self):
        self.app.call_from_thread(self.show, 1)
        self.run_worker(self.check, thread=True)
        threading.Thread(target=self.go).start()
        device = getattr(self.app, "device_status", "")
        self.app.last_outcome_person = "p"

    def on_worker_state_changed(self, event):
        pass
'''


def work_decorators(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                func = call.func if call else decorator
                if isinstance(func, ast.Name) and func.id == "work":
                    yield node, call


def test_every_worker_is_exclusive_and_reports_its_own_errors():
    workers = []
    for name, tree in trees():
        for node, call in work_decorators(tree):
            keywords = {k.arg: getattr(k.value, "value", None) for k in (call.keywords if call else [])}
            workers.append(f"{name}:{node.name}")
            assert keywords.get("exclusive") is True, f"{name}:{node.name}"
            assert keywords.get("exit_on_error") is False, f"{name}:{node.name}"
            # a thread worker or an async one (which must not block)
            assert keywords.get("thread") is True or isinstance(node, ast.AsyncFunctionDef), f"{name}:{node.name}"
    # card check-in, printing, sync, the printer poll and its one-off check
    assert {"checkin.py:run_check", "document.py:_print_worker", "background.py:_sync_worker",
            "background.py:_printer_worker", "background.py:refresh_printer_status"} <= set(workers)


def test_messages_live_in_screens_messages():
    """Top-level Message classes are all in screens/messages.py (a widget's own messages, such as
    FieldRow.Changed, are nested in the widget, as Textual's are)."""
    strays = [f"{name}:{node.name}" for name, tree in trees() if name != "messages.py"
              for node in tree.body if isinstance(node, ast.ClassDef)
              and any(isinstance(b, ast.Name) and b.id == "Message" for b in node.bases)]
    assert strays == []
    from screens import messages

    names = {n for n, obj in vars(messages).items() if inspect.isclass(obj) and issubclass(obj, Message)}
    assert {"CardRead", "DeviceEvent", "ServiceCompleted", "SyncStatusChanged", "PrinterChecked",
            "PrintDelivered", "CheckinFinished"} <= names


def test_every_dialog_shares_the_dialog_base():
    from screens.dialogs import Dialog
    from screens.lock import LockScreen

    modal = []
    for path in SOURCES:
        module = importlib.import_module(f"screens.{path.stem}")
        modal += [obj for obj in vars(module).values() if inspect.isclass(obj) and issubclass(obj, ModalScreen)
                  and obj.__module__ == module.__name__ and obj is not Dialog]
    # the lock screen covers the whole window on purpose (nothing personal may show through)
    dialogs = [cls for cls in modal if cls is not LockScreen]
    assert {cls.__name__ for cls in dialogs} >= {"HelpDialog", "SupervisorDialog", "ReasonDialog", "MrzKeyDialog",
                                                 "CloseDayDialog"}
    assert [cls.__name__ for cls in dialogs if not issubclass(cls, Dialog)] == []


@pytest.mark.parametrize("size", [(110, 36), (80, 24)])
async def test_the_mrz_key_dialog_is_centred_over_the_dimmed_screen(station, size):
    from screens.dialogs import HelpDialog, MrzKeyDialog
    from screens.home import HomeScreen

    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot)
        assert isinstance(app.screen, HomeScreen)
        for dialog in (MrzKeyDialog("", ""), HelpDialog("?", "F1")):
            app.push_screen(dialog)
            await pilot.pause()
            box = app.screen.query_one(".dialog").region
            width, height = size
            left, right = box.x, width - box.right
            top, bottom = box.y, height - box.bottom
            assert left > 0 and abs(left - right) <= 1, (type(dialog).__name__, box)
            assert top > 0 and abs(top - bottom) <= 1, (type(dialog).__name__, box)
            # the screen below shows through, dimmed: not a blank screen
            assert app.screen.styles.background.a < 1, type(dialog).__name__
            app.pop_screen()
            await pilot.pause()


async def test_field_rows_and_service_completed_carry_the_new_persons_file(station):
    """A new person typed by hand: the field rows post FieldRow.Changed with their field id, the wizard
    posts ServiceCompleted, and the new-person file becomes that person's file through it."""
    from textual.widgets import Static

    from screens.document import DocumentScreen
    from screens.messages import ServiceCompleted
    from screens.person import PersonScreen
    from screens.wizard import FieldRow, WizardScreen
    from tests.screens.driver import Clerk

    seen = []
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await sign_in(pilot)
        clerk = Clerk(pilot, fast=True)
        await clerk.press("f3", "ctrl+n")
        new_file = app.screen
        assert isinstance(new_file, PersonScreen) and new_file.person_id is None
        await clerk.press("1")
        assert isinstance(app.screen, WizardScreen)
        await clerk.fill([("id_number", "110105198803142125"), ("name", "阿依古丽·𠮷买提"), ("sex", "2"),
                          ("birth_date", "19880314"), ("ethnicity", "01"), ("household_address", "北京市朝阳区"),
                          ("current_address", "沈阳市和平区南京北街1号"), ("arrival_date", "0")])
        changed = {m.field_id for m in seen if isinstance(m, FieldRow.Changed)}
        assert {"id_number", "name", "current_address"} <= changed
        await clerk.press("f10", "f10")
        assert isinstance(app.screen, DocumentScreen)
        person_id = app.screen.person_id
        await clerk.press("escape")
        assert app.screen is new_file and new_file.person_id == person_id
        assert "阿依古丽·𠮷买提" in str(new_file.query_one("#person-identity", Static).render())
    completed = [m for m in seen if isinstance(m, ServiceCompleted)]
    assert completed and {m.person_id for m in completed} == {person_id}
    assert app.state.last_confirm_ms is not None and app.state.last_confirm_ms > 0
