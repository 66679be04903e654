"""Create the submission, access-request, audit and blacklist tables

Revision ID: 8c1d2e3f4a5b
Revises:
Create Date: 2026-05-01 00:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "8c1d2e3f4a5b"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sdm_submission",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("number", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("issued", sa.DateTime, nullable=False),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("owner_org", sa.UnicodeText, index=True),
        sa.Column("project_number", sa.UnicodeText, nullable=False, index=True),
        sa.Column("created_by", sa.UnicodeText),
        sa.Column("certificate", JSONB, nullable=False),
    )
    op.create_table(
        "sdm_access_request",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("user_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("purpose", sa.UnicodeText, nullable=False),
        sa.Column("intended_use", sa.UnicodeText, nullable=False),
        sa.Column("free_use_purpose", sa.UnicodeText),
        sa.Column("applicant_unit", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False),
        sa.Column("reason", sa.UnicodeText),
        sa.Column("decided_by", sa.UnicodeText),
        sa.Column("decided", sa.DateTime),
        sa.Column("expires", sa.DateTime),
        sa.Column("fee_waived", sa.Boolean, nullable=False),
    )
    op.create_table(
        "sdm_audit",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("user_name", sa.UnicodeText),
        sa.Column("address", sa.UnicodeText),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("package_id", sa.UnicodeText, index=True),
        sa.Column("resource_id", sa.UnicodeText),
        sa.Column("outcome", sa.UnicodeText, nullable=False),
        sa.Column("detail", sa.UnicodeText),
    )
    op.create_index("sdm_audit_at_idx", "sdm_audit", ["at"])
    op.create_table(
        "sdm_blacklist",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("user_id", sa.UnicodeText, index=True),
        sa.Column("network", sa.UnicodeText),
        sa.Column("reason", sa.UnicodeText, nullable=False),
        sa.Column("created_by", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("sdm_blacklist", "sdm_audit", "sdm_access_request", "sdm_submission"):
        op.drop_table(table)
