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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from counter import stats as S
from counter.domain import stats as D
from counter.domain.citizen_id import mask as mask_id
from counter.hq import charts, staff
from counter.hq import stats as hq_stats
from counter.hq.limits import SIGNIN_RATE
from counter.hq.register import duplicates as register_duplicates
from counter.hq.register import overdue as register_overdue
from counter.hq.register import rebuild as register_rebuild
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
    "table": ("表", "Table"), "rows": ("条", "rows"), "at": ("时间", "Time"), "who": ("用户", "Who"),
    "what": ("操作", "Action"), "target": ("对象", "Target"), "client": ("来源地址", "Client"),
    "admin_only": ("仅管理员可查看。", "Admins only."), "lang": ("English", "中文"),
    "ops_note": ("业务笔数（非人数），来自各站已同步的日志。", "Transactions (not persons), from the journals received."),
    "exp_note": ("仅显示各站数量，不含个人信息；联系持证人在各站的到期名单中进行。",
                 "Counts per station only, no personal data; holders are contacted from each station's list."),
    "signed_in_as": ("当前用户", "Signed in as"),
    "rate_limited": ("此地址登录失败次数过多，请 {n} 秒后再试。",
                     "Too many failed sign-ins from this address; try again in {n} s."),
    "persons": ("人员档案", "Person files"), "permits": ("居住证", "Permits"),
    "transactions": ("业务记录", "Transactions"), "open_conflicts": ("未解决冲突", "Open conflicts"),
    "duplicates": ("疑似重复档案", "Possible duplicates"), "dup_groups": ("组", "groups"),
    "same_number": ("同一证件号码、不同姓名", "One number, different names"),
    "same_person": ("同姓名、出生年份与户籍地、不同证件号码", "One name, birth and household area, different numbers"),
    "kind": ("类型", "Kind"), "shared": ("共同项（已遮蔽）", "Shared (masked)"), "files": ("档案（工作站）", "Files (station)"),
    "conflict_list": ("业务冲突", "Conflicts"), "permit": ("居住证号", "Permit"), "first": ("先办理", "First"),
    "second": ("后办理", "Second"), "detected": ("发现时间", "Detected"), "status": ("状态", "Status"),
    "open": ("未解决", "open"), "resolved": ("已解决", "resolved"),
    "double_extend": ("重复延期", "Extended twice"), "cancel_extend": ("注销与延期", "Cancelled and extended"),
    "concurrent": ("同时办理", "Concurrent"), "none": ("暂无。", "None."),
    "page_of": ("第 {page} / {pages} 页，共 {total} 条", "page {page} of {pages}, {total} in all"),
    "prev": ("上一页", "Previous"), "next": ("下一页", "Next"),
    "overdue": ("逾期申报", "Late reporters"),
    # shorter words for the header's links, so that the English header stays on one line at 1280 px
    "nav_figures": ("今日与本周业务", "Today, week"), "nav_expiring": ("即将到期居住证", "Expiring"),
    "nav_register": ("重复与冲突", "Duplicates"), "nav_overdue": ("逾期申报", "Late reports"), "reporter": ("申报单位（房屋地址）", "Reporter (house address)"),
    "code": ("编码", "Code"), "house": ("房屋", "House"), "entity": ("单位", "Entity"),
    "late_reports": ("逾期申报次数", "Late reports"), "late_rows": ("逾期人次", "Late rows"),
    "last_late": ("最近逾期申报", "Last late report"), "since": ("申报日起", "Filed from"),
    "overdue_note": ("出租房屋、用人单位等逾期申报（第十四条）的全区名单，按逾期人次排列，供责令限期改正（第二十二条）；每页 {n} 个。",
                     "Landlords and entities of the whole district that reported late (art. 14), most late rows"
                     " first, for an order to correct within a time limit (art. 22); {n} a page."),
    "health_note": ("需要关注的工作站（隔离、24 小时内告警、未解决冲突、超过 1 小时未联系）排在前面并标色，每页 {n} 个。",
                    "Stations needing a look (quarantined, alarms in 24 h, open conflicts, silent for over an hour)"
                    " come first, shaded; {n} a page."),
    "scanned": ("疑似重复档案按 {at} 的全区人口库列出（每分钟更新）。",
                "Possible duplicates as the district register stood at {at} (refreshed every minute)."),
    "reg_note": ("证件号码只显示前 6 位和后 4 位，姓名只显示首字；完整档案在所列工作站查看，查看即留痕。",
                 "ID numbers show their first 6 and last 4 characters, names their first character; the full"
                 " file is opened at the station named, and every opening is logged."),
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
                 "week", "month", "origin,age", "education,age", "station,origin", "flow:week", "flow:month")


