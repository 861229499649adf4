"""The schema, as SQLAlchemy 2 declarative rows. Alembic migrations own the DDL."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSONB,
        datetime: DateTime(timezone=True),
    }


def table_of(row: type[Base]) -> Table:
    """The table a row class maps, for statements that read and write rows without
    loading objects (the hot paths: db/orders.py, db/shipments.py)."""
    table = row.__table__
    assert isinstance(table, Table)
    return table


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # A disabled user's keys are refused; the user and their orders stay.
    disabled_at: Mapped[datetime | None]


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ProductRow(Base):
    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    price_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(default=True)
    # Final sale when false; its own return window when set (else the shop's).
    returnable: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    return_window_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class LocationRow(Base):
    """A place stock is held and shipped from (migration 0010)."""

    __tablename__ = "locations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    priority: Mapped[int] = mapped_column(Integer, server_default=text("100"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class StockRow(Base):
    __tablename__ = "inventory"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    location_id: Mapped[str] = mapped_column(
        ForeignKey("locations.id"), primary_key=True, server_default="default"
    )
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_created", "customer_id", "created_at", "id"),
        Index("ix_orders_status_created", "status", "created_at", "id"),
        Index("ix_orders_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[int] = mapped_column(BigInteger)
    shipping_address: Mapped[dict[str, Any]]
    stock_status: Mapped[str] = mapped_column(String(20))
    payment_status: Mapped[str] = mapped_column(String(20))
    authorization_id: Mapped[str | None] = mapped_column(String(64))
    shipment_id: Mapped[str | None] = mapped_column(String(64))
    shipment_status: Mapped[str | None] = mapped_column(String(20))
    carrier: Mapped[str | None] = mapped_column(String(40))
    tracking_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    failure_reason: Mapped[str | None] = mapped_column(String(40))
    refunded_total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Undo steps that gave up: what an operator must put right by hand.
    failed_compensations: Mapped[list[str]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    lines: Mapped[list[OrderLineRow]] = relationship(
        order_by="OrderLineRow.line_no", cascade="all, delete-orphan", lazy="selectin"
    )
    # Loaded only where asked for (the read model): writers use ShipmentRepository.
    shipments: Mapped[list[ShipmentRow]] = relationship(
        order_by="ShipmentRow.number", lazy="raise", viewonly=True
    )


class OrderLineRow(Base):
    __tablename__ = "order_lines"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_amount: Mapped[int] = mapped_column(BigInteger)


class OrderAllocationRow(Base):
    """How many units of an order line are held at a location, so that they are
    released, shipped and restocked there. Orders older than locations have none:
    their units are at `default`."""

    __tablename__ = "order_allocations"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)


class ShipmentRow(Base):
    """One parcel of an order: the units of one location, booked, captured and tracked
    on its own (domain/shipments.py)."""

    __tablename__ = "shipments"
    __table_args__ = (CheckConstraint("captured_amount >= 0", name="captured"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    value_amount: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(20))
    units: Mapped[str] = mapped_column(String(20))
    carrier: Mapped[str | None] = mapped_column(String(40))
    carrier_shipment_id: Mapped[str | None] = mapped_column(String(64))
    # Shared by the rows of one parcel (an order of before shipped as one from several).
    tracking_number: Mapped[str | None] = mapped_column(String(64), index=True)
    captured_amount: Mapped[int | None] = mapped_column(BigInteger)
    delivered_at: Mapped[datetime | None]  # when the carrier says it arrived: returns count from it
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class OrderEditRow(Base):
    """An edit of an order before fulfillment: pending (its added units held), then
    applied or abandoned; `plan` is what each of its steps does (domain/edits.py)."""

    __tablename__ = "order_edits"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    plan: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class RefundRow(Base):
    """One refund of an order, whatever caused it (domain/refunds.py)."""

    __tablename__ = "refunds"
    __table_args__ = (
        UniqueConstraint("order_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="positive"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    provider_refund_id: Mapped[str | None] = mapped_column(String(120))
    failure: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(80))
    idempotency_key: Mapped[str] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class ReturnRow(Base):
    """A return of delivered units (domain/returns.py); `items` carry their unit price,
    the locations they shipped from and, once received, what the warehouse found."""

    __tablename__ = "returns"
    __table_args__ = (UniqueConstraint("order_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    expires_at: Mapped[datetime]
    refund_id: Mapped[str | None] = mapped_column(ForeignKey("refunds.id"))
    refund_amount: Mapped[int | None] = mapped_column(BigInteger)
    label_carrier: Mapped[str | None] = mapped_column(String(40))
    label_tracking_number: Mapped[str | None] = mapped_column(String(64), index=True)
    label_shipment_id: Mapped[str | None] = mapped_column(String(64))
    exchange: Mapped[dict[str, Any] | None]  # domain/returns.py Exchange
    requested_by: Mapped[str] = mapped_column(String(80))
    idempotency_key: Mapped[str] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class ClaimRow(Base):
    """A claim on delivered units (domain/claims.py): refunded, or replaced by a parcel
    of the order (`shipment_number`)."""

    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("order_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    refund_id: Mapped[str | None] = mapped_column(ForeignKey("refunds.id"))
    shipment_number: Mapped[int | None] = mapped_column(Integer)
    requested_by: Mapped[str] = mapped_column(String(80))
    idempotency_key: Mapped[str] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class OrderEventRow(Base):
    __tablename__ = "order_events"
    __table_args__ = (UniqueConstraint("order_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    type: Mapped[str] = mapped_column(String(60))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]]
    at: Mapped[datetime] = mapped_column(server_default=func.now())


class OutboxRow(Base):
    """A timeline entry not yet handed on (customer email, event brokers). Written in
    the transaction that writes the entry; the relay deletes it once delivered."""

    __tablename__ = "order_outbox"
    __table_args__ = (Index("ix_order_outbox_order_id_event_id", "order_id", "event_id"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("order_events.id", ondelete="CASCADE"), primary_key=True
    )
    order_id: Mapped[str] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxDeliveryRow(Base):
    """A timeline entry still to be handed to one sink (migration 0008): each sink has
    its own attempts and retry time, so one failing sink holds no other back. Parked
    rows failed too often and wait for an operator (`orders-admin outbox`)."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (
        Index(
            "ix_outbox_deliveries_due",
            "sink",
            "next_attempt_at",
            postgresql_where=text("parked_at IS NULL"),
        ),
        Index(
            "ix_outbox_deliveries_order",
            "sink",
            "order_id",
            "event_id",
            postgresql_where=text("parked_at IS NULL"),
        ),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("order_events.id", ondelete="CASCADE"), primary_key=True
    )
    sink: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    parked_at: Mapped[datetime | None]


class StockAdjustmentRow(Base):
    """Every manual change of on_hand, with who made it and why."""

    __tablename__ = "inventory_adjustments"
    __table_args__ = (Index("ix_inventory_adjustments_sku_id", "sku", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), server_default="default")
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    on_hand_after: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class IdempotencyKeyRow(Base):
    """A caller's Idempotency-Key, bound to one order until it expires."""

    __tablename__ = "idempotency_keys"

    caller_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(index=True)
