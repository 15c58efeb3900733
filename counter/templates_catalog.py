"""The data files shipped in templates/: found at run time through importlib.resources."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

DATA_SUFFIXES = (".toml", ".json", ".txt", ".csv")


@dataclass(frozen=True)
class TemplateFile:
    path: str  # relative to templates/, e.g. "forms/permit_apply.toml"
    sha256: str
    size: int


def _walk(node: Traversable, prefix: str = ""):
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.is_dir():
            if child.name != "__pycache__":
                yield from _walk(child, f"{prefix}{child.name}/")
        elif child.name.endswith(DATA_SUFFIXES):
            yield f"{prefix}{child.name}", child


def list_templates() -> list[TemplateFile]:
    out = []
    for rel, ref in _walk(resources.files("templates")):
        data = ref.read_bytes()
        out.append(TemplateFile(rel, hashlib.sha256(data).hexdigest(), len(data)))
    return out


def read_template(rel: str) -> bytes:
    ref = resources.files("templates")
    for part in rel.split("/"):
        ref = ref / part
    return ref.read_bytes()
