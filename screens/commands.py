"""The command palette (Ctrl+P): a screen-aware provider of services and actions."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from counter.forms import spec as form_specs
from counter.i18n import _, language


class CounterCommands(Provider):
    def _commands(self) -> list[tuple[str, object, str]]:
        from screens.home import HomeScreen
        from screens.person import PersonScreen
        from screens.wizard import WizardScreen

        app = self.app
        screen = self.screen
        out: list[tuple[str, object, str]] = []
        if app.state.session is None or app.locked:
            return out
        lang = language()
        if isinstance(screen, (PersonScreen, HomeScreen)):
            for spec in sorted(form_specs.catalogue().specs.values(), key=lambda s: ("1234567890caethnd".find(s.menu_key), s.id)):
                # as on the home menu; no "[key]": the palette reads titles as markup, "[a]" would vanish
                out.append((f"{spec.menu_key}  {spec.text(lang)}", partial(screen.action_service, spec.id),
                            _("Start this service")))
        if isinstance(screen, PersonScreen):
            out.append((_("Reprint"), screen.action_reprint, _("Reprint the selected entry's document")))
            out.append((_("Void"), screen.action_void, _("Void the selected entry (supervisor PIN)")))
            out.append((_("Correct"), screen.action_correct, _("Correct the selected entry (supervisor PIN)")))
        if isinstance(screen, WizardScreen):
            out.append((_("Review / confirm"), screen.action_review_or_confirm, _("F10")))
            out.append((_("Help"), screen.action_field_help, _("Help for the focused field")))
        if isinstance(screen, HomeScreen):
            out.append((_("Import report"), screen.action_report_import, "F8"))
        out.append((_("Find person"), app.action_find_person, "F3"))
        out.append((_("Home"), app.action_home, _("Back to the home screen")))
        if app.state.demo_cards:
            out.append((_("Insert a sample card (demo)"), app.action_demo_card, "F2"))
            out.append((_("Take the card away from the reader (demo)"), app.action_take_card, "F4"))
        out.append((_("Lock"), app.action_lock, "Ctrl+L"))
        out.append((_("Sign out"), app.action_sign_out, "Ctrl+O"))
        return out

    async def discover(self) -> Hits:
        for title, command, help_text in self._commands():
            yield DiscoveryHit(title, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, command, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, text=title, help=help_text)