def district_published(store: Store, by: str, start: date, end: date, lang: str, policy=None) -> S.Published:
    """The table a STATS_CHOICES value names: counts by dimensions, or inflow and outflow ("flow:PERIOD")."""
    if by.startswith("flow:"):
        return hq_stats.district_flow_table(store, by[5:], start, end, lang=lang, policy=policy)
    return hq_stats.district_table(store, S.parse_dimensions(by), start, end, lang=lang, policy=policy)


def choice_name(choice: str, zh: bool) -> str:
    dims = ["flow", choice[5:]] if choice.startswith("flow:") else choice.split(",")
    return " × ".join(S.DIMENSION_NAMES[d][0 if zh else 1] for d in dims)


def _env() -> Environment:
    return Environment(loader=FileSystemLoader(str(WEB / "templates")), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


def _lang(request: Request) -> str:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh_CN"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _local(path: str | None, default: str = "/dash/health") -> str:
    """A redirect target taken from a request: only a path of this dashboard, never another host."""
    return path if path and path.startswith("/dash/") and "//" not in path and "\\" not in path else default


def words(lang: str) -> Callable[[str], str]:
    """The dashboard's words in one language: t(key), or the key itself when it has no entry."""
    index = 0 if lang == "zh_CN" else 1

    def t(key: str) -> str:
        pair = WORDS.get(key) or SERVICE_NAMES.get(key)
        return key if pair is None else pair[index]

    return t


HEADERS = {
    # no script at all; styles, fonts and images only from HQ itself
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self';"
                               " form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
PAGE_SIZE = 50  # rows of a register list per page
HEALTH_PAGE = 100  # stations per page of the health table, those needing a look first
# The duplicates report scans the whole register: one scan serves every page view for this long.
DUPLICATES_TTL = timedelta(seconds=60)


def mount(app: FastAPI, store: Store, signin_rate: str = SIGNIN_RATE) -> None:
    """Add the /dash routes to HQ's app."""
    dash = Dashboard(store, signin_rate)
    for method, path, endpoint in dash.routes():
        app.add_api_route(path, endpoint, methods=[method], include_in_schema=False)


class Dashboard:
    """The dashboard's pages, one method each, over the steps they share (session, audit, render)."""

    def __init__(self, store: Store, signin_rate: str = SIGNIN_RATE):
        self.store = store
        self.env = _env()
        self.signin_windows = staff.parse_signin_rate(signin_rate)
        self._duplicates: tuple[datetime, dict] | None = None  # (when scanned, register_duplicates.duplicates)

    def routes(self) -> list[tuple[str, str, Callable]]:
        return [("GET", "/dash", self.home), ("GET", "/dash/", self.home),
                ("GET", "/dash/login", self.login_form), ("POST", "/dash/login", self.login),
                ("POST", "/dash/logout", self.logout), ("POST", "/dash/lang", self.switch_lang),
                ("GET", "/dash/health", self.health), ("GET", "/dash/figures", self.figures),
                ("GET", "/dash/stats", self.stats), ("GET", "/dash/stats/export", self.stats_export),
                ("GET", "/dash/expiring", self.expiring), ("GET", "/dash/register", self.register),
                ("GET", "/dash/overdue", self.overdue),
                ("GET", "/dash/audit", self.audit), ("GET", "/dash/assets/{name}", self.asset)]

    # --- the shared steps ----------------------------------------------------------------------

    def render(self, request: Request, template: str, session: staff.Session | None, status: int = 200,
               headers: dict | None = None, **ctx) -> HTMLResponse:
        lang = _lang(request)
        html = self.env.get_template(template).render(t=words(lang), lang=lang, zh=lang == "zh_CN", session=session,
                                                      csrf=session.csrf if session else "", page=template[:-5], **ctx)
        return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})

    def current(self, request: Request) -> staff.Session | None:
        return staff.session_of(self.store, request.cookies.get(SESSION_COOKIE))

    def to_login(self, request: Request) -> RedirectResponse:
        return RedirectResponse("/dash/login?" + urlencode({"next": request.url.path}), status_code=303,
                                headers=HEADERS)

    def record(self, request: Request, name: str | None, action: str, target: str) -> None:
        with self.store.transaction() as tx:
            staff.audit(tx, name, action, target, _client(request))

    def viewer(self, request: Request, target: str) -> staff.Session | None:
        """The signed-in staff member, with this view of `target` audited; None: send to the sign-in page."""
        session = self.current(request)
        if session is not None:
            self.record(request, session.staff.name, "view", target)
        return session

    async def checked_post(self, request: Request) -> tuple[staff.Session | None, dict, Response | None]:
        """A form post of a signed-in session with its CSRF token; else the refusal to answer with."""
        session = self.current(request)
        if session is None:
            return None, {}, self.to_login(request)
        form = await _form_of(request)
        if not hmac.compare_digest(session.csrf, form.get("csrf", "")):
            self.record(request, session.staff.name, "csrf.refused", request.url.path)
            return session, form, self.render(request, "error.html", session, status=403, message="csrf")
        return session, form, None

    # --- sign-in -------------------------------------------------------------------------------

    def home(self, request: Request):
        return RedirectResponse("/dash/health", status_code=303, headers=HEADERS)

    def login_page(self, request: Request, error: str = "", status: int = 200, retry_after: int = 0):
        token = secrets.token_urlsafe(24)
        t = words(_lang(request))
        message = t(error).format(n=retry_after) if error else ""
        response = self.render(request, "login.html", None, status=status, error=message, login_csrf=token,
                               next=_local(request.query_params.get("next")),
                               headers={"Retry-After": str(retry_after)} if retry_after else None)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/dash",
                            secure=_secure(request), max_age=1800)
        return response

    def login_form(self, request: Request):
        return self.login_page(request)

    async def login(self, request: Request):
        form = await _form_of(request)
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(cookie, form.get("csrf", "")):
            return self.login_page(request, "csrf", 403)
        client = _client(request)
        # per client address, before any password is hashed: a guesser is slowed whatever names it tries
        wait = await run_in_threadpool(staff.signin_retry_after, self.store, client, self.signin_windows)
        if wait:
            await run_in_threadpool(staff.note_rate_limited, self.store, client)
            return self.login_page(request, "rate_limited", 429, retry_after=wait)
        try:
            token, _session = await run_in_threadpool(staff.sign_in, self.store, form.get("name", ""),
                                                      form.get("password", ""), client)
        except staff.SignInRefused as exc:
            return self.login_page(request, exc.reason, 423 if exc.reason == "locked" else 401)
        response = RedirectResponse(_local(form.get("next")), status_code=303, headers=HEADERS)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path="/dash",
                            secure=_secure(request))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/dash")
        return response

    async def logout(self, request: Request):
        session, _form, refused = await self.checked_post(request)
        if refused:
            return refused
        staff.sign_out(self.store, session, _client(request))
        response = RedirectResponse("/dash/login", status_code=303, headers=HEADERS)
        response.delete_cookie(SESSION_COOKIE, path="/dash")
        return response

    async def switch_lang(self, request: Request):
        session, form, refused = await self.checked_post(request)
        if refused:
            return refused
        response = RedirectResponse(_local(form.get("back")), status_code=303, headers=HEADERS)
        response.set_cookie(LANG_COOKIE, "en" if form.get("lang") == "en" else "zh_CN", samesite="strict",
                            path="/dash", secure=_secure(request), httponly=True)
        return response

    # --- pages ---------------------------------------------------------------------------------

    def health(self, request: Request):
        number = _page_number(request.query_params.get("page"))
        session = self.viewer(request, "health" if number == 1 else f"health page={number}")
        if session is None:
            return self.to_login(request)
        rows = station_health(self.store)
        lines = health_lines(rows, words(_lang(request)))
        lines.sort(key=lambda line: not line[-1])  # stable: those needing a look first, each group by station id
        shown = list_page(lines, number, HEALTH_PAGE)
        return self.render(request, "health.html", session, rows=shown, summary=health_summary(rows),
                           page_size=HEALTH_PAGE)

    def figures(self, request: Request):
        session = self.viewer(request, "figures")
        if session is None:
            return self.to_login(request)
        today = datetime.now(TZ).date()
        week_start = today - timedelta(days=today.weekday())
        lang = _lang(request)
        tables = {key: figures(self.store, start, today, lang) for key, start in (("today", today), ("week", week_start))}
        return self.render(request, "figures.html", session, tables=tables, today=today, week_start=week_start)

    def stats(self, request: Request):
        by, start, end = _stats_query(request)
        session = self.viewer(request, f"stats by={by} from={start} to={end}")
        if session is None:
            return self.to_login(request)
        lang = _lang(request)
        t = words(lang)
        hq_stats.refresh(self.store)
        policy = hq_stats.default_policy()

        def table(dims: list[str]) -> S.Published:
            return hq_stats.district_table(self.store, dims, start, end, lang=lang, policy=policy)

        pub, origin = district_published(self.store, by, start, end, lang, policy), table(["origin"])
        svg = {
            "age": charts.bars(t("by_age"), _bars(table(["age"]))),
            "education": charts.bars(t("by_education"), _bars(table(["education"]))),
            "origin": charts.bars(t("by_origin"), _bars(origin), label_width=170),
            "map": charts.province_map(t("map"), _province_counts(table(["origin", "province"])), lang),
        }
        zh = lang == "zh_CN"
        return self.render(request, "stats.html", session, pub=pub, grid=pub.grid(), svg=svg, by=by,
                           label_cols=len(pub.dims) - 1 if len(pub.dims) > 1 else 1,
                           choices=STATS_CHOICES, start=start, end=end,
                           dim_names={c: choice_name(c, zh) for c in STATS_CHOICES})

    def stats_export(self, request: Request):
        """The statistics table as a file (csv or xlsx): the same suppressed table, audited as an export."""
        session = self.current(request)
        if session is None:
            return self.to_login(request)
        fmt = request.query_params.get("fmt", "csv")
        fmt = fmt if fmt in ("csv", "xlsx") else "csv"
        by, start, end = _stats_query(request)
        self.record(request, session.staff.name, "export", f"stats {fmt} by={by} from={start} to={end}")
        hq_stats.refresh(self.store)
        pub = district_published(self.store, by, start, end, _lang(request))
        media = "text/csv; charset=utf-8" if fmt == "csv" else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name = f"district-stats-{by.replace(',', '-').replace(':', '-')}-{start}-{end}.{fmt}"
        return Response(S.render(pub, fmt), media_type=media,
                        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})

    def expiring(self, request: Request):
        session = self.viewer(request, "expiring")
        if session is None:
            return self.to_login(request)
        hq_stats.refresh(self.store)
        today = datetime.now(TZ).date()
        return self.render(request, "expiring.html", session, rows=expiring(self.store, today), today=today)

    def register(self, request: Request):
        dpage = _page_number(request.query_params.get("dpage"))
        cpage = _page_number(request.query_params.get("cpage"))
        session = self.viewer(request, f"register dpage={dpage} cpage={cpage}")
        if session is None:
            return self.to_login(request)
        scanned, found = self.duplicates()
        return self.render(request, "register.html", session, totals=register_totals(self.store),
                           duplicates=duplicate_page(found, dpage), conflicts=conflict_page(self.store, cpage),
                           scanned=scanned.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S"))

    def overdue(self, request: Request):
        """Houses and entities with late reports (art. 14), most late rows first: the 限期改正 list (art. 22)."""
        number = _page_number(request.query_params.get("page"))
        since = _day_or_none(request.query_params.get("since"))
        session = self.viewer(request, f"overdue since={since or '-'} page={number}")
        if session is None:
            return self.to_login(request)
        found = register_overdue.overdue(self.store, since.isoformat() if since else None)
        shown = list_page(found, number)
        return self.render(request, "overdue.html", session, rows=shown, since=since, page_size=PAGE_SIZE)

    def duplicates(self) -> tuple[datetime, dict]:
        now = datetime.now(UTC)
        if self._duplicates is None or now - self._duplicates[0] > DUPLICATES_TTL:
            self._duplicates = (now, register_duplicates.duplicates(self.store))
        return self._duplicates

    def audit(self, request: Request):
        session = self.viewer(request, "audit")
        if session is None:
            return self.to_login(request)
        if not session.staff.is_admin:
            return self.render(request, "error.html", session, status=403, message="admin_only")
        return self.render(request, "audit.html", session, rows=staff.audit_log(self.store))

    def asset(self, name: str):
        # a fixed list: no path from the request reaches the file system
        if name == "dash.css":
            return FileResponse(WEB / "static" / "dash.css", media_type="text/css",
                                headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})
        font = _fonts().get(name)
        if font is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(font, media_type="font/ttf",
                            headers={"Cache-Control": "max-age=86400", "X-Content-Type-Options": "nosniff"})


