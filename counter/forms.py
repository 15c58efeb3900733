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
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from counter.domain import ethnicity as ethnicity_data
from counter.domain import fields as rules
from counter.domain.citizen_id import parse_citizen_id
from counter.domain.names import check_name
from counter.domain.policy import Policy, check_proof, check_validity_years
from counter.errors import ValidationError

FIELD_TYPES = ("text", "name", "id_number", "date", "choice", "phone", "district", "address", "ethnicity",
               "years", "passport_number", "nationality", "time")
VALIDATORS = ("birth_date", "not_future", "after", "matches_id", "proof")
OPTION_SOURCES = ("ethnicities", "sex", "doc_types", "validity_years", "proofs", "yes_no")
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
        return self.zh if lang.startswith("zh") else self.en


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
    return texts.get("zh" if lang.startswith("zh") else "en") or next(iter(texts.values()), "")


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


# --- options ------------------------------------------------------------------------------

PROOF_LABELS = {
    "rental_contract": ("房屋租赁合同", "Rental contract"),
    "property_certificate": ("房屋产权证明", "Property certificate"),
    "employer_certificate": ("单位就业证明", "Employer's certificate"),
    "school_certificate": ("学校就读证明", "School certificate"),
}


DOC_TYPE_OPTIONS = (Option("citizen_id", "居民身份证", "Citizen ID"), Option("passport", "护照", "Passport"))


def options_for(spec: FieldSpec, policy: Policy) -> tuple[Option, ...]:
    src = spec.options
    if src is None:
        return ()
    if isinstance(src, tuple):
        return src
    if src == "ethnicities":
        return tuple(Option(e.code, e.zh, e.en) for e in ethnicity_data.ethnicities())
    if src == "sex":
        return (Option("M", "男", "Male"), Option("F", "女", "Female"))
    if src == "doc_types":
        return DOC_TYPE_OPTIONS
    if src == "yes_no":
        return (Option("no", "否", "No"), Option("yes", "是", "Yes"))
    if src == "validity_years":
        return tuple(Option(str(y), f"{y} 年", f"{y} year{'s' if y > 1 else ''}") for y in policy.permit_validity_years)
    if src == "proofs":
        return tuple(Option(p, *PROOF_LABELS.get(p, (p, p))) for p in policy.accepted_proofs)
    return ()


def match_option(text: str, options: tuple[Option, ...]) -> Option | None:
    """An option by its 1-based position, value or label (what a clerk would type)."""
    t = (text or "").strip()
    if not t:
        return None
    if t.isdigit() and 1 <= int(t) <= len(options) and not any(o.value == t for o in options):
        return options[int(t) - 1]
    for o in options:
        if t == o.value or t == o.zh or t.lower() == o.en.lower():
            return o
    return None


# --- cleaning a filled form ------------------------------------------------------------------


class FormInvalid(ValidationError):
    """One or more fields are wrong; `errors` maps field id to its ValidationError."""

    def __init__(self, errors: dict[str, ValidationError]):
        first_field, first = next(iter(errors.items()))
        super().__init__(first.template, field=first_field, **first.params)
        self.errors = errors


@dataclass(frozen=True)
class Context:
    today: date
    policy: Policy


def _raw_choice(raw: dict[str, str], fid: str) -> str:
    """Another field's raw text as its option value: a clerk types "1" or "居民身份证" for citizen_id.
    Only doc_type is referenced across fields (required_when, the ID number rules)."""
    t = (raw.get(fid) or "").strip()
    if fid == "doc_type":
        found = match_option(t or "citizen_id", DOC_TYPE_OPTIONS)
        return found.value if found else t
    return t


def is_required(spec: FieldSpec, raw: dict[str, str]) -> bool:
    if spec.required_when:
        other, _, value = spec.required_when.partition("=")
        return _raw_choice(raw, other) == value
    return spec.required


