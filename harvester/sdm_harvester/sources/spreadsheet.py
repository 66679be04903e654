"""Catalogue spreadsheets (CSV or XLSX) in the 政务信息资源目录 column layout.

The header row is found by its names: 资源名称, 资源代码, 提供方, 摘要,
共享属性, 开放属性, 更新周期, 涉密属性 … (mapping.Columns lists them, and a
source's `columns` adds its own).  A title block above the header is skipped.
Each row is one record, identified by its 资源代码 unless the source's
`columns` maps another column to `identifier`.  Options:
  sheet         XLSX worksheet name (default: the first)
  encoding      CSV encoding (default: UTF-8, falling back to GB18030)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import urllib.parse
import zipfile
from typing import Iterable, Iterator, Sequence

from sdm_harvester.http import FetchError
from sdm_harvester.mapping import Columns, RecordBuilder
from sdm_harvester.sources.base import Broken, Harvester, Item, Record, SourceError

#: Rows searched for the header, past any title block.
HEADER_SEARCH_ROWS = 10
_XLSX_MAGIC = b"PK\x03\x04"
#: An XLSX part may expand at most this many times: the XML of real
#: workbooks compresses 5–30×, a shared-strings bomb thousands of times.
MAX_RATIO = 200
#: Parts smaller than this may have any ratio (tiny parts compress oddly).
RATIO_FLOOR = 1024 * 1024
#: All parts together may expand to at most this multiple of max_bytes.
UNPACKED_FACTOR = 4
MAX_PARTS = 10_000


def check_archive(data: bytes, max_bytes: int) -> None:
    """Refuse a workbook whose parts would expand past the caps, before any
    XML is parsed.  The sizes are the archive's own claims, and Python's
    zipfile never inflates a part past the size it claims."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise SourceError(f"not a readable XLSX workbook: {error}") from None
    if len(parts) > MAX_PARTS:
        raise SourceError(f"refused: the workbook has {len(parts)} parts (at most {MAX_PARTS})")
    for part in parts:
        if part.file_size > RATIO_FLOOR and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise SourceError(
                f"refused: workbook part {part.filename} would expand {part.file_size // max(part.compress_size, 1)}× "
                f"to {part.file_size} bytes (at most {MAX_RATIO}×), as a decompression bomb does"
            )
    total = sum(part.file_size for part in parts)
    if total > UNPACKED_FACTOR * max_bytes:
        raise SourceError(
            f"refused: the workbook unpacks to {total} bytes, more than {UNPACKED_FACTOR}× "
            f"the source's max_bytes ({max_bytes})"
        )


def _cell(value: object) -> object:
    """Whole numbers Excel stores as floats become ints; text is stripped."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    if isinstance(value, str):
        return value.strip()
    return value


def _csv_rows(data: bytes, encoding: str | None) -> list:
    for candidate in [encoding] if encoding else ["utf-8-sig", "gb18030"]:
        try:
            text = data.decode(candidate)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SourceError("the CSV file is neither UTF-8 nor GB18030; set options.encoding")
    return list(csv.reader(io.StringIO(text)))


def _xlsx_rows(data: bytes, sheet: str | None, max_bytes: int) -> Iterator[tuple]:
    import openpyxl  # only spreadsheet sources need it

    check_archive(data, max_bytes)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise SourceError(f"not a readable XLSX workbook: {error}") from None
    try:
        worksheet = book[sheet] if sheet else book.worksheets[0]
    except KeyError:
        raise SourceError(f"worksheet {sheet!r} not found (sheets: {', '.join(book.sheetnames)})") from None
    try:
        yield from worksheet.iter_rows(values_only=True)
    finally:
        book.close()


class SpreadsheetHarvester(Harvester):
    def items(self) -> Iterator[Item]:
        source = self.ctx.source
        try:
            response = self.ctx.fetcher.get(source.url)
        except FetchError as error:
            raise SourceError(str(error)) from None
        columns = Columns(source.columns)
        rows = iter(self._rows(response.content))
        header, header_number = self._find_header(rows, columns)
        resolved = [columns.resolve(h) for h in header]
        for text, target in zip(header, resolved, strict=False):
            if target is None and text not in (None, ""):
                self.warnings.append(f"column {text!r} is not an SDM field and was ignored")
        self.ctx.progress(f"{urllib.parse.urlsplit(source.url).path.rsplit('/', 1)[-1]}: header on row {header_number}")
        for number, row in enumerate(rows, start=header_number + 1):
            if not any(v not in (None, "") for v in row):
                continue
            builder = RecordBuilder(self.ctx.mapper)
            for text, target, value in zip(header, resolved, row, strict=False):
                if target is not None:
                    builder.put(target[0], _cell(value), target[1])
                elif text not in (None, "") and value not in (None, ""):
                    builder.not_mapped(text)
            self.unmapped.update(builder.unmapped)
            identifier = builder.identifier or builder.record.get("resource_code")
            if not identifier:
                yield Broken(
                    f"row {number}", "no identifier: the 资源代码 (resource code) cell is empty", unidentified=True
                )
                continue
            yield Record(str(identifier), builder.record)
        self.full_listing = True

    def _rows(self, data: bytes):
        options = self.ctx.source.options
        path = urllib.parse.urlsplit(self.ctx.source.url).path.lower()
        if data.startswith(_XLSX_MAGIC) or path.endswith(".xlsx"):
            return _xlsx_rows(data, options.get("sheet"), self.ctx.source.max_bytes)
        return _csv_rows(data, options.get("encoding"))

    @staticmethod
    def _find_header(rows: Iterable[Sequence], columns: Columns) -> tuple[list, int]:
        for number, row in enumerate(rows, start=1):
            known = sum(columns.resolve(v) is not None for v in row if isinstance(v, str))
            if known >= 2:
                return [v if isinstance(v, str) else None for v in row], number
            if number >= HEADER_SEARCH_ROWS:
                break
        raise SourceError(
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows "
            "(expected column names such as 资源名称, 资源代码, 共享属性)"
        )
