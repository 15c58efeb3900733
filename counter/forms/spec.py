"""Form specs as data: templates/forms/<service>.toml, loaded and checked at start.

A spec that fails to load (TOML syntax or structure) is reported with its file and line;
the app still starts and that service is shown as unavailable. Every journal entry made
with a spec records its id, version and sha256 (of the file bytes).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from counter.domain.language import pick

FIELD_TYPES = ("text", "name", "id_number", "date", "choice", "phone", "district", "address", "ethnicity",
               "years", "passport_number", "nationality", "time")
VALIDATORS = ("birth_date", "not_future", "after", "matches_id", "proof")
OPTION_SOURCES = ("ethnicities", "sex", "doc_types", "validity_years", "proofs", "yes_no", "education",
                  "occupations")
COMPLETIONS = ("addresses", "employers")
PREFILL_ROOTS = ("card", "person", "permit", "today", "policy")
DOCUMENTS = ("receipt", "certificate", "request")
PERSON_MODES = ("any", "existing")

_LINE_COL = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class Option:
    value: str
    zh: str
    en: str

    def label(self, lang: str) -> str:
        return pick({"zh": self.zh, "en": self.en}, lang)


@dataclass(frozen=True)
class FieldSpec:
    id: str
    label: dict[str, str]
    type: str
    required: bool = True
    validators: tuple[str, ...] = ()
    options: str | tuple[Option, ...] | None = None
    prefill: str | None = None
    default: str | None = None
    help: dict[str, str] = field(default_factory=dict)
    required_when: str | None = None  # "other_field=value"
    identity: bool = False  # part of the person's identity: locked once the person is on file
    max_length: int = 120
    complete: str | None = None  # completion from values on file: addresses | employers

    def text(self, lang: str) -> str:
        return _pick(self.label, lang)

    def help_text(self, lang: str) -> str:
        return _pick(self.help, lang) if self.help else ""


@dataclass(frozen=True)
class StepSpec:
    id: str
    title: dict[str, str]
    fields: tuple[str, ...]


@dataclass(frozen=True)
class FormSpec:
    id: str
    version: str
    sha256: str
    path: str
    title: dict[str, str]
    group: str
    menu_key: str
    person: str
    document: str
    document_title: dict[str, str]
    supervisor: bool
    steps: tuple[StepSpec, ...]
    fields: dict[str, FieldSpec]
    review_fields: tuple[str, ...]
    review_note: dict[str, str]

    def text(self, lang: str) -> str:
        return _pick(self.title, lang)

    @property
    def identity_fields(self) -> tuple[str, ...]:
        """The fields marked `identity = true`: the person's identity, locked once the person is on file
        and recorded in the person's own entry, not in the service's."""
        return tuple(fid for fid, f in self.fields.items() if f.identity)

    @property
    def ref(self) -> dict[str, str]:
        """What a journal entry records about the spec that produced it."""
        return {"id": self.id, "version": self.version, "sha256": self.sha256}


@dataclass(frozen=True)
class SpecError:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class SpecInvalid(Exception):
    def __init__(self, error: SpecError):
        super().__init__(str(error))
        self.error = error


def _pick(texts: dict[str, str], lang: str) -> str:
    return pick(texts, lang)


def _line_of(text: str, needle: str) -> int | None:
    for n, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return n
    return None


def _labels(raw: Any, where: str, fail) -> dict[str, str]:
    if not isinstance(raw, dict) or not isinstance(raw.get("zh"), str) or not isinstance(raw.get("en"), str):
        fail(f"{where} needs zh and en text")
    return {"zh": raw["zh"], "en": raw["en"]}


def parse_spec(data: bytes, path: str) -> FormSpec:
    """Parse and check one spec; raise SpecInvalid naming the file, line and field."""
    text = data.decode("utf-8", errors="replace")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _LINE_COL.search(str(exc))
        raise SpecInvalid(SpecError(path, int(m.group(1)) if m else None, str(exc))) from None

    def fail(message: str, needle: str | None = None):
        raise SpecInvalid(SpecError(path, _line_of(text, needle) if needle else None, message))

    for key in ("id", "version", "title", "steps", "fields", "document"):
        if key not in raw:
            fail(f"missing top-level key '{key}'")
    fields: dict[str, FieldSpec] = {}
    raw_fields = raw["fields"]
    if not isinstance(raw_fields, list) or not raw_fields:
        fail("'fields' must be a non-empty array of tables ([[fields]])", "fields")
    for f in raw_fields:
        fid = f.get("id")
        if not isinstance(fid, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", fid):
            fail(f"a field has a missing or invalid id ({fid!r})", "[[fields]]")
        needle = f'id = "{fid}"'

        def ffail(msg: str, fid: str = fid, needle: str = needle):
            fail(f"field '{fid}': {msg}", needle)

        if fid in fields:
            ffail("duplicate field id")
        unknown = set(f) - {"id", "label", "type", "required", "validators", "options", "prefill", "default",
                            "help", "required_when", "identity", "max_length", "complete"}
        if unknown:
            ffail(f"unknown key(s) {', '.join(sorted(unknown))}")
        if f.get("type") not in FIELD_TYPES:
            ffail(f"unknown type {f.get('type')!r}; one of {', '.join(FIELD_TYPES)}")
        for v in f.get("validators", []):
            if v.split(":")[0] not in VALIDATORS:
                ffail(f"unknown validator {v!r}")
        options = f.get("options")
        if f["type"] == "choice" and options is None:
            ffail("a choice field needs options")
        if isinstance(options, str):
            if options not in OPTION_SOURCES:
                ffail(f"unknown options source {options!r}")
        elif isinstance(options, list):
            try:
                options = tuple(Option(str(o["value"]), o["zh"], o["en"]) for o in options)
            except (KeyError, TypeError):
                ffail("each option needs value, zh and en")
        elif options is not None:
            ffail("options must be a source name or a list")
        if f.get("complete") not in (None, *COMPLETIONS):
            ffail(f"unknown completion source {f.get('complete')!r}; one of {', '.join(COMPLETIONS)}")
        prefill = f.get("prefill")
        if prefill is not None and prefill.split(".")[0] not in PREFILL_ROOTS:
            ffail(f"prefill {prefill!r} must start with one of {', '.join(PREFILL_ROOTS)}")
        fields[fid] = FieldSpec(
            id=fid,
            label=_labels(f.get("label"), f"field '{fid}' label", lambda m, n=needle: fail(m, n)),
            type=f["type"],
            required=bool(f.get("required", True)),
            validators=tuple(f.get("validators", [])),
            options=options,
            prefill=prefill,
            default=None if f.get("default") is None else str(f["default"]),
            help=_labels(f["help"], f"field '{fid}' help", lambda m, n=needle: fail(m, n)) if "help" in f else {},
            required_when=f.get("required_when"),
            identity=bool(f.get("identity", False)),
            max_length=int(f.get("max_length", 120)),
            complete=f.get("complete") or ("addresses" if f["type"] == "address" else None),
        )
    steps = []
    for s in raw["steps"]:
        sid = s.get("id", "?")
        for fid in s.get("fields", []):
            if fid not in fields:
                fail(f"step '{sid}' lists unknown field '{fid}'", f'"{fid}"')
        steps.append(StepSpec(sid, _labels(s.get("title"), f"step '{sid}' title", fail), tuple(s.get("fields", []))))
    if not steps:
        fail("a form needs at least one step")
    review = raw.get("review", {})
    review_fields = tuple(review.get("fields", [f for s in steps for f in s.fields]))
    for fid in review_fields:
        if fid not in fields:
            fail(f"review lists unknown field '{fid}'", f'"{fid}"')
    if raw["document"] not in DOCUMENTS:
        fail(f"document must be one of {', '.join(DOCUMENTS)}", "document")
    person = raw.get("person", "existing")
    if person not in PERSON_MODES:
        fail(f"person must be one of {', '.join(PERSON_MODES)}", "person")
    for f in fields.values():
        for v in f.validators:
            if v.startswith("after:") and v.split(":", 1)[1] not in fields:
                fail(f"field '{f.id}': validator {v!r} names an unknown field", f'id = "{f.id}"')
    return FormSpec(
        id=raw["id"],
        version=str(raw["version"]),
        sha256=hashlib.sha256(data).hexdigest(),
        path=path,
        title=_labels(raw["title"], "title", fail),
        group=raw.get("group", "other"),
        menu_key=str(raw.get("menu_key", "")),
        person=person,
        document=raw["document"],
        document_title=_labels(raw.get("document_title", raw["title"]), "document_title", fail),
        supervisor=bool(raw.get("supervisor", False)),
        steps=tuple(steps),
        fields=fields,
        review_fields=review_fields,
        review_note=_labels(review["note"], "review note", fail) if "note" in review else {},
    )


@dataclass
class Catalogue:
    specs: dict[str, FormSpec]
    errors: dict[str, SpecError]  # service id (file stem) -> why it is unavailable

    def get(self, service: str) -> FormSpec:
        if service in self.specs:
            return self.specs[service]
        if service in self.errors:
            from counter.errors import CounterError

            raise CounterError("service {service} is unavailable: {error}", service=service,
                               error=str(self.errors[service]))
        from counter.errors import CounterError

        raise CounterError("unknown service {service}", service=service)


def load_catalogue(directory: Path | None = None) -> Catalogue:
    """Every templates/forms/*.toml; a bad file is reported, the rest still load."""
    base = directory if directory is not None else resources.files("templates") / "forms"
    specs, errors = {}, {}
    for item in sorted(base.iterdir(), key=lambda i: i.name):
        if not item.name.endswith(".toml") or item.name.startswith("_"):
            continue
        stem = item.name[:-5]
        path = f"templates/forms/{item.name}" if directory is None else str(item)
        try:
            spec = parse_spec(item.read_bytes(), path)
            if spec.id != stem:
                raise SpecInvalid(SpecError(path, 1, f"id {spec.id!r} must match the file name {stem!r}"))
            specs[stem] = spec
        except SpecInvalid as exc:
            errors[stem] = exc.error
    return Catalogue(specs, errors)


@cache
def catalogue() -> Catalogue:
    return load_catalogue()


def historical_spec(form_id: str, version: str) -> FormSpec | None:
    """The spec a journal entry names, when it is no longer the current one (templates/forms/history)."""
    current = catalogue().specs.get(form_id)
    if current is not None and current.version == version:
        return current
    item = resources.files("templates") / "forms" / "history" / f"{form_id}@{version}.toml"
    if not item.is_file():
        return None
    return parse_spec(item.read_bytes(), f"templates/forms/history/{form_id}@{version}.toml")
