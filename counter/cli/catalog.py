"""The top-level commands, as data: name, where the command lives, and its one-line help.

No typer here: the fast path (counter/cli/fast.py) prints `counter --help` from this table
without importing typer or any command module.
"""

from __future__ import annotations

ROOT_HELP = "One-stop counter workstation for residence registration and residence permits."


class TopCommand:
    """One top-level command (a plain class: the dataclasses module alone costs a tenth of start-up)."""

    __slots__ = ("name", "target", "help")

    def __init__(self, name: str, target: str, help: str) -> None:
        self.name = name
        self.target = target  # "module:attribute": a Typer sub-app, or a function for a single command
        self.help = help  # as `counter --help` shows it; tests/core/test_cli_tree.py keeps it equal

    def __repr__(self) -> str:
        return f"TopCommand({self.name!r}, {self.target!r})"


ROOT: tuple[TopCommand, ...] = (
    TopCommand("init", "counter.cli.misc:register", "Create a station: DIR/station.toml, DIR/station.db and its Ed25519 key pair in DIR/keys/."),
    TopCommand("run", "counter.cli.misc:register", "Start the counter (the TUI) for this station."),
    TopCommand("doctor", "counter.cli.doctor:doctor", "Check this machine for the station: permissions, virtual readers, pcscd, fonts, printer, HQ, clock, disk."),
    TopCommand("backup", "counter.cli.ops:register", "Back up the live station (SQLite online backup), encrypted to the district's age key."),
    TopCommand("restore", "counter.cli.ops:register", "Restore a station backup into an empty data dir and catch up from HQ (no fork)."),
    TopCommand("stats", "counter.cli.stats:register", "Persons registered here during --from..--to, by the --by dimensions (or --flow: in and out per period)."),
    TopCommand("clerk", "counter.cli.clerk:app", "Manage the clerks who may sign in at this station."),
    TopCommand("journal", "counter.cli.journal:app", "Inspect and check the station's hash-chained journal."),
    TopCommand("id", "counter.cli.misc:id_app", "Citizen ID numbers (GB 11643-1999)."),
    TopCommand("config", "counter.cli.misc:config_app", "Show the station's configuration and the shipped templates."),
    TopCommand("devices", "counter.cli.devices:app", "Card readers and device check-in."),
    TopCommand("print", "counter.cli.printing:print_app", "Receipt printer: test page, status, and the queue of print jobs."),
    TopCommand("cert", "counter.cli.printing:cert_app", "Certificates: sample PDF and verification of signed QR payloads."),
    TopCommand("sync", "counter.cli.sync:app", "Push the journal to headquarters (HQ)."),
    TopCommand("hq", "counter.cli.hq:app", "Headquarters: the service that receives every station's journal."),
    TopCommand("keys", "counter.cli.keys:app", "The station's Ed25519 key."),
    TopCommand("day", "counter.cli.day:day_app", "End of day: the reconciliation, the supervisor's day close and the daily report."),
    TopCommand("export", "counter.cli.day:export_app", "The day's signed export bundle for the district."),
    TopCommand("demo", "counter.cli.demo:app", "A demo station with a simulated card reader and printer."),
    TopCommand("service", "counter.cli.service:app", "Perform a counter service from the command line, or list the services and their fields."),
    TopCommand("person", "counter.cli.person:app", "Find people on file here and in the district register at HQ."),
    TopCommand("permits", "counter.cli.permits:app", "Residence permits: the expiring list."),
    TopCommand("house", "counter.cli.houses:house_app", "Houses: the house register, landlords' reports and each house's roster."),
    TopCommand("entity", "counter.cli.houses:entity_app", "Reporting entities: employers, agencies, hotels, hospitals, schools, shelters; their reports."),
    TopCommand("registration", "counter.cli.houses:registration_app", "Residence registrations: end one at the window (moved away, left the district)."),
    TopCommand("report", "counter.cli.intake:report_app", "Reports brought as files: a landlord's, agency's, employer's or institution's list."),
    TopCommand("import", "counter.cli.intake:import_app", "Bring in the previous system's residence permits (needs a supervisor's approval)."),
)

# Optional dependencies: the module a missing one leaves unimportable -> (distribution, extra).
OPTIONAL_MODULES = {
    "smartcard": ("pyscard", "pcsc"),
    "cups": ("pycups", "cups"),
}


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The one line for an optional dependency that is not installed, or None if exc is not one."""
    top = (exc.name or "").partition(".")[0]
    if top not in OPTIONAL_MODULES:
        return None
    distribution, extra = OPTIONAL_MODULES[top]
    return f"this needs {distribution}, which is not installed; install it with: pip install 'counter[{extra}]'"
