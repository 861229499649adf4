"""`async with uow:` opens one transaction; it rolls back unless `await uow.commit()`."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.catalog import ProductRepository
from db.claims import ClaimRepository
from db.edits import EditRepository
from db.idempotency import IdempotencyRepository
from db.locations import LocationRepository
from db.orders import OrderRepository
from db.refunds import RefundRepository
from db.returns import ReturnRepository
from db.shipments import ShipmentRepository
from db.stock import StockRepository
from db.users import UserRepository
from domain.order import Order
from domain.shipments import Shipment


class UnitOfWork:
    orders: OrderRepository
    stock: StockRepository
    products: ProductRepository
    users: UserRepository
    idempotency: IdempotencyRepository
    locations: LocationRepository
    shipments: ShipmentRepository
    edits: EditRepository
    refunds: RefundRepository
    returns: ReturnRepository
    claims: ClaimRepository
    session: AsyncSession

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self.orders = OrderRepository(self.session)
        self.stock = StockRepository(self.session)
        self.products = ProductRepository(self.session)
        self.users = UserRepository(self.session)
        self.idempotency = IdempotencyRepository(self.session)
        self.locations = LocationRepository(self.session)
        self.shipments = ShipmentRepository(self.session)
        self.edits = EditRepository(self.session)
        self.refunds = RefundRepository(self.session)
        self.returns = ReturnRepository(self.session)
        self.claims = ClaimRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches the loaded rows
        # without expiring them, so they stay readable after the block.
        await self.session.close()

    async def order_with_parcels(
        self, order_id: str, *, lock: bool = True
    ) -> tuple[Order, list[Shipment]] | None:
        """The order and its parcels, read in one round trip (locked by default: the
        order's row first, then its parcels')."""
        return await self.orders.get_with_parcels(order_id, self.shipments, lock=lock)

    async def commit(self) -> None:
        await self.session.commit()
