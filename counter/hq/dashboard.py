"""The HQ dashboard for district staff: server-rendered HTML (Jinja2) under /dash, no script, no CDN.

Separation from the station API: every /dash page needs a staff session cookie (counter/hq/staff.py)
and nothing else opens it (a station's signature does not); the station API under /v1 needs a
station signature, and a staff cookie opens nothing there. Every form carries the session's CSRF
token (the sign-in form a double-submit token), checked on POST. Every page view is audited.
Statistics shown here are suppressed under k like every export; no page shows a person.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from counter import stats as S
from counter.domain import stats as D
from counter.hq import charts, staff
from counter.hq import stats as hq_stats
from counter.hq.store import Store
from db import kinds

WEB = Path(__file__).parent / "web"
SESSION_COOKIE = "counter_dash"
LOGIN_CSRF_COOKIE = "counter_dash_login"
LANG_COOKIE = "counter_dash_lang"
TZ = ZoneInfo("Asia/Shanghai")
LAG_WARN = timedelta(hours=1)

# The dashboard's words: (zh_CN, en). zh_CN is the default.
WORDS: dict[str, tuple[str, str]] = {
    "app": ("区级实有人口服务管理 · 总部看板", "District population services · HQ dashboard"),
    "signin": ("登录", "Sign in"), "signout": ("退出", "Sign out"), "name": ("用户名", "Name"),
    "password": ("密码", "Password"), "bad": ("用户名或密码错误。", "Wrong name or password."),
    "locked": ("错误次数过多，账户已锁定 15 分钟，请稍后再试或联系管理员。",
               "Too many wrong passwords: the account is locked for 15 minutes. Try later or ask an admin."),
    "csrf": ("表单已过期，请重新提交。", "The form expired; please submit it again."),
    "health": ("工作站状态", "Station health"), "figures": ("今日与本周业务", "Today and this week"),
    "stats": ("统计", "Statistics"), "expiring": ("即将到期居住证", "Expiring permits"),
    "register": ("重复与冲突", "Duplicates and conflicts"), "audit": ("访问审计", "Audit"),
    "station": ("工作站", "Station"), "last_contact": ("最近联系", "Last contact"), "lag": ("延迟", "Lag"),
    "pending": ("待统计条目", "Entries not yet in statistics"), "quarantine": ("隔离", "Quarantine"),
    "clock": ("时钟偏差", "Clock offset"), "alarms": ("告警（24 小时）", "Alarms (24 h)"),
    "conflicts": ("冲突", "Conflicts"), "never": ("从未", "never"), "yes": ("是", "yes"), "no": ("否", "no"),
    "stations": ("工作站数", "Stations"), "late": ("超过 1 小时未联系", "Silent for over an hour"),
    "quarantined": ("已隔离", "Quarantined"), "today": ("今日", "Today"), "week": ("本周", "This week"),
    "service": ("业务", "Service"), "total": ("合计", "Total"),
    "from": ("起", "From"), "to": ("止", "To"), "by": ("维度", "By"), "show": ("显示", "Show"),
    "by_age": ("按年龄段", "By age band"), "by_education": ("按文化程度", "By education"),
    "by_origin": ("按来源地", "By origin"), "map": ("外省来源地（省份）", "Origin provinces (other provinces)"),
    "days": ("天内", "days"), "within": ("到期时间", "Expiring within"),
    "d7": ("7 天内", "7 days"), "d14": ("8–14 天", "8–14 days"), "d30": ("15–30 天", "15–30 days"),
    "expired": ("已过期未注销", "Expired, not cancelled"),
    "no_register": ("本总部尚未安装全区人口库（district register），待其上线后此处显示重复与冲突。",
                    "The district register is not installed on this HQ yet; duplicates and conflicts"
                    " appear here once it is."),
    "table": ("表", "Table"), "rows": ("条", "rows"), "at": ("时间", "Time"), "who": ("用户", "Who"),
    "what": ("操作", "Action"), "target": ("对象", "Target"), "client": ("来源地址", "Client"),
    "admin_only": ("仅管理员可查看。", "Admins only."), "lang": ("English", "中文"),
    "ops_note": ("业务笔数（非人数），来自各站已同步的日志。", "Transactions (not persons), from the journals received."),
    "exp_note": ("仅显示各站数量，不含个人信息；联系持证人在各站的到期名单中进行。",
                 "Counts per station only, no personal data; holders are contacted from each station's list."),
    "signed_in_as": ("当前用户", "Signed in as"),
}

SERVICE_NAMES = {
    "residence_registration": ("居住登记", "Residence registration"), "lodging_registration": ("寄住登记", "Lodging"),
    "permit_apply": ("居住证申领", "Permit: apply"), "permit_extend": ("居住证延期", "Permit: extend"),
    "permit_change": ("居住证变更", "Permit: change"), "permit_replace": ("居住证补换领", "Permit: replace"),
    "permit_cancel": ("居住证注销", "Permit: cancel"), "permit_collect": ("居住证领取", "Permit: collect"),
    "residence_certificate": ("居住证明", "Residence certificate"), "proof_of_life": ("生存证明", "Proof of life"),
    "criminal_record_request": ("无犯罪记录证明申请", "Criminal record request"),
    "change_address": ("地址变更", "Address change"), "change_employer": ("单位变更", "Employer change"),
    "change_phone": ("电话变更", "Phone change"), "name_correction": ("姓名更正", "Name correction"),
    "registration_end": ("注销居住登记", "End of registration"),
    "voided": ("作废", "Void"), "corrected": ("更正", "Correction"),
}

STATS_CHOICES = ("origin", "age", "education", "sex", "stay", "occupation", "housing", "reason", "station",
                 "week", "month", "origin,age", "education,age", "station,origin")


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(WEB / "templates")), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    return env


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


def _lang(request: Request) -> str:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh_CN"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


HEADERS = {
    # no script at all; styles, fonts and images only from HQ itself
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self';"
                               " form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def mount(app: FastAPI, store: Store) -> None:
    env = _env()

    def render(request: Request, template: str, session: staff.Session | None, status: int = 200, **ctx) -> HTMLResponse:
        lang = _lang(request)
        zh = lang == "zh_CN"

        def t(key: str) -> str:
            pair = WORDS.get(key)
            return key if pair is None else pair[0 if zh else 1]

        html = env.get_template(template).render(t=t, lang=lang, zh=zh, session=session,
                                                 csrf=session.csrf if session else "", page=template[:-5], **ctx)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def current(request: Request) -> staff.Session | None:
        return staff.session_of(store, request.cookies.get(SESSION_COOKIE))

    def to_login(request: Request) -> RedirectResponse:
        return RedirectResponse("/dash/login?" + urlencode({"next": request.url.path}), status_code=303,
                                headers=HEADERS)

    async def form_of(request: Request) -> dict[str, str]:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            return {}
        body = (await request.body())[:16384]
        try:
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            return {}
        return {k: v[0] for k, v in parsed.items()}

    def view(request: Request, session: staff.Session, target: str) -> None:
        with store.transaction() as tx:
            staff.audit(tx, session.staff.name, "view", target, _client(request))

    # --- sign-in ----------------------------------------------------------------------------

    @app.get("/dash", include_in_schema=False)
    @app.get("/dash/", include_in_schema=False)
    def home(request: Request):
        return RedirectResponse("/dash/health", status_code=303, headers=HEADERS)

    def login_page(request: Request, error: str = "", status: int = 200):
        token = secrets.token_urlsafe(24)
        nxt = request.query_params.get("next", "/dash/health")
        response = render(request, "login.html", None, status=status, error=error, login_csrf=token,
                          next=nxt if nxt.startswith("/dash/") else "/dash/health")
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/dash",
                            secure=_secure(request), max_age=1800)
        return response

    @app.get("/dash/login", include_in_schema=False)
    def login_form(request: Request):
        return login_page(request)

    @app.post("/dash/login", include_in_schema=False)
    async def login(request: Request):
        form = await form_of(request)
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(cookie, form.get("csrf", "")):
            return login_page(request, "csrf", 403)
        from starlette.concurrency import run_in_threadpool

        try:
            token, _session = await run_in_threadpool(staff.sign_in, store, form.get("name", ""),
                                                      form.get("password", ""), _client(request))
        except staff.SignInRefused as exc:
            return login_page(request, exc.reason, 423 if exc.reason == "locked" else 401)
        nxt = form.get("next", "/dash/health")
        response = RedirectResponse(nxt if nxt.startswith("/dash/") and "//" not in nxt else "/dash/health",
                                    status_code=303, headers=HEADERS)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path="/dash",
                            secure=_secure(request))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/dash")
        return response

    async def checked_post(request: Request) -> tuple[staff.Session | None, dict, Response | None]:
        session = current(request)
        if session is None:
            return None, {}, to_login(request)
        form = await form_of(request)
        if not hmac.compare_digest(session.csrf, form.get("csrf", "")):
            with store.transaction() as tx:
                staff.audit(tx, session.staff.name, "csrf.refused", request.url.path, _client(request))
            return session, form, render(request, "error.html", session, status=403, message="csrf")
        return session, form, None

    @app.post("/dash/logout", include_in_schema=False)
    async def logout(request: Request):
        session, _form, refused = await checked_post(request)
        if refused:
            return refused
        staff.sign_out(store, session, _client(request))
        response = RedirectResponse("/dash/login", status_code=303, headers=HEADERS)
        response.delete_cookie(SESSION_COOKIE, path="/dash")
        return response

    @app.post("/dash/lang", include_in_schema=False)
    async def switch_lang(request: Request):
        session, form, refused = await checked_post(request)
        if refused:
            return refused
        back = form.get("back", "/dash/health")
        response = RedirectResponse(back if back.startswith("/dash/") and "//" not in back else "/dash/health",
                                    status_code=303, headers=HEADERS)
        response.set_cookie(LANG_COOKIE, "en" if form.get("lang") == "en" else "zh_CN", samesite="strict",
                            path="/dash", secure=_secure(request), httponly=True)
        return response

    # --- pages -------------------------------------------------------------------------------

    @app.get("/dash/health", include_in_schema=False)
    def health_page(request: Request):
        session = current(request)
        if session is None:
            return to_login(request)
        view(request, session, "health")
        rows = station_health(store)
        now = datetime.now(UTC)
        summary = {"stations": len(rows), "quarantined": sum(1 for r in rows if r["quarantined"]),
                   "late": sum(1 for r in rows if r["last_contact"] is None or now - r["last_contact"] > LAG_WARN)}
        zh = _lang(request) == "zh_CN"
        never, yes, no = (WORDS[k][0 if zh else 1] for k in ("never", "yes", "no"))
        for r in rows:  # display text made here: the template only places it (500 rows render in a few ms)
            r["contact_text"] = r["last_contact"].strftime("%Y-%m-%d %H:%M:%S UTC") if r["last_contact"] else never
            r["lag_text"] = _fmt_lag(r["lag"])
            r["clock_text"] = "—" if r["clock"] is None else f"{r['clock']:+.1f} s"
            r["quarantine_text"] = yes if r["quarantined"] else no
            r["conflicts_text"] = "—" if r["conflicts"] is None else str(r["conflicts"])
            r["row_class"] = "bad" if r["quarantined"] or r["alarms"] or r["last_contact"] is None else ""
        return render(request, "health.html", session, rows=rows, summary=summary)

    @app.get("/dash/figures", include_in_schema=False)
    def figures_page(request: Request):
        session = current(request)
        if session is None:
            return to_login(request)
        view(request, session, "figures")
        today = datetime.now(TZ).date()
        week_start = today - timedelta(days=today.weekday())
        lang = _lang(request)
        tables = {key: figures(store, start, today, lang) for key, start in (("today", today), ("week", week_start))}
        return render(request, "figures.html", session, tables=tables, today=today, week_start=week_start)

    @app.get("/dash/stats", include_in_schema=False)
    def stats_page(request: Request):
        session = current(request)
        if session is None:
            return to_login(request)
        lang = _lang(request)
        today = datetime.now(TZ).date()
        by = request.query_params.get("by", "origin")
        by = by if by in STATS_CHOICES else "origin"
        start, end = _day(request.query_params.get("from"), today), _day(request.query_params.get("to"), today)
        if start > end:
            start, end = end, start
        view(request, session, f"stats by={by} from={start} to={end}")
        hq_stats.refresh(store)
        policy = hq_stats.default_policy()
        pub = hq_stats.district_table(store, S.parse_dimensions(by), start, end, lang=lang, policy=policy)
        age = hq_stats.district_table(store, ["age"], start, end, lang=lang, policy=policy)
        edu = hq_stats.district_table(store, ["education"], start, end, lang=lang, policy=policy)
        prov = hq_stats.district_table(store, ["origin", "province"], start, end, lang=lang, policy=policy)
        origin = hq_stats.district_table(store, ["origin"], start, end, lang=lang, policy=policy)
        zh = lang == "zh_CN"
        words = {k: v[0 if zh else 1] for k, v in WORDS.items()}
        svg = {
            "age": charts.bars(words["by_age"], _bars(age)),
            "education": charts.bars(words["by_education"], _bars(edu)),
            "origin": charts.bars(words["by_origin"], _bars(origin), label_width=170),
            "map": charts.province_map(words["map"], _province_counts(prov, origin), lang),
        }
        return render(request, "stats.html", session, pub=pub, grid=pub.grid(), svg=svg, by=by,
                      label_cols=len(pub.dims) - 1 if len(pub.dims) > 1 else 1,
                      choices=STATS_CHOICES, start=start, end=end,
                      dim_names={c: " × ".join(S.DIMENSION_NAMES[d][0 if zh else 1] for d in c.split(","))
                                 for c in STATS_CHOICES})

    @app.get("/dash/stats/export", include_in_schema=False)
    def stats_export(request: Request):
        """The statistics table as a file (csv or xlsx): the same suppressed table, audited as an export."""
        session = current(request)
        if session is None:
            return to_login(request)
        fmt = request.query_params.get("fmt", "csv")
        fmt = fmt if fmt in ("csv", "xlsx") else "csv"
        today = datetime.now(TZ).date()
        by = request.query_params.get("by", "origin")
        by = by if by in STATS_CHOICES else "origin"
        start, end = _day(request.query_params.get("from"), today), _day(request.query_params.get("to"), today)
        if start > end:
            start, end = end, start
        with store.transaction() as tx:
            staff.audit(tx, session.staff.name, "export", f"stats {fmt} by={by} from={start} to={end}", _client(request))
        hq_stats.refresh(store)
        pub = hq_stats.district_table(store, S.parse_dimensions(by), start, end, lang=_lang(request))
        media = "text/csv; charset=utf-8" if fmt == "csv" else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name = f"district-stats-{by.replace(',', '-')}-{start}-{end}.{fmt}"
        return Response(S.render(pub, fmt), media_type=media,
                        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/dash/expiring", include_in_schema=False)
    def expiring_page(request: Request):
        session = current(request)
        if session is None:
            return to_login(request)
        view(request, session, "expiring")
        hq_stats.refresh(store)
        today = datetime.now(TZ).date()
        return render(request, "expiring.html", session, rows=expiring(store, today), today=today)

    @app.get("/dash/register", include_in_schema=False)
    def register_page(request: Request):
        session = current(request)
        if session is None:
            return to_login(request)
        view(request, session, "register")
        return render(request, "register.html", session, tables=register_tables(store))

    @app.get("/dash/audit", include_in_schema=False)
    def audit_page(request: Request):
        session = current(request)
        if session is None:
            return to_login(request)
        view(request, session, "audit")
        if not session.staff.is_admin:
            return render(request, "error.html", session, status=403, message="admin_only")
        return render(request, "audit.html", session, rows=staff.audit_log(store))

    @app.get("/dash/assets/{name}", include_in_schema=False)
    def asset(name: str):
        # a fixed list: no path from the request reaches the file system
        if name == "dash.css":
            return FileResponse(WEB / "static" / "dash.css", media_type="text/css",
                                headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})
        font = _fonts().get(name)
        if font is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(font, media_type="font/ttf",
                            headers={"Cache-Control": "max-age=86400", "X-Content-Type-Options": "nosniff"})


def _fonts() -> dict[str, Path]:
    """The TrueType fallbacks HQ serves itself (Debian fonts-hanazono, 𠮷 and other rare characters)."""
    from printing import fonts

    out = {}
    for font in fonts.FALLBACKS:
        try:
            path = fonts.font_path(font)
        except Exception:  # noqa: BLE001 - a missing font only loses the fallback
            continue
        if path.suffix == ".ttf":
            out[path.name] = path
    return out


def _day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


def _bars(pub: S.Published) -> list[tuple[str, int | None]]:
    t = pub.table
    return [(" ".join(pub.row_labels(i)), t.shown((i, 0))) for i in range(len(t.rows))]


def _province_counts(prov: S.Published, origin: S.Published) -> dict[str, int | None]:
    """Published persons from other provinces, by province (the origin x province table's other_province
    row, suppressed like every table)."""
    t = prov.table
    for i, row in enumerate(t.rows):
        if row[0] == "other_province":
            return {col[0]: t.shown((i, j)) for j, col in enumerate(t.cols) if col[0] in D.PROVINCES}
    return {}


def _fmt_lag(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def station_health(store: Store) -> list[dict]:
    """One row per station: last contact, lag, entries not yet in statistics, quarantine, clock, alarms."""
    since = (datetime.now(UTC) - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%S")
    with store.transaction() as tx:
        rows = tx.all(
            "SELECT s.station_id, s.last_contact, s.cursor_seq, s.quarantined, s.quarantine_reason,"
            " s.last_clock_offset_s, COALESCE(c.last_seq, 0), COALESCE(a.n, 0)"
            " FROM hq_stations s LEFT JOIN stat_cursor c ON c.station_id = s.station_id"
            " LEFT JOIN (SELECT station_id, SUM(count) AS n FROM hq_alarms WHERE last_at >= ? GROUP BY station_id) a"
            " ON a.station_id = s.station_id ORDER BY s.station_id", (since,))
        conflicts = _conflict_counts(tx)
    now = datetime.now(UTC)
    out = []
    for sid, last, cursor_seq, quarantined, reason, offset, stat_seq, alarms in rows:
        contact = _parse_time(last)
        out.append({"station_id": sid, "last_contact": contact, "lag": now - contact if contact else None,
                    "acked": cursor_seq, "pending": max(0, cursor_seq - stat_seq), "quarantined": bool(quarantined),
                    "reason": reason or "", "clock": offset, "alarms": int(alarms),
                    "conflicts": conflicts.get(sid) if conflicts is not None else None})
    return out


def figures(store: Store, start: date, end: date, lang: str) -> dict:
    """Transactions by service and station for business days start..end, from the received journals."""
    with store.transaction() as tx:
        rows = tx.all("SELECT station_id, kind, COUNT(*) FROM hq_journal WHERE business_day >= ? AND business_day <= ?"
                      " AND kind LIKE 'service.%' GROUP BY station_id, kind", (start.isoformat(), end.isoformat()))
    zh = lang == "zh_CN"
    services = sorted({k[len(kinds.SERVICE_PREFIX):] for _, k, _ in rows}, key=lambda s: list(SERVICE_NAMES).index(s)
                      if s in SERVICE_NAMES else 99)
    stations = sorted({s for s, _, _ in rows})
    cells = {(s, k[len(kinds.SERVICE_PREFIX):]): n for s, k, n in rows}
    return {"services": [(s, SERVICE_NAMES.get(s, (s, s))[0 if zh else 1]) for s in services],
            "stations": stations, "cells": cells,
            "station_totals": {st: sum(cells.get((st, s), 0) for s in services) for st in stations},
            "service_totals": {s: sum(cells.get((st, s), 0) for st in stations) for s in services},
            "total": sum(cells.values())}


def expiring(store: Store, today: date) -> list[dict]:
    """Per station: permits expiring within 7, 8-14 and 15-30 days, and expired ones not cancelled."""
    d = [today + timedelta(days=n) for n in (0, 7, 14, 30)]
    since = (today - timedelta(days=365)).isoformat()
    with store.transaction() as tx:
        rows = tx.all(
            "SELECT station_id,"
            " SUM(CASE WHEN valid_until >= ? AND valid_until <= ? THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN valid_until > ? AND valid_until <= ? THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN valid_until > ? AND valid_until <= ? THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN valid_until < ? AND valid_until >= ? THEN 1 ELSE 0 END)"
            " FROM stat_permits WHERE cancelled = 0 GROUP BY station_id ORDER BY station_id",
            (d[0].isoformat(), d[1].isoformat(), d[1].isoformat(), d[2].isoformat(), d[2].isoformat(),
             d[3].isoformat(), d[0].isoformat(), since))
    return [{"station_id": r[0], "d7": int(r[1] or 0), "d14": int(r[2] or 0), "d30": int(r[3] or 0),
             "expired": int(r[4] or 0)} for r in rows if any(r[1:])]


REGISTER_HINTS = ("conflict", "duplicate")


def _tables(tx) -> list[str]:
    if tx.dialect == "postgresql":
        return [r[0] for r in tx.all("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
    return [r[0] for r in tx.all("SELECT name FROM sqlite_master WHERE type = 'table'")]


def register_tables(store: Store) -> list[tuple[str, int]] | None:
    """The district register's duplicate and conflict tables with their row counts; None until it lands."""
    with store.transaction() as tx:
        names = [n for n in _tables(tx) if n.startswith("hq_") and any(h in n for h in REGISTER_HINTS)]
        if not names:
            return None
        return [(n, int(tx.one(f'SELECT COUNT(*) FROM "{n}"')[0])) for n in sorted(names)]


def _conflict_counts(tx) -> dict[str, int] | None:
    names = [n for n in _tables(tx) if n.startswith("hq_") and "conflict" in n]
    if not names:
        return None
    columns = [c[0] for c in tx.execute(f'SELECT * FROM "{names[0]}" LIMIT 0').description]
    if "first_station_id" in columns:  # the district register's conflicts: open ones, by either window
        rows = tx.all(f'SELECT station, COUNT(*) FROM (SELECT first_station_id AS station FROM "{names[0]}"'
                      f" WHERE status = 'open' UNION ALL SELECT second_station_id FROM \"{names[0]}\""
                      " WHERE status = 'open') c GROUP BY station")
        return {r[0]: int(r[1]) for r in rows}
    if "station_id" not in columns:  # a register table not kept per station: no per-station count
        return None
    rows = tx.all(f'SELECT station_id, COUNT(*) FROM "{names[0]}" GROUP BY station_id')
    return {r[0]: int(r[1]) for r in rows}
