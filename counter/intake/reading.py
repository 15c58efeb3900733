"""Open a CSV or xlsx file as a table: its header and its rows, each with the row number a user sees.

CSV bytes are decoded as UTF-8 (with or without a BOM) or as GB18030, never guessed silently: the
encoding found is part of the result, and a file that decodes as neither (or whose GB18030 reading
is not plausible Chinese text, as a Big5 or Shift-JIS file would be) is refused in one line.
xlsx is read with openpyxl in read-only mode, so a large sheet is streamed, not held in memory.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from counter.errors import CounterError

UTF8 = "UTF-8"
UTF8_BOM = "UTF-8 (BOM)"
GB18030 = "GB18030"
XLSX = "xlsx"

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_COLUMNS = 200
MAX_CELL = 1000
# Of the non-ASCII characters of a GB18030 reading, at least this share must be in GB2312 (the
# common hanzi and punctuation): a Big5 or Shift-JIS file read as GB18030 gives rare characters instead.
MIN_GB2312_SHARE = 0.8


@dataclass(frozen=True)
class Table:
    path: Path
    encoding: str  # UTF-8, UTF-8 (BOM), GB18030 or xlsx
    sha256: str
    header: tuple[str, ...]
    header_row: int
    rows: Iterator[tuple[int, tuple[object, ...]]]  # (row number as the user sees it, cells)
    size_hint: int  # data rows, exact for CSV, from the sheet's dimension for xlsx


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def open_table(path: str | Path) -> Table:
    """The file as a table, or a CounterError saying what is wrong with it and what to do."""
    path = Path(path)
    if not path.is_file():
        raise CounterError("{file}: no such file", exit_code=2, file=path.name)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CounterError("{file} is {mb} MB; at most {max} MB: split it", exit_code=2, file=path.name,
                           mb=size // (1024 * 1024), max=MAX_FILE_BYTES // (1024 * 1024))
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _open_xlsx(path)
    if suffix in (".csv", ".txt"):
        return _open_csv(path)
    raise CounterError("{file}: only .csv and .xlsx files are read (save an .xls as .xlsx)", exit_code=2,
                       file=path.name)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding) of CSV bytes: UTF-8 (BOM or not) or GB18030; anything else is refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), UTF8_BOM
        except UnicodeDecodeError as exc:
            raise CounterError("the file starts as UTF-8 (BOM), but byte {at} is not UTF-8; save it as UTF-8 or"
                               " GB18030 CSV and import it again", exit_code=2, at=exc.start + 3) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CounterError("the file is UTF-16; save it as UTF-8 or GB18030 CSV and import it again", exit_code=2)
    try:
        return data.decode("utf-8"), UTF8
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise CounterError("the file's encoding is neither UTF-8 nor GB18030 (byte {at} fits neither); save it as"
                           " UTF-8 or GB18030 CSV and import it again", exit_code=2, at=exc.start) from None
    if not _plausible_chinese(text):
        raise CounterError("the file's encoding is neither UTF-8 nor GB18030: read as GB18030 it gives rare"
                           " characters (Big5, Shift-JIS or Latin-1?); save it as UTF-8 or GB18030 CSV and import"
                           " it again", exit_code=2)
    return text, GB18030


def _plausible_chinese(text: str) -> bool:
    other = [ch for ch in text if ord(ch) > 0x7F]
    if any(0xE000 <= ord(ch) <= 0xF8FF or (ord(ch) < 0x20 and ch not in "\t\r\n") for ch in text):
        return False  # private-use or control characters: not a text a person typed
    if not other:
        return True
    common = sum(1 for ch in other if _in_gb2312(ch))
    return common / len(other) >= MIN_GB2312_SHARE


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _open_csv(path: Path) -> Table:
    data = path.read_bytes()
    text, encoding = decode(data)
    sha = hashlib.sha256(data).hexdigest()
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise CounterError("{file} is not a well-formed CSV file ({reason}); check its quotes",
                           exit_code=2, file=path.name, reason=str(exc)) from None
    numbered = [(n, tuple(r)) for n, r in enumerate(records, 1) if any(c.strip() for c in r)]
    if not numbered:
        raise CounterError("{file} is empty", exit_code=2, file=path.name)
    header_row, header = numbered[0]
    _check_width(path, header)
    return Table(path, encoding, sha, _clean_header(header), header_row, iter(numbered[1:]), len(numbered) - 1)


def _open_xlsx(path: Path) -> Table:
    import zipfile

    from openpyxl import load_workbook

    sha = file_sha256(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise CounterError("{file} is not an xlsx workbook ({reason}); save it again as .xlsx", exit_code=2,
                           file=path.name, reason=type(exc).__name__) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header_row, header = 0, ()
    for n, cells in enumerate(rows, 1):
        if any(c is not None and str(c).strip() for c in cells):
            header_row, header = n, tuple("" if c is None else str(c) for c in cells)
            break
    if not header:
        book.close()
        raise CounterError("{file} is empty (its first sheet has no header row)", exit_code=2, file=path.name)
    _check_width(path, header)
    size = max((sheet.max_row or header_row) - header_row, 0)

    def data() -> Iterator[tuple[int, tuple[object, ...]]]:
        try:
            for n, cells in enumerate(rows, header_row + 1):
                if any(c is not None and str(c).strip() for c in cells):
                    yield n, tuple(cells)
        finally:
            book.close()

    return Table(path, XLSX, sha, _clean_header(header), header_row, data(), size)


def _check_width(path: Path, header: tuple) -> None:
    if len(header) > MAX_COLUMNS:
        raise CounterError("{file} has {n} columns; at most {max}", exit_code=2, file=path.name, n=len(header),
                           max=MAX_COLUMNS)


def _clean_header(header: tuple) -> tuple[str, ...]:
    return tuple(" ".join(str(h).replace("\ufeff", "").split()) for h in header)
