"""The choices a form field offers (from the spec, the policy or reference data) and matching what a clerk typed."""

from __future__ import annotations

from counter.domain import ethnicity as ethnicity_data
from counter.domain import stats as stats_domain
from counter.domain.policy import Policy
from counter.domain.vocabulary import INDUSTRY_SECTIONS
from counter.forms.spec import FieldSpec, Option

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
    if src == "education":  # GB/T 4658-2006 top-level codes
        return tuple(Option(code, zh, en) for code, (zh, en) in stats_domain.EDUCATION_LEVELS.items())
    if src == "occupations":  # the district's short list of GB/T 4754 sections (policy)
        return tuple(Option(code, *INDUSTRY_SECTIONS[code]) for code in policy.occupations
                     if code in INDUSTRY_SECTIONS)
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