async def _form_of(request: Request) -> dict[str, str]:
    """A url-encoded form, at most 16 KiB and 20 fields; anything else reads as an empty form."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return {}
    body = (await request.body())[:16384]
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in parsed.items()}


def _stats_query(request: Request) -> tuple[str, date, date]:
    """The statistics page's filters (by, from, to), each falling back to its default when bad."""
    today = datetime.now(TZ).date()
    by = request.query_params.get("by", "origin")
    by = by if by in STATS_CHOICES else "origin"
    start, end = _day(request.query_params.get("from"), today), _day(request.query_params.get("to"), today)
    return (by, end, start) if start > end else (by, start, end)


def _day_or_none(text: str | None) -> date | None:
    """A YYYY-MM-DD from the query, or None (absent or not a date: the whole list)."""
    try:
        return date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        return None


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and 0 < len(text) < 7 and int(text) > 0 else 1


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


def _province_counts(prov: S.Published) -> dict[str, int | None]:
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
    """One row per station: last contact, lag, entries not yet in statistics, quarantine, clock, alarms,
    open conflicts of the district register (by either of the two windows)."""
    since = (datetime.now(UTC) - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%S")
    with store.transaction() as tx:
        rows = tx.all(
            "SELECT s.station_id, s.last_contact, s.cursor_seq, s.quarantined, s.quarantine_reason,"
            " s.last_clock_offset_s, COALESCE(c.last_seq, 0), COALESCE(a.n, 0)"
            " FROM hq_stations s LEFT JOIN stat_cursor c ON c.station_id = s.station_id"
            " LEFT JOIN (SELECT station_id, SUM(count) AS n FROM hq_alarms WHERE last_at >= ? GROUP BY station_id) a"
            " ON a.station_id = s.station_id ORDER BY s.station_id", (since,))
        conflicts = dict(tx.all(
            "SELECT station, COUNT(*) FROM (SELECT first_station_id AS station FROM hq_register_conflicts"
            " WHERE status = 'open' UNION ALL SELECT second_station_id FROM hq_register_conflicts"
            " WHERE status = 'open') c GROUP BY station"))
    now = datetime.now(UTC)
    out = []
    for sid, last, cursor_seq, quarantined, reason, offset, stat_seq, alarms in rows:
        contact = _parse_time(last)
        out.append({"station_id": sid, "last_contact": contact, "lag": now - contact if contact else None,
                    "acked": cursor_seq, "pending": max(0, cursor_seq - stat_seq), "quarantined": bool(quarantined),
                    "reason": reason or "", "clock": offset, "alarms": int(alarms),
                    "conflicts": int(conflicts.get(sid, 0))})
    return out


def health_summary(rows: list[dict]) -> dict[str, int]:
    now = datetime.now(UTC)
    return {"stations": len(rows), "quarantined": sum(1 for r in rows if r["quarantined"]),
            "late": sum(1 for r in rows if r["last_contact"] is None or now - r["last_contact"] > LAG_WARN)}


def health_lines(rows: list[dict], t: Callable[[str], str]) -> list[tuple]:
    """The health table's cells as display text, made here so that the template only places them:
    (station, last contact, lag, pending, quarantined?, quarantine text, clock, alarms, conflicts, needs a look?).
    A station needs a look when quarantined, with alarms or open conflicts, silent for over LAG_WARN or never heard."""
    never, yes, no = t("never"), t("yes"), t("no")
    return [(r["station_id"], r["last_contact"].strftime("%Y-%m-%d %H:%M:%S UTC") if r["last_contact"] else never,
             _fmt_lag(r["lag"]), r["pending"], r["quarantined"],
             f"{yes} {r['reason']}".rstrip() if r["quarantined"] else no,
             "—" if r["clock"] is None else f"{r['clock']:+.1f} s", r["alarms"], r["conflicts"],
             bool(r["quarantined"] or r["alarms"] or r["conflicts"] or r["lag"] is None or r["lag"] > LAG_WARN))
            for r in rows]


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


# --- the district register's lists --------------------------------------------------------------


@dataclass(frozen=True)
class ListPage:
    items: list
    page: int
    pages: int
    total: int


def _paged(total: int, page: int, size: int = PAGE_SIZE) -> tuple[int, int]:
    """(the page shown, the number of pages) for `total` rows: a page past the end shows the last."""
    pages = max(1, -(-total // size))
    return min(page, pages), pages


def list_page(rows: list, page: int, size: int = PAGE_SIZE) -> ListPage:
    """Page `page` of rows already in memory (see _paged)."""
    page, pages = _paged(len(rows), page, size)
    return ListPage(rows[(page - 1) * size:page * size], page, pages, len(rows))


def mask_name(name: str) -> str:
    """The first character kept, the others starred; the middle dot and spaces of a name stay."""
    return name[:1] + "".join(c if c in "· " else "*" for c in name[1:])


def register_totals(store: Store) -> dict[str, int]:
    with store.transaction() as tx:
        totals = register_rebuild.counts(tx)
        totals["open_conflicts"] = int(tx.one("SELECT COUNT(*) FROM hq_register_conflicts WHERE status = 'open'")[0])
    return totals


def duplicate_page(found: dict, page: int) -> ListPage:
    """The register's possible duplicates (as `counter hq duplicates` lists them), one
    group a row, masked: ID numbers to their first 6 and last 4, names to their first character, birth dates
    to the year. Each file names its station, which holds the full record."""
    groups = [{"kind": "same_number", "shared": g["id_masked"],
               "files": [(f["station_id"], mask_name(f["name"]), g["id_masked"]) for f in g["files"]]}
              for g in found["same_number"]]
    groups += [{"kind": "same_person",
                "shared": f"{mask_name(g['name'])} · {g['birth_date'][:4]} · {g['household_area']}",
                "files": [(f["station_id"], mask_name(g["name"]), f["id_masked"]) for f in g["files"]]}
               for g in found["same_person"]]
    return list_page(groups, page)


def conflict_page(store: Store, page: int) -> ListPage:
    """Conflicting work of two windows on one permit, open ones first, newest first; the permit number masked."""
    with store.transaction() as tx:
        total = int(tx.one("SELECT COUNT(*) FROM hq_register_conflicts")[0])
        page, pages = _paged(total, page)
        rows = tx.all("SELECT conflict_id, permit_id, kind, first_station_id, first_seq, first_kind,"
                      " second_station_id, second_seq, second_kind, detected_at, status FROM hq_register_conflicts"
                      " ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, conflict_id DESC LIMIT ? OFFSET ?",
                      (PAGE_SIZE, (page - 1) * PAGE_SIZE))
    items = [{"id": r[0], "permit": mask_id(r[1]) if len(r[1]) > 10 else r[1][:2] + "*" * max(0, len(r[1]) - 2),
              "kind": r[2], "first": (r[3], r[4], r[5].rsplit(".", 1)[-1]),
              "second": (r[6], r[7], r[8].rsplit(".", 1)[-1]), "detected_at": r[9][:19].replace("T", " "),
              "status": r[10]} for r in rows]
    return ListPage(items, page, pages, total)
