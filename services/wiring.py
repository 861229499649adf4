"""Every use case of the service, built once per process over what its bootstrap made.
The API and `orders-admin` each hold one `Services` and call nothing else to act."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from db.order_reads import OrderReads
from domain.users import Tier
from infra.bootstrap import Bootstrap
from services.accounts import Accounts
from services.carrier_events import CarrierEvents
from services.catalog import Catalog
from services.claims import Claims
from services.inventory import Inventory
from services.locations import Locations
from services.order_feed import OrderFeed
from services.orders import Orders
from services.outbox import ParkedDeliveries
from services.placing import OrderPlacing
from services.refunds import Refunds
from services.return_parcels import ReturnParcels
from services.returns import Returns


async def admit_everyone(tier: Tier) -> None:
    """No load shedding: what a tool with one operator uses."""


@dataclass(frozen=True)
class Services:
    placing: OrderPlacing
    orders: Orders
    refunds: Refunds
    returns: Returns
    claims: Claims
    carrier_events: CarrierEvents
    accounts: Accounts
    catalog: Catalog
    inventory: Inventory
    locations: Locations
    parked_deliveries: ParkedDeliveries
    order_feed: OrderFeed  # started by the processes that serve live streams

    @classmethod
    async def build(
        cls,
        boot: Bootstrap,
        *,
        lazy_temporal: bool = False,
        admit: Callable[[Tier], Awaitable[None]] = admit_everyone,
    ) -> Services:
        """`admit` may refuse a new order of a tier while the service is overloaded."""
        settings = boot.settings
        temporal = await boot.temporal(
            lazy=lazy_temporal, give_up_after=settings.dependency_timeout
        )
        unit_of_work = boot.unit_of_work_factory()
        reads = OrderReads(boot.autocommit_engine())
        returns = Returns(settings, unit_of_work, temporal)
        claims = Claims(settings, unit_of_work, temporal)
        return cls(
            placing=OrderPlacing(
                settings, unit_of_work=unit_of_work, reads=reads, temporal=temporal, admit=admit
            ),
            orders=Orders(settings, reads, temporal),
            refunds=Refunds(settings, unit_of_work, temporal),
            returns=returns,
            claims=claims,
            carrier_events=CarrierEvents(
                reads, unit_of_work, temporal, ReturnParcels(unit_of_work, temporal), claims
            ),
            accounts=Accounts(
                unit_of_work, settings.api_key_pepper, boot.autocommit_unit_factory()
            ),
            catalog=Catalog(unit_of_work, settings.currency),
            inventory=Inventory(unit_of_work),
            locations=Locations(unit_of_work),
            parked_deliveries=ParkedDeliveries(boot.engine()),
            order_feed=OrderFeed(boot.engine("feed", pool_size=1, max_overflow=0)),
        )
