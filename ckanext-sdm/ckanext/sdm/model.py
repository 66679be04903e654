"""The extension's own tables: submissions, access requests, the audit
trail and the blacklist.  Created by the alembic migrations in
migration/sdm (`ckan db upgrade -p sdm`); the names start with `sdm_`, which
is how migration/sdm/env.py tells them from CKAN's."""
from __future__ import annotations

import datetime as dt

import ckan.plugins.toolkit as tk
from ckan.model import types as _types
from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, UnicodeText
from sqlalchemy.dialects.postgresql import JSONB


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Submission(tk.BaseModel):
    """One issued submission certificate (汇交凭证); `certificate` is the signed
    document exactly as issued, the other columns index it."""

    __tablename__ = "sdm_submission"
    id = Column(UnicodeText, primary_key=True, default=_types.make_uuid)
    number = Column(UnicodeText, nullable=False, unique=True)
    issued = Column(DateTime, nullable=False, default=utcnow)
    package_id = Column(UnicodeText, nullable=False, index=True)
    owner_org = Column(UnicodeText, index=True)
    project_number = Column(UnicodeText, nullable=False, index=True)
    created_by = Column(UnicodeText)
    certificate = Column(JSONB, nullable=False)


class AccessRequest(tk.BaseModel):
    """An application for a conditional or customised-service dataset and
    the responsible unit's decision on it."""

    __tablename__ = "sdm_access_request"
    id = Column(UnicodeText, primary_key=True, default=_types.make_uuid)
    package_id = Column(UnicodeText, nullable=False, index=True)
    user_id = Column(UnicodeText, nullable=False, index=True)
    purpose = Column(UnicodeText, nullable=False)
    intended_use = Column(UnicodeText, nullable=False)
    free_use_purpose = Column(UnicodeText)
    applicant_unit = Column(UnicodeText, nullable=False)
    created = Column(DateTime, nullable=False, default=utcnow)
    status = Column(UnicodeText, nullable=False, default="pending")
    reason = Column(UnicodeText)
    decided_by = Column(UnicodeText)
    decided = Column(DateTime)
    expires = Column(DateTime)
    fee_waived = Column(Boolean, nullable=False, default=False)


class AuditEvent(tk.BaseModel):
    """Who did what to which dataset or file, when, from where, and with
    what outcome.  Rows are only ever added."""

    __tablename__ = "sdm_audit"
    __table_args__ = (Index("sdm_audit_at_idx", "at"),)
    id = Column(BigInteger, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    user_name = Column(UnicodeText)
    address = Column(UnicodeText)
    action = Column(UnicodeText, nullable=False)
    package_id = Column(UnicodeText, index=True)
    resource_id = Column(UnicodeText)
    outcome = Column(UnicodeText, nullable=False)
    detail = Column(UnicodeText)


class BlacklistEntry(tk.BaseModel):
    """A user, or an IP network (CIDR), refused downloads and applications."""

    __tablename__ = "sdm_blacklist"
    id = Column(UnicodeText, primary_key=True, default=_types.make_uuid)
    user_id = Column(UnicodeText, index=True)
    network = Column(UnicodeText)
    reason = Column(UnicodeText, nullable=False)
    created_by = Column(UnicodeText)
    created = Column(DateTime, nullable=False, default=utcnow)
