"""The on-screen preview of a certificate wraps Chinese text by the line-breaking rule (禁则): closing
punctuation never starts a line, numbers stay whole, nothing is lost (replayed in the demo: "。" alone)."""

from __future__ import annotations

import pytest

from counter.services.documents import NO_LINE_START, _cells, wrap_cjk

BODY = ("兹证明阿依古丽·买买提（女，证件号码65010219951103246X）自2026-12-02起居住于沈阳市和平区中华路88号，"
        "已在本辖区办理居住登记。此前居住于沈阳市和平区南京北街10号（自2026-11-29起）。")


@pytest.mark.parametrize("width", [20, 30, 40, 54])
def test_no_line_starts_with_closing_punctuation_and_nothing_is_lost(width):
    lines = wrap_cjk(BODY, width)
    assert "".join(lines) == BODY
    assert all(line[0] not in NO_LINE_START for line in lines[1:]), lines
    assert all(_cells(line) <= width for line in lines), lines
    assert any("65010219951103246X" in line for line in lines)  # the ID number is never split

