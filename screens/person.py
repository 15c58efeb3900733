"""The person file: identity, current registration, permit, full history, and every service one key away.

Opening the file of a person on record is journaled (counter.services.clerks.open_record). A card of someone
not yet on file opens a new-person file: only services that register a person are offered.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from counter.domain import eligibility, ethnicity
from counter.domain.nationality import nationality_label
from counter.domain.policy import ServiceRefused
from counter.errors import CounterError
from counter.forms import spec as form_specs
from counter.i18n import N_, _, language
from counter.services import amendments, documents, engine, people, register
from counter.services.cards import card_prefill
from counter.services.cards import face_picture as card_face
from screens.base import LocalizedBindings, StatusBar
from screens.dialogs import ReasonDialog, SupervisorDialog
from screens.messages import PermitRechecked, ServiceCompleted

STATUS_TEXT = {"done": N_("done"), "requested": N_("requested"), "voided": N_("voided"),
               "corrected": N_("corrected")}
PERMIT_STATUS = people.PERMIT_STATUS_TEXT


def service_title(service: str, lang: str) -> str:
    cat = form_specs.catalogue()
    if service in cat.specs:
        return cat.specs[service].text(lang)
    return {"void": _("Void"), "correction": _("Correction"),
            "legacy_import": _("Imported from the previous system")}.get(service, service)


def service_bindings() -> list[Binding]:
    """One key per service, from the specs' menu_key (ids svc_<service>)."""
    cat = form_specs.catalogue()
    out = []
    names = sorted(set(cat.specs) | set(cat.errors))
    for sid in names:
        spec = cat.specs.get(sid)
        key = spec.menu_key if spec else ""
        if key:
            out.append(Binding(key, f"service('{sid}')", spec.title["en"], id=f"svc_{sid}", show=False,
                               tooltip=spec.title["en"]))
    return out


