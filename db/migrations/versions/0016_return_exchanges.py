"""return exchanges: new items for returned ones

`returns.exchange` holds a return's exchange (JSON, null for a plain return): the new
items at the price of the day, the difference, where they are held and the
authorization of a difference due.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("returns", sa.Column("exchange", postgresql.JSONB()))


def downgrade() -> None:
    op.drop_column("returns", "exchange")
