"""The JSON run report: what each source did, and why.

One report per run, written to `<data dir>/reports/` (the newest N kept) and,
when asked, to `--report FILE`.  Invalid records are listed with their source,
identifier and the fields at fault, so nothing is dropped silently; long
lists are capped with the total kept in the counts.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Iterable, Mapping, Sequence

from sdm_schema.errors import FieldError

#: Detail entries kept per source; the counts stay exact.
MAX_DETAILS = 500
REPORTS_DIR = "reports"
COUNTS = (
    "new",
    "updated",
    "unchanged",
    "withdrawn",
    "invalid",
    "failed",
    "classified",
    "private",
    "excluded",
    "flagged",
)
#: Writes to a load target (`--target ckan`), per source.
TARGET_COUNTS = ("created", "updated", "withdrawn", "failed")

OK, PARTIAL, FAILED, SKIPPED = "ok", "partial", "failed", "skipped"


@dataclass
class SourceReport:
    name: str
    type: str
    url: str
    status: str = OK
    started: str | None = None
    finished: str | None = None
    duration_s: float = 0.0
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    #: True when the source listed all its records (so absences mean deletions).
    full_listing: bool = False
    withdrawal: dict = field(default_factory=lambda: {"applied": False, "reason": None, "missing": 0})
    invalid: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    #: writes to the load target, when there is one
    target: dict | None = None
    #: records kept with quality flags: {source, record, department, flags}
    flagged: list = field(default_factory=list)
    #: "field: problem" → records, and department → records flagged
    flag_counts: dict = field(default_factory=dict)
    flagged_by_department: dict = field(default_factory=dict)
    #: input fields no SDM field takes → records that had them
    unmapped: dict = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] += n

    def add_invalid(self, identifier: str, field_errors: Iterable[FieldError]) -> None:
        self.count("invalid")
        if len(self.invalid) < MAX_DETAILS:
            self.invalid.append(
                {
                    "source": self.name,
                    "record": identifier,
                    "fields": [{"field": e.field, "messages": dict(e.messages)} for e in field_errors],
                }
            )

    def add_flags(self, identifier: str, department: str, flags: Sequence[Mapping]) -> None:
        """A record kept with quality flags (validation.flag's shape)."""
        if not flags:
            return
        self.count("flagged")
        self.flagged_by_department[department] = self.flagged_by_department.get(department, 0) + 1
        for item in flags:
            key = f"{item['field']}: {item['problem'].get('en', '') if isinstance(item['problem'], dict) else item['problem']}"
            self.flag_counts[key] = self.flag_counts.get(key, 0) + 1
        if len(self.flagged) < MAX_DETAILS:
            self.flagged.append(
                {"source": self.name, "record": identifier, "department": department, "flags": list(flags)}
            )

    def add_unmapped(self, counts: Mapping[str, int]) -> None:
        """Input fields that no SDM field takes, each with a warning."""
        for key, records in sorted(counts.items()):
            self.unmapped[key] = self.unmapped.get(key, 0) + records
            self.warn(f"{self.name}: input field {key!r} is not mapped to an SDM field ({records} records)")

    def add_failure(self, where: str, message: str) -> None:
        """A record that could not be read at all (malformed, hostile)."""
        self.count("failed")
        self.add_error(f"{self.name}: {where}: {message}" if where else f"{self.name}: {message}")

    def add_target_failure(self, identifier: str, message: str) -> None:
        """A write the load target refused; it is tried again next run."""
        self.target["failed"] += 1
        self.add_error(f"{self.name}: {identifier}: target: {message}")

    def add_error(self, message: str) -> None:
        if len(self.errors) < MAX_DETAILS:
            self.errors.append(message)

    def warn(self, message: str) -> None:
        if message not in self.warnings and len(self.warnings) < MAX_DETAILS:
            self.warnings.append(message)


@dataclass
class RunReport:
    run_id: int
    data_dir: str
    started: str
    finished: str | None = None
    duration_s: float = 0.0
    exit_code: int = 0
    sources: list = field(default_factory=list)
    _clock: float = field(default_factory=time.monotonic, repr=False)

    @property
    def totals(self) -> dict:
        return {key: sum(s.counts[key] for s in self.sources) for key in COUNTS}

    def to_dict(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        data["totals"] = self.totals
        return data

    def file_name(self) -> str:
        return f"run-{self.run_id:06d}.json"


def write(report: RunReport, data_dir: str, keep: int, extra_path: str | None = None) -> str:
    """Write the report to the data directory (pruning old ones) and extra_path."""
    folder = os.path.join(data_dir, REPORTS_DIR)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, report.file_name())
    targets = [path] + ([extra_path] if extra_path else [])
    text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2)
    for target in targets:
        tmp = target + ".tmp"
        if os.path.lexists(tmp):
            os.remove(tmp)  # a left-over, or a link planted to be written through
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)  # a reader never sees half a report
    old = sorted(n for n in os.listdir(folder) if n.startswith("run-") and n.endswith(".json"))
    for name in old[:-keep]:
        os.remove(os.path.join(folder, name))
    return path
