"""The services a clerk can do, one registry derived from the form specs (templates/forms/*.toml).

A service's id, its labels in zh and en, its menu key, group and the document it issues are the form
spec's: the day report, the export summary, the receipt and the menu all read them here, so a district
that renames a service in its form renames it everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from counter.domain.language import pick


@dataclass(frozen=True)
class Service:
    id: str
    title: dict[str, str]  # {"zh": ..., "en": ...}
    group: str  # registration, permit, certificate, change
    menu_key: str
    document: str  # receipt, certificate, request
    supervisor: bool  # needs a supervisor's PIN

    def label(self, lang: str = "zh_CN") -> str:
        return pick(self.title, lang)

    @property
    def issues_certificate(self) -> bool:
        return self.document == "certificate"


@cache
def services() -> dict[str, Service]:
    """Every service whose form spec loads, by id, in the specs' order."""
    from counter.forms import spec as forms

    return {sid: Service(sid, dict(spec.title), spec.group, spec.menu_key, spec.document, spec.supervisor)
            for sid, spec in forms.catalogue().specs.items()}


def label(service: str, lang: str = "zh_CN") -> str:
    """The service's name in lang; its id when no form spec defines it (an old entry's, or a test page)."""
    found = services().get(service)
    return found.label(lang) if found else service


def certificate_services() -> tuple[str, ...]:
    return tuple(sid for sid, s in services().items() if s.issues_certificate)
