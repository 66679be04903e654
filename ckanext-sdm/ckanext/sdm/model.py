"""The extension's own tables: submissions, access requests, the audit
trail, the blacklist, demands and quality reports, and the register of
authorised use.  Created by the alembic migrations in
migration/sdm (`ckan db upgrade -p sdm`); the names start with `sdm_`, which
is how migration/sdm/env.py tells them from CKAN's."""

from __future__ import annotations

import datetime as dt

import ckan.plugins.toolkit as tk
from ckan.model import types as _types
from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, UnicodeText
from sqlalchemy.dialects.postgresql import JSONB


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


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


class Demand(tk.BaseModel):
    """A user's demand for data the catalogue lacks, or for opening a
    closed or conditional dataset (`package_id`), and the unit's answer."""

    __tablename__ = "sdm_demand"
    id = Column(UnicodeText, primary_key=True, default=_types.make_uuid)
    user_id = Column(UnicodeText, nullable=False, index=True)
    subject = Column(UnicodeText, nullable=False)
    purpose = Column(UnicodeText, nullable=False)
    discipline = Column(UnicodeText)
    owner_org = Column(UnicodeText, index=True)
    package_id = Column(UnicodeText, index=True)
    contact = Column(UnicodeText)
    created = Column(DateTime, nullable=False, default=utcnow)
    status = Column(UnicodeText, nullable=False, default="open")
    answer = Column(UnicodeText)
    answered_by = Column(UnicodeText)
    answered = Column(DateTime)
    fulfilled_by = Column(UnicodeText)


class DemandSupport(tk.BaseModel):
    """One user's "+1" to a demand, at most once."""

    __tablename__ = "sdm_demand_support"
    demand_id = Column(UnicodeText, primary_key=True)
    user_id = Column(UnicodeText, primary_key=True)
    created = Column(DateTime, nullable=False, default=utcnow)


class QualityReport(tk.BaseModel):
    """A problem a user found in a dataset, and its unit's answer."""

    __tablename__ = "sdm_quality_report"
    id = Column(UnicodeText, primary_key=True, default=_types.make_uuid)
    package_id = Column(UnicodeText, nullable=False, index=True)
    user_id = Column(UnicodeText, nullable=False, index=True)
    problem = Column(UnicodeText, nullable=False)
    field = Column(UnicodeText)
    description = Column(UnicodeText, nullable=False)
    created = Column(DateTime, nullable=False, default=utcnow)
    status = Column(UnicodeText, nullable=False, default="open")
    answer = Column(UnicodeText)
    answered_by = Column(UnicodeText)
    answered = Column(DateTime)


class Authorisation(tk.BaseModel):
    """An entry of the public register of authorised use (授权运营): which
    unit may use which dataset, for what and until when.  Units only, never
    individuals."""

    __tablename__ = "sdm_authorisation"
    id = Column(UnicodeText, primary_key=True, default=_types.make_uuid)
    unit = Column(UnicodeText, nullable=False)
    package_id = Column(UnicodeText, nullable=False, index=True)
    scope = Column(UnicodeText, nullable=False)
    purpose = Column(UnicodeText, nullable=False)
    legal_basis = Column(UnicodeText, nullable=False)
    starts = Column(DateTime, nullable=False)
    ends = Column(DateTime, nullable=False)
    access_request_id = Column(UnicodeText, index=True)
    created_by = Column(UnicodeText)
    created = Column(DateTime, nullable=False, default=utcnow)
    revoked = Column(DateTime)
