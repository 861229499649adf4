"""The chaos run's store: three locations, so that orders split and ship in parts.

`POSTER-A2` is held at `default` (the US, where the customers are) and at
`chaos-east`; `MUG-BLUE` only at `chaos-west`. An order of both ships two parcels.
"""

from __future__ import annotations

from typing import Any

import httpx

SKU = "POSTER-A2"
SPLIT_SKU = "MUG-BLUE"  # only at chaos-west: an order with it splits
LOCATIONS = [("chaos-east", "Chaos East", "DE", 10), ("chaos-west", "Chaos West", "GB", 20)]


def order_body(index: int) -> dict[str, Any]:
    """One poster; every third order a mug from another location too."""
    items = [{"sku": SKU, "quantity": 1}]
    if index % 3 == 1:
        items.append({"sku": SPLIT_SKU, "quantity": 1})
    return {
        "items": items,
        "payment": {"token": "tok_ok"},
        "shipping_address": {
            "name": f"Customer {index}",
            "line1": "1 Main St",
            "city": "Springfield",
            "postal_code": "12345",
            "country": "US",
        },
    }


async def stock_the_store(api_url: str, admin_key: str, orders: int) -> None:
    """Enough of everything for every order and its edit, spread over the locations."""
    admin = {"Authorization": f"Bearer {admin_key}"}
    async with httpx.AsyncClient(base_url=api_url, timeout=30, headers=admin) as http:
        for location_id, name, country, priority in LOCATIONS:
            made = await http.post(
                "/v1/locations",
                json={"id": location_id, "name": name, "country": country, "priority": priority},
            )
            if made.status_code != 409:  # there from an earlier run in this state
                made.raise_for_status()
        for path, on_hand in (
            (f"/v1/inventory/{SKU}", orders),
            (f"/v1/locations/chaos-east/inventory/{SKU}", orders * 2),
            (f"/v1/inventory/{SPLIT_SKU}", 0),
            (f"/v1/locations/chaos-west/inventory/{SPLIT_SKU}", orders),
        ):
            (await http.put(path, json={"on_hand": on_hand})).raise_for_status()
