"""Demo data for the local stack: a small catalog with stock, and three users whose
keys are kept in the state folder so every `make dev` prints the same ones."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from db.engine import make_engine, make_session_factory
from db.unit_of_work import UnitOfWork
from domain.api_keys import KEY_PREFIX
from domain.inventory import StockItem
from domain.users import Role, Tier
from services.accounts import Accounts, NewUser

# sku, name, price in cents, units on hand
DEMO_CATALOG = [
    ("TSHIRT-M", "Organic cotton T-shirt, M", 1999, 100),
    ("MUG-BLUE", "Blue enamel mug", 1250, 50),
    ("POSTER-A2", "Temporal saga poster, A2", 800, 200),
    ("HEADPHONES", "Studio headphones", 149_900, 5),
]

DEMO_USERS = [
    ("admin", "admin@example.com", "Demo admin", Role.ADMIN, Tier.STANDARD),
    ("ops", "ops@example.com", "Demo operator", Role.OPS, Tier.STANDARD),
    ("customer", "customer@example.com", "Demo customer", Role.CUSTOMER, Tier.STANDARD),
]


@dataclass(frozen=True)
class DemoKeys:
    admin: str
    ops: str
    customer: str


def load_or_create_keys(path: Path) -> DemoKeys:
    if path.exists():
        return DemoKeys(**json.loads(path.read_text()))
    keys = {role: KEY_PREFIX + secrets.token_urlsafe(32) for role, *_ in DEMO_USERS}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys, indent=2))
    path.chmod(0o600)
    return DemoKeys(**keys)


async def seed(database_url: str, pepper: str, currency: str, keys: DemoKeys) -> None:
    engine = make_engine(database_url)
    try:
        sessions = make_session_factory(engine)
        async with UnitOfWork(sessions) as uow:
            existing = await uow.products.get_many(sku for sku, *_ in DEMO_CATALOG)
            for sku, name, price, on_hand in DEMO_CATALOG:
                if sku in existing:
                    continue
                await uow.products.create(sku=sku, name=name, price_amount=price, currency=currency)
                uow.stock.add(StockItem(sku, on_hand))
            await uow.commit()
        accounts = Accounts(lambda: UnitOfWork(sessions), pepper)
        for role, email, name, user_role, tier in DEMO_USERS:
            await accounts.ensure_user_with_key(
                NewUser(email, name, user_role, tier), getattr(keys, role)
            )
    finally:
        await engine.dispose()