class PersonScreen(LocalizedBindings, Screen):
    BINDINGS = [
        Binding("r", "reprint", N_("Reprint"), id="history_reprint", tooltip=N_("Reprint the selected entry's document")),
        Binding("v", "void", N_("Void"), id="history_void", tooltip=N_("Void the selected entry (supervisor PIN)")),
        Binding("x", "correct", N_("Correct"), id="history_correct",
                tooltip=N_("Correct the selected entry (supervisor PIN)")),
        Binding("escape", "back", N_("Back"), id="person_back", tooltip=N_("Back")),
        *service_bindings(),
    ]

    def __init__(self, person_id: str | None = None, *, card=None, pending_service: str | None = None):
        super().__init__()
        self.person_id = person_id
        self.card = card
        self.card_values = card_prefill(card) if card is not None else {}
        self.pending_service = pending_service
        self.file: people.PersonFile | None = None
        self.awaiting_new_person = False  # a new-person file becomes the person's file once registered
        self.completed_person: str | None = None  # the person of the service just completed (ServiceCompleted)
        self.lang = language()
        self.recheck_note = ""  # the last re-check of an adopted permit, when it had something to say

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="person-top"):
            picture = card_face(self.card) if self.card is not None else None
            if picture is not None:
                from screens.face import FaceView

                yield FaceView(picture, id="person-face")
            yield Static("", id="person-identity")
            yield Static("", id="person-services")
        yield Static("", id="person-periods")
        yield Static(_("History"), classes="title")
        yield DataTable(id="person-history", cursor_type="row", zebra_stripes=True)
        yield StatusBar(id="status-bar")
        yield Footer()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # reprint, void and correct act on a history row: hidden from the footer while there is none
        if action in ("reprint", "void", "correct"):
            return self.file is not None and bool(self.file.history)
        return True

    def on_mount(self) -> None:
        table = self.query_one("#person-history", DataTable)
        table.add_columns(_("Seq"), _("Day"), _("Service"), _("Number"), _("Status"), _("Note"))
        if self.person_id:
            self.file = people.open_file(self.app.station, self.app.state.session, self.person_id)
        self.render_file()
        self._start_recheck()
        if self.pending_service:
            service, self.pending_service = self.pending_service, None
            self.action_service(service)

    def _start_recheck(self) -> None:
        """An adopted permit is re-checked with HQ in the background, so a service on it seldom waits."""
        station = self.app.station
        if self.file is None or self.file.permit is None or not register.hq_configured(station):
            return
        if register.adopted_from(station, self.file.person.person_id) is None:
            return
        session = self.app.state.session
        self.recheck_permit(self.file.permit, session.clerk.clerk_id if session else None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="recheck")
    def recheck_permit(self, permit: people.Permit, clerk_id: str | None) -> None:
        station = self.app.station
        try:
            check = register.recheck_permit(station, permit.permit_id, clerk_id=clerk_id)
        except CounterError as exc:
            self.post_message(PermitRechecked(permit.permit_id, exc.localized(_), offline=True))
            return
        register.remember_recheck(station, permit.permit_id, check)
        refusal = register.overtaken(station, permit, check)
        if refusal is not None:
            self.post_message(PermitRechecked(permit.permit_id, refusal.localized(_)))
        elif check.conflict:
            self.post_message(PermitRechecked(permit.permit_id, _("HQ holds an open conflict on this permit (two"
                                                                    " windows acted on it): ask a supervisor")))
        elif not check.online:
            self.post_message(PermitRechecked(permit.permit_id, _("HQ offline: the permit was not re-checked;"
                                                                    " working on local data"), offline=True))
        else:
            self.post_message(PermitRechecked(permit.permit_id))

    def on_permit_rechecked(self, message: PermitRechecked) -> None:
        self.recheck_note = message.warning
        self.render_file()
        if message.warning and not message.offline:
            self.notify(message.warning, severity="warning", timeout=10)

    def on_service_completed(self, message: ServiceCompleted) -> None:
        self.completed_person = message.person_id

    def on_screen_resume(self) -> None:
        new_person = self.completed_person
        if self.person_id is None and self.awaiting_new_person and new_person:
            # the new person was just registered: this is now their file
            self.person_id = new_person
            self.file = people.open_file(self.app.station, self.app.state.session, new_person)
        elif self.person_id:
            # the file is already open: refresh without journaling a second opening
            self.file = people.PersonFile(people.get(self.app.station, self.person_id),
                                          people.current_permit(self.app.station, self.person_id),
                                          people.history(self.app.station, self.person_id))
        self.render_file()

    # --- rendering --------------------------------------------------------------------------

    def _card_lines(self) -> list[str]:
        """The card just read: its validity (expired shown as such) and, for SAM cards, the photo note."""
        from counter.services.cards import card_validity

        if self.card is None:
            return []
        state, until = card_validity(self.card, self.app.station.business_day())
        lines = []
        if state == "long_term":
            lines.append(f"{_('valid until')} {_('long-term')}")
        elif until:
            lines.append(f"{_('valid until')} {until}" + (f"  [b red]{_('expired')}[/b red]" if state == "expired" else ""))
        if self.card.face_format == "wlt":
            lines.append(_("The photo needs the vendor's decoder"))
        return lines

    def _open_to_new_person(self, services: tuple[str, ...] | None = None) -> tuple[str, str]:
        """(the keys and names of what the eligibility rules give this person, the reason when nothing):
        a local resident has nothing to register (art. 8), a foreigner has 'h', a lodger 2."""
        cat = form_specs.catalogue()
        if services is None:
            services = tuple(s.id for s in cat.specs.values() if s.person == "any")
        ordered = sorted((s for s in services if s in cat.specs),
                         key=lambda s: "1234567890caethn".find(cat.specs[s].menu_key))
        allowed, refusal = engine.eligible_services(self.app.station, self.card_values or None, ordered)
        keys = " · ".join(f"{cat.specs[s].menu_key} {cat.specs[s].text(self.lang)}" for s in allowed)
        return keys, (refusal.localized(_) if refusal is not None and not allowed else "")

    def _new_person_hint(self) -> str:
        keys, reason = self._open_to_new_person()
        if keys:
            return _("Not on file. This person may: {services}").format(services=keys)
        return _("Not on file: {reason}").format(reason=reason)

    def _identity_lines(self) -> list[str]:
        if self.file is None:
            v = self.card_values
            if not v:
                return [f"[b]{_('New person')}[/b]", self._new_person_hint()]
            return [f"[b]{v.get('name', '')}[/b]  ({_('not on file')})  {nationality_label(v.get('nationality'), self.lang)}",
                    f"{_('Document')}: {v.get('id_number', '')}",
                    f"{_('Date of birth')}: {v.get('birth_date', '')}",
                    self._new_person_hint()]
        p = self.file.person
        eth = ethnicity.by_code(p.ethnicity) if p.ethnicity else None
        sex = {"M": _("male"), "F": _("female")}.get(p.sex or "", "")
        lines = [f"[b]{p.name}[/b]  {sex}  {eth.label(self.lang) if eth else ''}  {nationality_label(p.nationality, self.lang)}",
                 f"{_('Document')}: {p.id_number}",
                 f"{_('Date of birth')}: {p.birth_date or ''}",
                 f"{_('Household address')}: {p.household_address or ''}",
                 f"{_('Current address')}: {p.current_address or ''}",
                 f"{_('Phone')}: {p.phone or ''}   {_('Employer')}: {p.employer or ''}"]
        if p.registration_number:
            kind = {"residence": _("residence"), "lodging": _("lodging"),
                    "accommodation": _("accommodation")}.get(p.registration_kind, p.registration_kind)
            lines.append(f"{_('Registration')}: {kind} · {_('since')} {p.resident_since} · {p.registration_number}")
        else:
            lines.append(f"{_('Registration')}: {_('none')}")
        permit = self.file.permit
        if permit:
            status = _(PERMIT_STATUS.get(permit.status, permit.status))
            lines.append(f"{_('Residence permit')}: {status} · {_('valid until')} {permit.valid_until}"
                         + (f" · {_('collect from')} {permit.collection_date}" if permit.status == "accepted" else "")
                         + (f" · {permit.card_number}" if permit.card_number else ""))
        else:
            lines.append(f"{_('Residence permit')}: {_('none')}")
        source = register.adopted_from(self.app.station, p.person_id)
        if source is not None:
            lines.append(_("File from window {station} (district register)").format(station=source))
        if self.recheck_note:
            lines.append(f"[b yellow]{self.recheck_note}[/b yellow]")
        return lines

    def _period_lines(self) -> list[str]:
        """Residence periods: where, from, until, and through whom (window or reporter), newest first."""
        from counter.services import houses

        if self.file is None:
            return []
        periods = houses.periods(self.app.station, self.file.person.person_id)
        if not periods:
            return []
        lines = [f"[b]{_('Residence periods')}[/b]"]
        for p in periods[:6]:
            until = p.ended_on or _("now")
            reason = _(houses.PERIOD_END.get(p.end_reason, p.end_reason)) if p.end_reason else ""
            where = p.address + (f" ({p.house_code})" if p.house_code else "")
            late = f" · {_('late')}" if p.late else ""
            lines.append(f"{p.started_on} → {until}{f' {reason}' if reason else ''} · {where}"
                         f" · {self._through(p)}{late}")
        if len(periods) > 6:
            lines.append(_("and {n} earlier").format(n=len(periods) - 6))
        return lines

    def _through(self, period) -> str:
        from counter.services import houses

        return houses.through(self.app.station, period)

    def render_file(self) -> None:
        self.query_one("#person-identity", Static).update("\n".join(self._identity_lines() + self._card_lines()))
        periods = self.query_one("#person-periods", Static)
        lines = self._period_lines()
        periods.update("\n".join(lines))
        periods.display = bool(lines)
        cat = form_specs.catalogue()
        menu = [f"[b]{_('Services')}[/b]"]
        # the registrations and the permit this person's origin rules out are dimmed, as the others are
        # until the person is on file
        ruled = tuple(s for s in (*eligibility.REGISTRATIONS, *eligibility.PERMIT_SERVICES) if s in cat.specs)
        identity = self.file.person if self.file is not None else (self.card_values or None)
        allowed, _refusal = engine.eligible_services(self.app.station, identity, ruled)
        for spec in sorted(cat.specs.values(), key=lambda s: ("1234567890caethnd".find(s.menu_key), s.id)):
            usable = (self.file is not None or spec.person == "any") and (spec.id not in ruled or spec.id in allowed)
            text = f"{spec.menu_key}  {spec.text(self.lang)}"
            menu.append(text if usable else f"[dim]{text}[/dim]")
        for sid in cat.errors:
            menu.append(f"[dim]-  {sid}: {_('unavailable')}[/dim]")
        self.query_one("#person-services", Static).update("\n".join(menu))
        table = self.query_one("#person-history", DataTable)
        table.clear()
        self.refresh_bindings()
        if self.file is None:
            return
        for h in self.file.history:
            note = []
            if h.late_days:
                note.append(_("late by {days} days").format(days=h.late_days))
            if h.ref_seq:
                note.append(f"→ {h.ref_seq}")
            table.add_row(str(h.seq), h.business_day, service_title(h.service, self.lang), h.number or "",
                          _(STATUS_TEXT.get(h.status, h.status)), " ".join(note), key=str(h.seq))
        # what other windows did on an adopted file: shown, not selectable for void/correct here
        for r in register.remote_history(self.app.station, self.file.person.person_id):
            table.add_row(f"{r['station_id']}#{r['seq']}", r["business_day"], service_title(r["service"], self.lang),
                          r["number"] or "", _(STATUS_TEXT.get(r["status"], r["status"])),
                          _("at window {station}").format(station=r["station_id"]),
                          key=f"remote:{r['station_id']}:{r['seq']}")

    # --- actions ----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def on_unmount(self) -> None:
        # the card's data, its face included, is kept only while this file is open
        self.card = None

    def action_service(self, service: str) -> None:
        cat = form_specs.catalogue()
        if service in cat.errors:
            self.notify(_("This service is unavailable: {error}").format(error=str(cat.errors[service])),
                        severity="error", timeout=8)
            return
        spec = cat.specs[service]
        if self.file is None and spec.person != "any":
            keys, reason = self._open_to_new_person(eligibility.REGISTRATIONS)
            self.notify(_("Register the person first ({services})").format(services=keys) if keys else reason,
                        severity="warning", timeout=8)
            return
        try:
            # refused whatever the form says (no permit to extend, card not ready...): say so now
            engine.precheck(self.app.station, service, self.file.person if self.file else None,
                            identity=self.card_values or None)
        except ServiceRefused as exc:
            keys = " / ".join(f"{cat.specs[s].menu_key} {cat.specs[s].text(self.lang)}"
                              for s in exc.offers if s in cat.specs)
            offer = _("offered instead: {services}").format(services=keys) if keys else ""
            self.notify(f"{exc.localized(_)}" + (f" ({offer})" if offer else ""), severity="warning", timeout=10)
            return
        except CounterError as exc:
            self.notify(exc.localized(_), severity="warning", timeout=8)
            return
        from screens.wizard import WizardScreen

        self.completed_person = None
        self.awaiting_new_person = self.file is None
        self.app.push_screen(WizardScreen(spec, person=self.file.person if self.file else None, card=self.card,
                                          card_values=self.card_values))

    def _selected_seq(self) -> int | None:
        table = self.query_one("#person-history", DataTable)
        if self.file is None or table.row_count == 0:
            return None
        row = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        if not str(row.value).isdigit():
            return None  # another window's entry: voided or corrected only there
        return int(row.value)

    def action_reprint(self) -> None:
        seq = self._selected_seq()
        if seq is None:
            return
        from screens.document import DocumentScreen

        try:
            copy = documents.reprint(self.app.station, seq, self.app.state.session.clerk.clerk_id)
        except CounterError as exc:
            self.notify(exc.localized(_), severity="error")
            return
        self.app.push_screen(DocumentScreen(copy, seq=seq, person_id=self.person_id))

    def _amendable(self, seq: int | None) -> bool:
        if seq is None:
            return False
        try:
            amendments.check_amendable(self.app.station, seq)
        except CounterError as exc:
            self.notify(exc.localized(_), severity="error", timeout=8)
            return False
        return True

    def action_void(self) -> None:
        seq = self._selected_seq()
        if not self._amendable(seq):
            return

        def with_reason(answer) -> None:
            if not answer:
                return

            def approved(supervisor) -> None:
                if supervisor is None:
                    return
                self._amend(lambda: amendments.void(self.app.station, seq, answer["reason"],
                                                    clerk=self.app.state.session.clerk, supervisor=supervisor))

            self.app.push_screen(SupervisorDialog("void", f"{title}: {answer['reason']}\n{taken_back}"), approved)

        # the clerk and the person know an entry by its receipt number, not the journal's seq
        title = _("Void receipt {number}").format(number=amendments.receipt_number(self.app.station, seq))
        # the supervisor sees what the void takes back, as a correction shows old -> new
        service, recorded = amendments.void_shown(self.app.station, seq)
        cat = form_specs.catalogue()
        spec = cat.specs.get(service)
        shown = "；".join(f"{spec.fields[fid].text(self.lang) if spec else fid} {value}" for fid, value in recorded[:4])
        taken_back = _("Takes back {service}: {values}").format(
            service=service_title(service, self.lang), values=shown or "—")
        self.app.push_screen(ReasonDialog(title, _("Reason")), with_reason)

    def action_correct(self) -> None:
        seq = self._selected_seq()
        if not self._amendable(seq):
            return
        fields = (("current_address", _("Current address")), ("phone", _("Phone")), ("employer", _("Employer")))

        def with_reason(answer) -> None:
            if not answer:
                return
            changes = {k: answer[k] for k, _label in fields if answer.get(k, "").strip()}
            try:
                amendments.check_correction(changes, answer.get("reason", ""))
            except CounterError as exc:
                # a wrong phone number or nothing to correct: say so before the supervisor comes over
                self.notify(exc.localized(_), severity="error", timeout=8)
                return

            def approved(supervisor) -> None:
                if supervisor is None:
                    return
                self._amend(lambda: amendments.correct(self.app.station, seq, changes, answer["reason"],
                                                       clerk=self.app.state.session.clerk, supervisor=supervisor))

            # the supervisor approves what changes: each field old -> new
            shown = "; ".join(f"{dict(fields)[k]}: {old or '—'} → {new or '—'}"
                              for k, old, new in amendments.changes_shown(self.app.station, seq, changes))
            self.app.push_screen(SupervisorDialog("correct", f"{title}: {shown}"), approved)

        title = _("Correct receipt {number}").format(number=amendments.receipt_number(self.app.station, seq))
        self.app.push_screen(ReasonDialog(title, _("Reason"), fields), with_reason)

    def _amend(self, do) -> None:
        try:
            result = do()
        except CounterError as exc:
            self.notify(exc.localized(_), severity="error", timeout=8)
            return
        from screens.document import DocumentScreen

        self.app.push_screen(DocumentScreen(result.document, seq=result.entry.seq, person_id=self.person_id))