def clean_field(spec: FieldSpec, text: str, ctx: Context, raw: dict[str, str] | None = None) -> str | None:
    """Validate one field; return its canonical text (None when empty and optional)."""
    raw = raw or {}
    t = (text or "").strip()
    if not t:
        if is_required(spec, raw):
            raise ValidationError("this field is required", field=spec.id)
        return None
    if len(t) > spec.max_length:
        raise ValidationError("at most {n} characters", field=spec.id, n=spec.max_length)
    fid = spec.id
    kind = spec.type
    value: str
    if kind == "name":
        value = check_name(t, field=fid).name
    elif kind == "id_number":
        if _raw_choice(raw, "doc_type") == "citizen_id":
            value = parse_citizen_id(t, today=ctx.today).number
        else:
            value = _passport_number(t, fid)
    elif kind == "passport_number":
        value = _passport_number(t, fid)
    elif kind == "date":
        d = rules.parse_date(t, ctx.today, field=fid)
        value = d.isoformat()
    elif kind == "time":
        value = rules.parse_time(t, field=fid)
    elif kind == "phone":
        value = rules.check_phone(t, field=fid)
    elif kind == "district":
        value = rules.check_district(t, field=fid)
    elif kind == "address":
        value = rules.check_address(t, field=fid)
    elif kind == "ethnicity":
        value = ethnicity_data.parse_ethnicity(t, field=fid).code
    elif kind == "nationality":
        value = rules.check_nationality(t, field=fid)
    elif kind == "choice" or kind == "years":
        opts = options_for(spec, ctx.policy)
        found = match_option(t, opts)
        if found is None:
            raise ValidationError("{value} is not one of the choices: {choices}", field=fid, value=t,
                                  choices=" ".join(f"{i}={o.value}" for i, o in enumerate(opts, 1)))
        value = found.value
        if kind == "years":
            check_validity_years(int(value), ctx.policy, field=fid)
    else:
        value = re.sub(r"\s+", " ", t)
    for v in spec.validators:
        name, _, arg = v.partition(":")
        if name == "birth_date":
            rules.check_birth_date(date.fromisoformat(value), ctx.today, field=fid)
        elif name == "not_future":
            rules.check_not_future(date.fromisoformat(value), ctx.today, field=fid)
        elif name == "proof":
            check_proof(value, ctx.policy, field=fid)
    return value


def _passport_number(t: str, fid: str) -> str:
    v = t.upper().replace(" ", "")
    if not re.fullmatch(r"[A-Z0-9<]{5,20}", v):
        raise ValidationError("a document number has 5 to 20 letters and digits", field=fid)
    return v.replace("<", "")


def clean(spec: FormSpec, raw: dict[str, str], ctx: Context, only: tuple[str, ...] | None = None) -> dict[str, str]:
    """Validate every field (or `only` some); raise FormInvalid with every field's reason at once."""
    values: dict[str, str] = {}
    errors: dict[str, ValidationError] = {}
    ids = only if only is not None else tuple(spec.fields)
    for fid in ids:
        f = spec.fields[fid]
        try:
            v = clean_field(f, raw.get(fid, ""), ctx, raw)
        except ValidationError as exc:
            exc.field = fid
            errors[fid] = exc
            continue
        if v is not None:
            values[fid] = v
    # cross-field rules, once both sides are valid
    for fid in ids:
        f = spec.fields[fid]
        if fid in errors or fid not in values:
            continue
        for v in f.validators:
            name, _, arg = v.partition(":")
            try:
                if name == "after" and arg in values:
                    rules.check_expiry(date.fromisoformat(values[arg]), date.fromisoformat(values[fid]), field=fid)
                elif name == "matches_id" and values.get("doc_type", "citizen_id") == "citizen_id" \
                        and "id_number" in values:
                    cid = parse_citizen_id(values["id_number"], today=ctx.today)
                    if f.type == "date" and values[fid] != cid.birth_date.isoformat():
                        raise ValidationError("birth date differs from the ID number ({date})", field=fid,
                                              date=cid.birth_date.isoformat())
                    if f.type == "choice" and values[fid] != cid.sex:
                        raise ValidationError("sex differs from the ID number", field=fid)
            except ValidationError as exc:
                errors[fid] = exc
    if errors:
        raise FormInvalid(errors)
    return values
