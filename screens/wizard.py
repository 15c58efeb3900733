"""The form wizard: a spec's steps, prefilled from the card or the person file, inline validation,
a review page, then confirm. Keyboard-first: Enter moves on, F10 reviews and confirms."""

from __future__ import annotations

import time
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.suggester import Suggester, SuggestFromList
from textual.widgets import Footer, Header, Input, Label, Static

from counter.domain.language import is_chinese, pick
from counter.domain.policy import ServiceRefused
from counter.errors import CounterError, ValidationError
from counter.forms import spec as form_specs
from counter.forms.clean import (
    Context,
    FormInvalid,
    clean,
    clean_field,
    derived_from_id,
    field_error,
    is_required,
)
from counter.forms.options import match_option, options_for
from counter.forms.spec import FormSpec
from counter.i18n import N_, _, language
from counter.services import documents, engine, houses, people
from screens.base import LocalizedBindings
from screens.dialogs import HelpDialog, SupervisorDialog
from screens.messages import ServiceCompleted

REVIEW = "review"


class AddressSuggester(Suggester):
    """Completes an address (or an employer) from those already on file: by prefix, else by any part of it (type the street
    and number, "太原街8", and → takes "沈阳市和平区太原街8号"). Most used addresses first."""

    def __init__(self, addresses: list[str], houses: list[tuple[str, str]] | None = None):
        super().__init__(use_cache=True, case_sensitive=True)
        self.houses = houses or []  # (house code, address) of the house register: the address picker
        self.house_at = {address: code for code, address in self.houses}
        self.addresses = list(dict.fromkeys([a for _c, a in self.houses] + addresses))

    def pick_house(self, value: str) -> str | None:
        """A known house by its code: the whole code, its last digits (the plate's number) or its start."""
        code = "".join(value.split()).upper()
        if len(code) < 2:
            return None
        for test in (str.__eq__, str.endswith, str.startswith):
            for house_code, address in self.houses:
                if test(house_code, code):
                    return address
        return None

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        picked = self.pick_house(value)
        if picked is not None:
            return picked
        for address in self.addresses:
            if address.startswith(value):
                return address
        for address in self.addresses:
            if value in address:
                return address
        return None


class FieldRow(Vertical):
    """One form field: its label, input, hint and error line. It reports its input's events as its own
    messages, FieldRow.Changed / Submitted / Blurred, carrying the field's id."""

    DEFAULT_CSS = """
    FieldRow { height: auto; margin-bottom: 1; }
    FieldRow .field-error { display: none; }
    FieldRow .field-error.-shown { display: block; }
    FieldRow > Horizontal { height: auto; }
    FieldRow Label { width: 22; padding: 0 1 0 0; text-align: right; }
    FieldRow Input { width: 1fr; height: 1; border: none; padding: 0 1; background: $boost; }
    FieldRow Input:focus { background: $accent 25%; border: none; }
    FieldRow Input:disabled { background: $surface; color: $text-muted; }
    FieldRow Input.-invalid-field { background: $error 20%; border: none; }
    FieldRow Input.-inside-match > .input--suggestion { color: $boost; }
    FieldRow .field-hint { width: 34; padding: 0 0 0 1; color: $text-muted; }
    FieldRow .field-error { padding: 0 0 0 23; color: $error; height: auto; }
    """

    @dataclass
    class _RowMessage(Message):
        """What every FieldRow message carries: the row, its field id and the input's value."""

        row: FieldRow
        field_id: str
        value: str

        @property
        def control(self) -> FieldRow:
            return self.row

    class Changed(_RowMessage):
        pass

    class Submitted(_RowMessage):
        pass

    class Blurred(_RowMessage):
        pass

    def __init__(self, field_id: str, label: str, value: str, *, hint: str = "", suggester: Suggester | None = None,
                 max_length: int | None = None, disabled: bool = False, tooltip: str | None = None):
        super().__init__(id=f"row-{field_id}")
        self.field_id = field_id
        self.label_text = label
        self.initial_value = value
        self.initial_hint = hint
        self.input_options = {"suggester": suggester, "max_length": max_length, "disabled": disabled,
                              "tooltip": tooltip}

    def compose(self) -> ComposeResult:
        fid = self.field_id
        with Horizontal():
            yield Label(self.label_text, id=f"l-{fid}")
            yield Input(value=self.initial_value, id=f"f-{fid}", **self.input_options)
            yield Static(self.initial_hint, id=f"h-{fid}", classes="field-hint")
        yield Static("", id=f"e-{fid}", classes="field-error")

    @property
    def input(self) -> Input:
        return self.query_one(f"#f-{self.field_id}", Input)

    @property
    def value(self) -> str:
        return self.input.value

    def set_hint(self, text: str) -> None:
        self.query_one(f"#h-{self.field_id}", Static).update(text)

    def show_error(self, text: str | None) -> None:
        """The field's error (or none): the line under the field, and the input marked."""
        error = self.query_one(f"#e-{self.field_id}", Static)
        error.update(text or "")
        error.set_class(text is not None, "-shown")
        self.input.set_class(text is not None, "-invalid-field")

    def clear_error_line(self) -> None:
        """Typing hides the error line; the input stays marked until the field is checked again."""
        error = self.query_one(f"#e-{self.field_id}", Static)
        error.update("")
        error.remove_class("-shown")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self, self.field_id, event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(self, self.field_id, event.value))

    def on_input_blurred(self, event: Input.Blurred) -> None:
        event.stop()
        self.post_message(self.Blurred(self, self.field_id, event.value))


