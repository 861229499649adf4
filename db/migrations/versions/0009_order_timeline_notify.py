"""a notification per order when its timeline grows, for live streams

Each statement that adds timeline entries notifies `order_timeline` once per order it
touched, with the order id as payload. An API process LISTENs on one connection and
wakes only the streams that follow those orders (services/order_feed.py), instead of
each open stream asking the database every second.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION notify_order_timeline() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('order_timeline', added.order_id)
            FROM (SELECT DISTINCT order_id FROM added_entries) AS added;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER order_timeline_added AFTER INSERT ON order_events "
        "REFERENCING NEW TABLE AS added_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION notify_order_timeline()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER order_timeline_added ON order_events")
    op.execute("DROP FUNCTION notify_order_timeline()")
