"""Documents of finished services: a Receipt or a Certificate (printing/documents.py), built from the
journal entry, so a reprint is the same document rebuilt with a copy number."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from counter.domain import ethnicity
from counter.domain.language import pick
from counter.forms import spec as form_specs
from counter.forms.options import options_for
from counter.forms.spec import FormSpec
from counter.services import people
from counter.services.printing import sign_verification
from db import journal, kinds
from db.projectors import core as core_reads
from printing.documents import Certificate, Receipt

ENTITLEMENTS = (
    "按规定参加社会保险，享受相关待遇",
    "申请公共租赁住房",
    "在居住地申领机动车驾驶证、办理车辆登记",
    "随迁子女在居住地接受教育",
    "申请法律援助",
    "在居住地办理出入境证件、证明等",
)
SERVICE_TITLES_ZH = {"void": "作废凭证", "correction": "更正凭证"}
# the fields a correction may change (amendments.CORRECTABLE), as the printed receipt names them
CORRECTED_FIELD_LABELS_ZH = {"current_address": "现居住地址", "household_address": "户籍地址",
                             "phone": "联系电话", "employer": "工作单位"}


def _clerk_name(station, clerk_id: str | None) -> str:
    if not clerk_id:
        return ""
    return core_reads.clerk_name(station.db, clerk_id) or clerk_id


def _local(station, entry: journal.Entry) -> datetime:
    t = datetime.strptime(entry.device_time_utc, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=ZoneInfo("UTC"))
    return t.astimezone(ZoneInfo(station.config.timezone))


def display_value(spec: FormSpec, fid: str, value: str, lang: str = "zh_CN") -> str:
    """A stored value as a person reads it: option labels, ethnicity names."""
    f = spec.fields.get(fid)
    if f is None or value is None:
        return "" if value is None else str(value)
    if f.type == "ethnicity":
        e = ethnicity.by_code(value)
        if e is None:
            return value
        return pick({"zh": f"{e.label(lang)}（{value}）", "en": f"{e.label(lang)} ({value})"}, lang)
    if f.type == "nationality":
        from counter.domain.nationality import nationality_label

        return nationality_label(value, lang)
    if f.type in ("choice", "years"):
        from counter.domain.policy import Policy

        opts = options_for(f, Policy(permit_validity_years=(1, 2, 3, 4, 5)))
        for o in opts:
            if o.value == value:
                return o.label(lang)
    return str(value)


def from_entry(station, entry: journal.Entry, copy_number: int = 0):
    d = entry.data
    if entry.kind in (kinds.SERVICE_VOIDED, kinds.SERVICE_CORRECTED):
        return _amendment_receipt(station, entry, d, copy_number)
    spec = form_specs.catalogue().get(d["service"])
    if spec.document == "certificate":
        return _certificate(station, entry, d, spec, copy_number)
    return _receipt(station, entry, d, spec, copy_number)


def _receipt(station, entry, d, spec, copy_number) -> Receipt:
    v, x = d["values"], d["derived"]
    lines: list[tuple[str, str]] = [("业务", spec.title["zh"])]
    for fid in spec.review_fields:
        if fid in v and fid not in ("phone",):
            lines.append((spec.fields[fid].label["zh"], display_value(spec, fid, v[fid])))
    if "valid_until" in x:
        lines.append(("有效期至", x["valid_until"]))
    if x.get("cancelled_card"):
        lines.append(("原卡号（已注销）", x["cancelled_card"]))
    if x.get("card_number"):
        lines.append(("居住证卡号", x["card_number"]))
    if d.get("old_name"):
        lines.append(("原姓名", d["old_name"]))
    if x.get("late_hours"):  # the foreigner's 24-hour deadline counts hours
        lines.append(("逾期", f"超过申报期限 {x['late_hours']} 小时（已受理）"))
    elif d.get("late_days"):
        lines.append(("逾期", f"超过申报期限 {d['late_days']} 天（已受理）"))
    if x.get("optional"):
        lines.append(("说明", "未满 16 周岁或在校学生，可不申领，本人自愿申领"))
    next_steps = ""
    if x.get("collection_date"):
        next_steps = f"请于 {x['collection_date']} 起凭本回执到本窗口领取居住证"
    elif spec.document == "request":
        next_steps = "本窗口仅登记申请，核实后另行通知出具证明"
    return Receipt(
        service=d["service"],
        service_name=pick(spec.title, "zh_CN"),  # receipts are printed in Chinese
        title=spec.document_title["zh"],
        office=station.config.office,
        station_id=station.station_id,
        clerk_name=_clerk_name(station, entry.clerk_id),
        issued_at=_local(station, entry).strftime("%Y-%m-%d %H:%M"),
        applicant_name=d["name"],
        masked_id=d["masked_id"],
        number=d["number"],
        lines=lines,
        next_steps=next_steps,
        collection_date=x.get("collection_date"),
        fee=station.config.policy["fee"],
        fee_note="免费" if station.config.policy["fee"] in ("0", "0.00", "") else "",
        entitlements=list(ENTITLEMENTS) if d["service"] == "permit_apply" else [],
        verification=sign_verification(station, d["service"], d["number"], d["masked_id"],
                                          _local(station, entry).strftime("%Y-%m-%d")),
        copy_number=copy_number,
    )


def _certificate(station, entry, d, spec, copy_number) -> Certificate:
    person = people.get(station, d["person_id"])
    x = d["derived"]
    issued = _local(station, entry)
    sex = {"M": "男，", "F": "女，"}.get(person.sex or "", "")
    who = f"{d['name']}（{sex}证件号码{person.id_number}）"
    if d["service"] == "residence_certificate":
        title = "居住证明"
        body = [f"兹证明{who}自{x.get('resident_since') or '—'}起居住于{x.get('address') or '—'}，"
                "已在本辖区办理居住登记。"]
        for item in x.get("earlier_addresses") or []:
            body.append(f"此前居住于{item['address']}（自{item['since']}起）。")
        body.append("特此证明。")
    else:
        title = "生存证明"
        body = [f"兹证明{who}于{issued:%Y年%m月%d日}本人到{station.config.office}现场办理，经核验证件，"
                "本人健在。", "特此证明。"]
    purpose = d["values"].get("purpose")
    if purpose:
        body.insert(1, f"用途：{purpose}")
    return Certificate(
        kind=d["service"],
        title=title,
        number=d["number"],
        subject_name=d["name"],
        subject_id_number=person.id_number,
        subject_sex={"M": "男", "F": "女"}.get(person.sex or "", ""),
        subject_birth_date=person.birth_date or "",
        body=body,
        office=station.config.office,
        station_id=station.station_id,
        issue_date=issued.strftime("%Y-%m-%d"),
        valid_until=None,
        verification=sign_verification(station, d["service"], d["number"], d["masked_id"],
                                          issued.strftime("%Y-%m-%d")),
        copy_number=copy_number,
    )


def _amendment_receipt(station, entry, d, copy_number) -> Receipt:
    """A void or correction receipt: the original receipt's number, the approving supervisor and each
    changed field old -> new. No fee line: nothing is charged or refunded."""
    voided = entry.kind == kinds.SERVICE_VOIDED
    ref = journal.get(station.db, d["ref_seq"])
    ref_service = ref.data.get("service") if ref is not None else None
    spec = form_specs.catalogue().specs.get(ref_service or "")
    lines = [("业务", SERVICE_TITLES_ZH["void" if voided else "correction"]),
             ("原回执编号", d.get("ref_number") or "")]
    if spec is not None:
        lines.append(("原业务", spec.title["zh"]))
    lines.append(("原因", d.get("reason", "")))
    previous = d.get("previous") or {}
    for k, val in (d.get("changes") or {}).items():
        # an emptied field (an employer left) reads 无, never "None"
        new = "无" if val in (None, "") else str(val)
        if k in previous:
            old = "无" if previous[k] in (None, "") else str(previous[k])
            lines.append((CORRECTED_FIELD_LABELS_ZH.get(k, k), f"{old} → {new}"))
        else:
            lines.append((f"{CORRECTED_FIELD_LABELS_ZH.get(k, k)}更正为", new))
    lines.append(("批准主管", _clerk_name(station, d.get("supervisor_id"))))
    return Receipt(
        service="void" if voided else "correction",
        title=SERVICE_TITLES_ZH["void" if voided else "correction"],
        office=station.config.office, station_id=station.station_id,
        clerk_name=_clerk_name(station, entry.clerk_id),
        issued_at=_local(station, entry).strftime("%Y-%m-%d %H:%M"),
        applicant_name=d["name"], masked_id=d["masked_id"], number=d["number"], lines=lines,
        fee=None, fee_note="",
        verification=sign_verification(station, "void" if voided else "correction", d["number"],
                                          d["masked_id"], _local(station, entry).strftime("%Y-%m-%d")),
        copy_number=copy_number,
    )


def next_copy_number(station, seq: int) -> int:
    return journal.count_of_kind(station.db, kinds.DOCUMENT_REPRINTED, payload_field="ref_seq", equals=seq) + 1


def reprint(station, seq: int, clerk_id: str | None = None):
    """A numbered copy of the document of entry `seq`; the reprint itself is journaled."""
    entry = journal.get(station.db, seq)
    if entry is None or not (entry.kind.startswith(kinds.SERVICE_PREFIX)):
        from counter.errors import CounterError

        raise CounterError("entry {seq} has no document to reprint", seq=seq)
    copy_number = next_copy_number(station, seq)
    document = replace(from_entry(station, entry), copy_number=copy_number)
    station.record(kinds.DOCUMENT_REPRINTED, {"ref_seq": seq, "ref_hash": entry.hash, "number": document.number,
                                          "copy_number": copy_number}, clerk_id=clerk_id)
    return document


# Chinese line breaking (禁则): these never start a line
NO_LINE_START = set("，。、；：？！）》」』】〕…—·,.;:?!)]}%")


def _cells(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap_cjk(text: str, width: int) -> list[str]:
    """Wrap mixed Chinese text by display cells: break between Chinese characters, keep numbers whole."""
    import re

    tokens = re.findall(r"[\x21-\x7e]+|\s|.", text)
    lines: list[str] = []
    line: list[str] = []
    for token in tokens:
        if _cells("".join(line) + token) > width and line:
            carried: list[str] = []
            # 禁则: closing punctuation never starts a line; the word before it (and any punctuation
            # between) goes down with it
            while (carried[0] if carried else token) in NO_LINE_START and len(line) > 1 \
                    and not line[-1].isspace():
                carried.insert(0, line.pop())
            lines.append("".join(line).rstrip())
            line = carried + ([token.lstrip()] if token.strip() else [])
        else:
            line.append(token)
    line = "".join(line)
    if line:
        lines.append(line)
    return lines


def as_text(document, lang: str = "zh_CN", width: int | None = None) -> str:
    """The document as plain text, for the on-screen preview (wrapped to `width` cells if given)."""
    out: list[str] = []
    if isinstance(document, Certificate):
        out += [document.title.center(30), "", f"编号：{document.number}", ""]
        out += [f"  {p}" for p in document.body]
        out += ["", f"{document.office}", f"{document.issue_date}"]
    else:
        out += [document.office, document.title, "", f"编号：{document.number}",
                f"申请人：{document.applicant_name}", f"证件号码：{document.masked_id}"]
        out += [f"{label}：{value}" for label, value in document.lines]
        if document.fee is not None:
            out.append(f"费用：{document.fee} {document.fee_note}".rstrip())
        if document.next_steps:
            out.append(document.next_steps)
        if document.entitlements:
            out.append("持证可享受：")
            out += [f"  · {e}" for e in document.entitlements]
        out += ["", f"经办：{document.clerk_name}  {document.issued_at}  {document.station_id}"]
    if document.copy_number:
        out.insert(0, f"【副本 {document.copy_number} / COPY】")
    if width:
        out = [wrapped for line in out for wrapped in (wrap_cjk(line, width) or [""])]
    return "\n".join(out)
