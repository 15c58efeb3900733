"""The district register at the window (the HQ side is counter/hq; contract: issue 15).

- `search`: find a person locally, then at HQ (`find`);
- `adoption`: open a file from HQ and adopt it here (`open_remote`, `adopt`);
- `permit_check`: re-check a permit with HQ before a service (`guard_permit_service`);
- `two_windows`: the conflicts HQ reports in its acks, and their resolutions;
- `adopted`: reads of the files adopted here; `hq_requests`: the signed requests and their errors.

Callers use this package's names (`register.find`, `register.adopt`, ...).
"""

from counter.services.register.adopted import adopted_from, remote_history
from counter.services.register.adoption import (
    ADOPTED_KIND,
    RemoteFile,
    adopt,
    open_remote,
    pending_entries_about,
)
from counter.services.register.hq_requests import LOOKUP_TIMEOUT_S, HQOffline, RegisterError, hq_configured
from counter.services.register.permit_check import (
    PERMIT_SERVICES,
    RECHECK_FRESH_S,
    Guard,
    Recheck,
    forget_recheck,
    guard_permit_service,
    known_basis,
    overtaken,
    recent_recheck,
    recheck_permit,
    remember_recheck,
)
from counter.services.register.search import MAX_RESULTS, FindResult, Found, ensure_search_keys, find
from counter.services.register.two_windows import Conflict, conflicts, mark_seen, recently_resolved

__all__ = [
    "ADOPTED_KIND", "LOOKUP_TIMEOUT_S", "MAX_RESULTS", "PERMIT_SERVICES", "RECHECK_FRESH_S", "Conflict",
    "FindResult", "Found", "Guard", "HQOffline", "Recheck", "RegisterError", "RemoteFile", "adopt", "adopted_from",
    "conflicts", "ensure_search_keys", "find", "forget_recheck", "guard_permit_service", "hq_configured",
    "known_basis", "mark_seen", "open_remote", "overtaken", "pending_entries_about", "recent_recheck",
    "recently_resolved", "recheck_permit", "remember_recheck", "remote_history",
]
