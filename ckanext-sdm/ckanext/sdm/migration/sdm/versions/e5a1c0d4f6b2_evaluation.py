"""Create the evaluation tables: unit snapshots, dataset results, link checks

Revision ID: e5a1c0d4f6b2
Revises: b7e4c1a9d203
Create Date: 2026-12-03 07:20:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "e5a1c0d4f6b2"
down_revision = "b7e4c1a9d203"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sdm_evaluation",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("day", sa.Date, nullable=False, index=True),
        sa.Column("unit", sa.UnicodeText, nullable=False, index=True),
        sa.Column("score", sa.Float),
        sa.Column("band", sa.UnicodeText),
        sa.Column("datasets", sa.Integer, nullable=False),
        sa.Column("card", JSONB, nullable=False),
        sa.UniqueConstraint("day", "unit"),
    )
    op.create_table(
        "sdm_evaluation_dataset",
        sa.Column("package_id", sa.UnicodeText, primary_key=True),
        sa.Column("owner_org", sa.UnicodeText, index=True),
        sa.Column("evaluated", sa.DateTime, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("result", JSONB, nullable=False),
    )
    op.create_table(
        "sdm_link_check",
        sa.Column("url", sa.UnicodeText, primary_key=True),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False),
        sa.Column("checked", sa.UnicodeText, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sdm_link_check")
    op.drop_table("sdm_evaluation_dataset")
    op.drop_table("sdm_evaluation")
