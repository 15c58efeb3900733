"""Projectors of each area (core, services, printing, day close), one module each.

Importing this package imports every module in it, so each @projector registers; db.journal
imports it before its first append.
"""

import importlib
import pkgutil


def _load_area_projectors() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        importlib.import_module(f"{__name__}.{info.name}")


_load_area_projectors()
