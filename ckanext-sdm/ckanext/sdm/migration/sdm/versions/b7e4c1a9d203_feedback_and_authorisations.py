"""Create the demand, demand-support, quality-report and authorisation tables

Revision ID: b7e4c1a9d203
Revises: 8c1d2e3f4a5b
Create Date: 2026-12-03 00:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b7e4c1a9d203"
down_revision = "8c1d2e3f4a5b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sdm_demand",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("user_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("subject", sa.UnicodeText, nullable=False),
        sa.Column("purpose", sa.UnicodeText, nullable=False),
        sa.Column("discipline", sa.UnicodeText),
        sa.Column("owner_org", sa.UnicodeText, index=True),
        sa.Column("package_id", sa.UnicodeText, index=True),
        sa.Column("contact", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False),
        sa.Column("answer", sa.UnicodeText),
        sa.Column("answered_by", sa.UnicodeText),
        sa.Column("answered", sa.DateTime),
        sa.Column("fulfilled_by", sa.UnicodeText),
    )
    op.create_table(
        "sdm_demand_support",
        sa.Column("demand_id", sa.UnicodeText, primary_key=True),
        sa.Column("user_id", sa.UnicodeText, primary_key=True),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sdm_quality_report",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("user_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("problem", sa.UnicodeText, nullable=False),
        sa.Column("field", sa.UnicodeText),
        sa.Column("description", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False),
        sa.Column("answer", sa.UnicodeText),
        sa.Column("answered_by", sa.UnicodeText),
        sa.Column("answered", sa.DateTime),
    )
    op.create_table(
        "sdm_authorisation",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("unit", sa.UnicodeText, nullable=False),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("scope", sa.UnicodeText, nullable=False),
        sa.Column("purpose", sa.UnicodeText, nullable=False),
        sa.Column("legal_basis", sa.UnicodeText, nullable=False),
        sa.Column("starts", sa.DateTime, nullable=False),
        sa.Column("ends", sa.DateTime, nullable=False),
        sa.Column("access_request_id", sa.UnicodeText, index=True),
        sa.Column("created_by", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("revoked", sa.DateTime),
    )


def downgrade() -> None:
    for table in ("sdm_authorisation", "sdm_quality_report", "sdm_demand_support", "sdm_demand"):
        op.drop_table(table)
