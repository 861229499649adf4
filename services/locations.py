"""Locations: where stock is held and shipped from. Admins add and change them; a
location made inactive takes no new allocations (what it holds already still ships)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from db.unit_of_work import UnitOfWork
from domain.allocation import Location
from domain.errors import LocationNotFound, LocationTaken


@dataclass(frozen=True)
class ChangeLocation:
    """Only what is given changes."""

    location_id: str
    name: str | None = None
    country: str | None = None
    priority: int | None = None
    active: bool | None = None


class Locations:
    def __init__(self, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def all(self) -> list[Location]:
        """In priority order, then by id."""
        async with self._unit_of_work() as uow:
            return await uow.locations.all()

    async def get(self, location_id: str) -> Location:
        async with self._unit_of_work() as uow:
            location = await uow.locations.get(location_id)
        if location is None:
            raise LocationNotFound(location_id)
        return location

    async def create(self, location: Location) -> Location:
        """Raises LocationTaken for an id in use."""
        try:
            async with self._unit_of_work() as uow:
                await uow.locations.create(location)
                await uow.commit()
        except IntegrityError:
            raise LocationTaken(location.id) from None
        return await self.get(location.id)

    async def change(self, command: ChangeLocation) -> Location:
        changes: dict[str, Any] = {
            name: value
            for name in ("name", "country", "priority", "active")
            if (value := getattr(command, name)) is not None
        }
        async with self._unit_of_work() as uow:
            if not await uow.locations.change(command.location_id, changes):
                raise LocationNotFound(command.location_id)
            await uow.commit()
        return await self.get(command.location_id)
