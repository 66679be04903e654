"""Solr date parsing, formatting and date math (NOW-1DAY, .../MONTH)."""

import calendar
import re
from datetime import datetime, timedelta, timezone

from .errors import SolrError

_ISO = re.compile(r"(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})"
                  r"(?:\.(\d{1,9}))?Z")
_OP = re.compile(r"([+-])(\d+)([A-Z]+)|/([A-Z]+)")

_UNITS = {
    "YEAR": "year", "YEARS": "year", "MONTH": "month", "MONTHS": "month",
    "DAY": "day", "DAYS": "day", "DATE": "day", "HOUR": "hour",
    "HOURS": "hour", "MINUTE": "minute", "MINUTES": "minute",
    "SECOND": "second", "SECONDS": "second", "MILLI": "milli",
    "MILLIS": "milli", "MILLISECOND": "milli", "MILLISECONDS": "milli",
}


def now():
    return datetime.now(timezone.utc)


def _invalid(text):
    return SolrError("Invalid Date String:'%s'" % text)


def parse_instant(text):
    """Parse Solr's ISO-8601 instant; Solr insists on the trailing 'Z'."""
    match = _ISO.fullmatch(text)
    if not match:
        raise _invalid(text)
    year, month, day, hour, minute, second, frac = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour),
                         int(minute), int(second), tzinfo=timezone.utc)
    except ValueError:
        raise _invalid(text)
    # Solr keeps millisecond precision.
    millis = int((frac or "0")[:3].ljust(3, "0"))
    return value + timedelta(milliseconds=millis)


def format_instant(value):
    """Format like Solr: milliseconds only when non-zero."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    millis = value.microsecond // 1000
    return text + (".%03dZ" % millis if millis else "Z")


def parse_math(text, base=None):
    """Evaluate 'NOW', an instant, optionally followed by date math."""
    text = text.strip()
    if text.startswith("NOW"):
        value, rest = base or now(), text[3:]
        value = value.replace(microsecond=value.microsecond // 1000 * 1000)
    else:
        match = re.match(r"[^+/]*Z|[^+/]*", text)
        head = match.group(0)
        value, rest = parse_instant(head), text[len(head):]
    pos = 0
    while pos < len(rest):
        op = _OP.match(rest, pos)
        if not op:
            raise _invalid(text)
        sign, amount, unit, round_unit = op.groups()
        unit_name = _UNITS.get(unit or round_unit)
        if unit_name is None:
            raise _invalid(text)
        if round_unit:
            value = _round(value, unit_name)
        else:
            value = _add(value, unit_name, int(amount) * (-1 if sign == "-" else 1))
        pos = op.end()
    return value


def _round(value, unit):
    fields = ["year", "month", "day", "hour", "minute", "second", "milli"]
    keep = fields.index(unit)
    reset = {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0}
    changes = {f: reset[f] for f in fields[keep + 1:] if f in reset}
    if unit != "milli":
        changes["microsecond"] = 0
    return value.replace(**changes)


def _add(value, unit, amount):
    if unit in ("year", "month"):
        months = value.month - 1 + amount * (12 if unit == "year" else 1)
        year, month = value.year + months // 12, months % 12 + 1
        # Like java.util.Calendar: Jan 31 + 1 MONTH is the end of February.
        day = min(value.day, calendar.monthrange(year, month)[1])
        return value.replace(year=year, month=month, day=day)
    seconds = {"day": 86400, "hour": 3600, "minute": 60, "second": 1,
               "milli": 0.001}[unit]
    return value + timedelta(seconds=seconds * amount)