class WizardScreen(LocalizedBindings, Screen):
    BINDINGS = [
        Binding("f10", "review_or_confirm", N_("Review / confirm"), id="review_confirm",
                tooltip=N_("Check every field and show the review page; on the review page, confirm")),
        Binding("pagedown", "next_step", N_("Next step"), id="next_step", tooltip=N_("Next step")),
        Binding("pageup", "prev_step", N_("Previous step"), id="prev_step", tooltip=N_("Previous step")),
        Binding("f1", "field_help", N_("Help"), id="field_help", tooltip=N_("Help for the focused field")),
        Binding("escape", "back", N_("Back"), id="wizard_back",
                tooltip=N_("Leave the review page, or cancel the form")),
    ]

    def __init__(self, spec: FormSpec, *, person: people.Person | None = None, card=None,
                 card_values: dict | None = None):
        super().__init__()
        self.spec = spec
        self.person = person
        self.card = card
        self.lang = language()
        self.values = {}
        self.card_values = card_values or {}
        self.step_index = 0
        self.on_review = False
        self.confirming = False

    # --- building -----------------------------------------------------------------------

    @property
    def station(self):
        return self.app.station

    def _locked(self, fid: str) -> bool:
        f = self.spec.fields[fid]
        return self.person is not None and f.identity and getattr(self.person, fid, None) is not None

    def compose(self) -> ComposeResult:
        policy = engine.policy_of(self.station)
        initial = engine.prefill(self.spec, card=self.card_values, person=self.person, policy=policy)
        completions: dict[str, list[str]] = {}
        yield Header()
        who = self.person.name if self.person else (self.card_values.get("name") or _("new person"))
        yield Static(f"{self.spec.text(self.lang)} · {who}", id="wizard-title", classes="title")
        yield Static("", id="wizard-steps", classes="hint")
        with VerticalScroll(id="wizard-body"):
            for step in self.spec.steps:
                with Vertical(id=f"step-{step.id}", classes="wizard-step"):
                    for fid in step.fields:
                        f = self.spec.fields[fid]
                        suggester = None
                        if f.complete:
                            if f.complete not in completions:
                                completions[f.complete] = (people.known_addresses(self.station)
                                                           if f.complete == "addresses"
                                                           else people.known_employers(self.station))
                            suggester = AddressSuggester(completions[f.complete],
                                                         houses.known_houses(self.station)
                                                         if f.complete == "addresses" else None)
                        elif f.type in ("choice", "years"):
                            opts = options_for(f, policy)
                            suggester = SuggestFromList([o.label(self.lang) for o in opts], case_sensitive=False)
                        shown = initial.get(fid, "")
                        if f.type == "choice":
                            # the option's label in the UI language (what a clerk types), not its
                            # internal code ("citizen_id", "M", "work")
                            found = match_option(shown, options_for(f, policy))
                            shown = found.label(self.lang) if found else shown
                        yield FieldRow(fid, self._label(fid, initial), shown, hint=self._hint(fid, shown),
                                       suggester=suggester, max_length=f.max_length, disabled=self._locked(fid),
                                       tooltip=f.help_text(self.lang) or None)
            with Vertical(id="step-review", classes="wizard-step"):
                yield Static("", id="review-table")
                yield Static("", id="review-note", classes="hint")
                yield Static(_("F10 or Enter: confirm and record · Esc: back to the form"), classes="hint")
        yield Static("", id="wizard-error", classes="error")
        yield Footer()

    def _label(self, fid: str, raw: dict[str, str]) -> str:
        """The field's label, with * when the rules make it required for what the form holds now
        (民族 and 户籍地址 only for a citizen ID)."""
        f = self.spec.fields[fid]
        return f"{f.text(self.lang)}{' *' if is_required(f, raw, engine.policy_of(self.station)) else ''}"

    def _refresh_required_marks(self) -> None:
        raw = self._raw()
        for fid in self.spec.fields:
            self.query_one(f"#l-{fid}", Label).update(self._label(fid, raw))

    def on_mount(self) -> None:
        self.auto_values: dict[str, str] = {}  # what the ID number filled in, per field
        for row in self.query(FieldRow):
            if isinstance(row.input.suggester, AddressSuggester):
                self.watch(row.input, "_suggestion", self._completion_watcher(row), init=False)
        self.initial_raw = self._raw()
        self.discard_armed = False
        self._show_step(self._first_step_needing_input())
        self._focus_first_needing_input()

    # --- steps --------------------------------------------------------------------------

    def _row(self, fid: str) -> FieldRow:
        return self.query_one(f"#row-{fid}", FieldRow)

    def _raw(self) -> dict[str, str]:
        return {fid: self._row(fid).value for fid in self.spec.fields}

    def _ctx(self) -> Context:
        return Context(engine.event_date(self.station), engine.policy_of(self.station))

    def _field_error(self, fid: str, raw: dict[str, str] | None = None) -> ValidationError | None:
        return field_error(self.spec, fid, raw or self._raw(), self._ctx())

    def _fill_from_id_number(self) -> None:
        """A valid citizen ID number fills sex, birth date and the household area (three levels) where
        they are empty or still hold what it filled before; a value the clerk typed that differs is
        shown wrong at its field at once."""
        raw = self._raw()
        derived = derived_from_id(raw, self._ctx())
        if not derived:
            return
        policy = engine.policy_of(self.station)
        wanted = {}
        if "sex" in self.spec.fields:
            found = match_option(derived["sex"], options_for(self.spec.fields["sex"], policy))
            wanted["sex"] = found.label(self.lang) if found else derived["sex"]
        wanted["birth_date"] = derived["birth_date"]
        wanted["household_address"] = derived["household_area"]
        for fid, value in wanted.items():
            if fid not in self.spec.fields or self._locked(fid):
                continue
            row = self._row(fid)
            current = row.value.strip()
            if not current or current == self.auto_values.get(fid):
                self.auto_values[fid] = value
                if current != value:
                    row.input.value = value
                    row.set_hint(self._hint(fid, value))
                row.show_error(None)
            elif fid != "household_address":
                self._show_error(fid, self._field_error(fid, raw))

    def _first_step_needing_input(self) -> int:
        raw = self._raw()
        for i, step in enumerate(self.spec.steps):
            if any(not self._locked(f) and self._field_error(f, raw) for f in step.fields):
                return i
        return len(self.spec.steps) - 1

    def _editable(self, step_index: int) -> list[str]:
        return [f for f in self.spec.steps[step_index].fields if not self._locked(f)]

    def _focus_first_needing_input(self) -> None:
        raw = self._raw()
        editable = self._editable(self.step_index)
        for fid in editable:
            if self._field_error(fid, raw):
                self._row(fid).input.focus()
                return
        if editable:
            self._row(editable[0]).input.focus()

    def _show_step(self, index: int) -> None:
        self.on_review = False
        self.step_index = index
        for i, step in enumerate(self.spec.steps):
            self.query_one(f"#step-{step.id}").display = i == index
        self.query_one("#step-review").display = False
        labels = []
        for i, step in enumerate(self.spec.steps):
            text = f"{i + 1}. {pick(step.title, self.lang)}"
            labels.append(f"[b]{text}[/b]" if i == index else text)
        labels.append(_("Review"))
        self.query_one("#wizard-steps", Static).update("  ›  ".join(labels))

    def action_next_step(self) -> None:
        if self.on_review:
            return
        if self.step_index + 1 < len(self.spec.steps):
            self._show_step(self.step_index + 1)
            self._focus_first_needing_input()
        else:
            self.action_review_or_confirm()

    def action_prev_step(self) -> None:
        if self.on_review:
            self._show_step(len(self.spec.steps) - 1)
            self._focus_first_needing_input()
        elif self.step_index > 0:
            self._show_step(self.step_index - 1)
            self._focus_first_needing_input()

    def has_unsaved_input(self) -> bool:
        """The clerk typed something that is not recorded yet (a form as it opened loses nothing)."""
        return not self.confirming and hasattr(self, "initial_raw") and self._raw() != self.initial_raw

    def action_back(self) -> None:
        if self.on_review:
            self.action_prev_step()
        elif self._raw() != self.initial_raw and not self.discard_armed:
            # one stray Esc must not throw away what the clerk typed: a second one does
            self.discard_armed = True
            self.notify(_("Press Esc again to discard this form"), severity="warning", timeout=4)
        else:
            self.dismiss(None)

    # --- fields -------------------------------------------------------------------------

    def _hint(self, fid: str, text: str) -> str:
        f = self.spec.fields[fid]
        if f.type == "address" and text:
            suggester = self._row(fid).input.suggester if self.is_mounted else None
            code = suggester.house_at.get(text.strip()) if isinstance(suggester, AddressSuggester) else None
            if code:
                return _("✓ house {code}").format(code=code)
        if f.type in ("choice", "years"):
            opts = options_for(f, engine.policy_of(self.station))
            found = match_option(text, opts)
            if found:
                return f"✓ {found.label(self.lang)}"
            return " ".join(f"{i}={o.label(self.lang)}" for i, o in enumerate(opts, 1))
        if f.type == "ethnicity":
            from counter.domain.ethnicity import parse_ethnicity

            try:
                return f"✓ {parse_ethnicity(text).label(self.lang)}"
            except ValidationError:
                return "01=" + pick({"zh": "汉族", "en": "Han"}, self.lang)
        if f.type == "nationality" and text.strip():
            from counter.domain.fields import check_nationality
            from counter.domain.nationality import nationality_name

            try:
                code = check_nationality(text)
            except ValidationError:
                return ""
            name = nationality_name(code, self.lang)
            return f"✓ {name}" if name != code else ""
        if f.type == "date" and text.strip().lstrip("-+").isdigit() and len(text.strip()) <= 4:
            try:
                value = clean_field(f, text, self._ctx(), {})
            except ValidationError:
                return ""
            return f"✓ {value}" if value else ""
        return ""

    def _completion_watcher(self, row: FieldRow):
        def watcher(suggestion: str) -> None:
            self._show_completion(row, suggestion)

        return watcher

    def _show_completion(self, row: FieldRow, suggestion: str) -> None:
        """A completion found inside an address (not at its start) is shown whole in the hint; → takes it."""
        inside = bool(suggestion) and not suggestion.startswith(row.value)
        row.input.set_class(inside, "-inside-match")
        house = row.input.suggester.house_at.get(suggestion) if suggestion else None
        if house:
            row.set_hint(_("→ {address} (house {code})").format(address=suggestion, code=house))
        else:
            row.set_hint(f"→ {suggestion}" if inside else "")

    def _show_error(self, fid: str, exc: ValidationError | None) -> None:
        self._row(fid).show_error(exc.localized(_) if exc else None)

    def on_field_row_changed(self, event: FieldRow.Changed) -> None:
        self.discard_armed = False
        hint = self._hint(event.field_id, event.value)
        event.row.set_hint(hint)
        suggestion = getattr(event.row.input, "_suggestion", "")
        if not hint and suggestion and isinstance(event.row.input.suggester, AddressSuggester):
            self._show_completion(event.row, suggestion)  # the completion arrived before this change's message
        event.row.clear_error_line()
        if event.field_id in ("doc_type", "id_number"):
            self._fill_from_id_number()
        if event.field_id == "doc_type":
            self._refresh_required_marks()

    def on_field_row_blurred(self, event: FieldRow.Blurred) -> None:
        """Leaving a filled field checks it at once; an empty required field waits for review."""
        if event.value.strip() and not self.on_review:
            self._show_error(event.field_id, self._field_error(event.field_id))

    def on_field_row_submitted(self, event: FieldRow.Submitted) -> None:
        event.stop()
        if self.on_review:
            self.action_review_or_confirm()
            return
        fid = event.field_id
        exc = self._field_error(fid)
        self._show_error(fid, exc)
        if exc:
            return
        editable = self._editable(self.step_index)
        position = editable.index(fid) if fid in editable else len(editable)
        if position + 1 < len(editable):
            self._row(editable[position + 1]).input.focus()
        else:
            self.action_next_step()

    def action_field_help(self) -> None:
        focused = self.focused
        row = next((r for r in self.query(FieldRow) if r.input is focused), None)
        f = self.spec.fields.get(row.field_id) if row is not None else None
        if f is None:
            self.app.push_screen(HelpDialog(self.spec.text(self.lang),
                                            _("Enter: next field · PgDn/PgUp: steps · F10: review and confirm")))
            return
        self.app.push_screen(HelpDialog(f.text(self.lang), f.help_text(self.lang) or _("No help for this field")))

    # --- review and confirm -----------------------------------------------------------------

    def _mark_errors(self, errors: dict[str, ValidationError]) -> None:
        for fid in self.spec.fields:
            self._show_error(fid, errors.get(fid))
        first = next(iter(errors))
        for i, step in enumerate(self.spec.steps):
            if first in step.fields:
                self._show_step(i)
                break
        self._row(first).input.focus()

    def action_review_or_confirm(self) -> None:
        if self.on_review:
            self.confirm()
            return
        raw = self._raw()
        try:
            values = clean(self.spec, raw, self._ctx())
        except FormInvalid as exc:
            self._mark_errors(exc.errors)
            self.query_one("#wizard-error", Static).update(_("Some fields need attention"))
            return
        try:
            preview = engine.check(self.station, self.spec.id, raw,
                                   person_id=self.person.person_id if self.person else None)
        except (FormInvalid, ValidationError) as exc:
            self._refused(exc)
            return
        except CounterError as exc:
            self.query_one("#wizard-error", Static).update(exc.localized(_))
            return
        self.query_one("#wizard-error", Static).update("")
        self.values = values
        rows = []
        width = max(len(self.spec.fields[f].text(self.lang)) for f in self.spec.review_fields) + 2
        for fid in self.spec.review_fields:
            if fid in values:
                label = self.spec.fields[fid].text(self.lang)
                shown = documents.display_value(self.spec, fid, values[fid], self.lang)
                rows.append(f"{label:\u3000<{width}} {shown}" if is_chinese(self.lang)
                            else f"{label:<{width}} {shown}")
        rows += self._preview_lines(preview)
        self.query_one("#review-table", Static).update("\n".join(rows))
        note = pick(self.spec.review_note, self.lang)
        self.query_one("#review-note", Static).update(self._with_policy(note))
        for step in self.spec.steps:
            self.query_one(f"#step-{step.id}").display = False
        self.query_one("#step-review").display = True
        self.on_review = True
        self.query_one("#wizard-steps", Static).update(f"[b]{_('Review')}[/b]")
        self.set_focus(None)

    def _with_policy(self, text: str) -> str:
        """A spec's note names policy values as {extension_window_days}: the station's, not a number in the text."""
        from dataclasses import asdict

        try:
            return text.format_map(asdict(engine.policy_of(self.station)))
        except (KeyError, ValueError, IndexError):
            return text

    def _preview_lines(self, preview: engine.Preview) -> list[str]:
        """What the confirm will record that the fields do not show: old -> new expiry, lateness."""
        lines = []
        derived = preview.derived
        if derived.get("previous_valid_until") and derived.get("valid_until"):
            lines.append(_("Valid until: {old} → {new}").format(old=derived["previous_valid_until"],
                                                                 new=derived["valid_until"]))
        elif derived.get("valid_until") and self.spec.id == "permit_apply":
            lines.append(_("Valid until: {new}").format(new=derived["valid_until"]))
        if preview.late_days:
            text = _("LATE by {days} days (deadline {deadline}): accepted and flagged").format(
                days=preview.late_days, deadline=derived.get("deadline", "—"))
            lines.append(f"[b $warning]⚠ {text}[/]")
        return [""] + lines if lines else []

    def on_key(self, event) -> None:
        if self.on_review and event.key == "enter":
            event.stop()
            self.confirm()

    def confirm(self) -> None:
        if self.confirming:
            return
        if self.spec.supervisor:
            try:
                # what would be refused anyway is said before the supervisor walks over
                engine.check(self.station, self.spec.id, self._raw(),
                             person_id=self.person.person_id if self.person else None)
            except (FormInvalid, ValidationError) as exc:
                self._refused(exc)
                return
            self.app.push_screen(SupervisorDialog(f"service:{self.spec.id}", _("This service needs a supervisor's approval")),
                                 self._confirmed_with)
            return
        self._confirmed_with(None)

    def _refused(self, exc: ValidationError) -> None:
        if isinstance(exc, FormInvalid):
            self._mark_errors(exc.errors)
            return
        if exc.field in self.spec.fields:
            self._mark_errors({exc.field: exc})
        self.query_one("#wizard-error", Static).update(exc.localized(_))

    def _confirmed_with(self, supervisor) -> None:
        if self.spec.supervisor and supervisor is None:
            return
        self.confirming = True
        started = time.perf_counter()
        raw = self._raw()
        source = "manual"
        if self.card is not None:
            from counter.services.cards import source_of

            source = source_of(self.card)
        try:
            outcome = engine.perform(
                self.station, self.spec.id, raw, person_id=self.person.person_id if self.person else None,
                clerk=self.app.state.session.clerk if self.app.state.session else None, supervisor=supervisor, source=source,
                ticket=self.app.state.ticket or None)
        except ServiceRefused as exc:
            self.confirming = False
            keys = " / ".join(f"{form_specs.catalogue().get(s).menu_key} {form_specs.catalogue().get(s).text(self.lang)}"
                              for s in exc.offers if s in form_specs.catalogue().specs)
            offer = _("offered instead: {services}").format(services=keys) if keys else ""
            self.app.notify(f"{exc.localized(_)}" + (f" ({offer})" if offer else ""), severity="warning", timeout=10)
            self.dismiss(None)
            return
        except (FormInvalid, ValidationError) as exc:
            self.confirming = False
            self._refused(exc)
            return
        except CounterError as exc:
            self.confirming = False
            self.query_one("#wizard-error", Static).update(exc.localized(_))
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        # to the App, which tells the screens below (this one is replaced at once)
        self.app.post_message(ServiceCompleted(outcome.person_id, outcome.entry.seq, elapsed_ms))
        from screens.document import DocumentScreen

        self.app.switch_screen(DocumentScreen(outcome.document, seq=outcome.entry.seq, person_id=outcome.person_id,
                                              ready_ms=elapsed_ms))
