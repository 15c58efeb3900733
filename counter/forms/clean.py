"""Cleaning a filled form: each field's text checked and normalised by the domain rules, one error per field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from counter.domain import ethnicity as ethnicity_data
from counter.domain import fields as rules
from counter.domain.citizen_id import parse_citizen_id
from counter.domain.names import check_name
from counter.domain.policy import Policy, check_proof, check_validity_years
from counter.errors import ValidationError
from counter.forms.options import DOC_TYPE_OPTIONS, match_option, options_for
from counter.forms.spec import FieldSpec, FormSpec


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


def raw_choice(raw: dict[str, str], fid: str) -> str:
    """Another field's raw text as its option value: a clerk types "1" or "居民身份证" for citizen_id.
    Only doc_type is referenced across fields (required_when, the ID number rules)."""
    t = (raw.get(fid) or "").strip()
    if fid == "doc_type":
        found = match_option(t or "citizen_id", DOC_TYPE_OPTIONS)
        return found.value if found else t
    return t


def is_required(spec: FieldSpec, raw: dict[str, str], policy: Policy | None = None) -> bool:
    """Required by the spec, by another field's value, or by the district's policy (required_items)."""
    if policy is not None and spec.id in policy.required_items:
        return True
    if spec.required_when:
        other, _, value = spec.required_when.partition("=")
        return raw_choice(raw, other) == value
    return spec.required


def clean_field(spec: FieldSpec, text: str, ctx: Context, raw: dict[str, str] | None = None) -> str | None:
    """Validate one field; return its canonical text (None when empty and optional)."""
    raw = raw or {}
    t = (text or "").strip()
    if not t:
        if is_required(spec, raw, ctx.policy):
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
        if raw_choice(raw, "doc_type") == "citizen_id":
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
        if found is None and kind == "years":
            raise ValidationError("{value} is not a choice: the validity is {choices} years", field=fid, value=t,
                                  choices=", ".join(o.value for o in opts))
        if found is None:
            raise ValidationError("{value} is not a choice: type 1 to {n} as listed beside the field", field=fid,
                                  value=t, n=len(opts))
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


def field_error(spec: FormSpec, fid: str, raw: dict[str, str], ctx: Context) -> ValidationError | None:
    """One field's error as the form would give it, cross-field rules included (a birth date that
    differs from the ID number is wrong at the birth date, as soon as both are typed)."""
    related = {fid, "doc_type", "id_number"}
    related |= {v.partition(":")[2] for v in spec.fields[fid].validators if v.startswith("after:")}
    try:
        clean(spec, raw, ctx, only=tuple(f for f in spec.fields if f in related))
    except FormInvalid as exc:
        return exc.errors.get(fid)
    return None


def derived_from_id(raw: dict[str, str], ctx: Context) -> dict[str, str]:
    """What a valid citizen ID number tells (GB 11643): sex (odd order code = male), birth date, and the
    household area's full three-level name; {} for a passport or a number that is not valid yet."""
    if raw_choice(raw, "doc_type") != "citizen_id":
        return {}
    try:
        cid = parse_citizen_id(raw.get("id_number", ""), today=ctx.today)
    except ValidationError:
        return {}
    return {"sex": cid.sex, "birth_date": cid.birth_date.isoformat(), "household_area": cid.area.full_name}
