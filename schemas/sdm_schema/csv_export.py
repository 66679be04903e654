"""CSV as every export of the catalogue writes it (the audit trail, the
register of authorised use, the evaluation's scorecards): UTF-8 with a
byte-order mark, so Excel reads Chinese right, and no cell a spreadsheet
would run as a formula — the exports quote text that departments,
applicants and the public typed (=HYPERLINK(…) in a purpose)."""

from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence

BOM = "\ufeff"
#: A spreadsheet reads a cell starting with one of these as a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell a leading apostrophe keeps plain; other values as they are."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
