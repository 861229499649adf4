"""Every route and dependency of the API is a coroutine: FastAPI runs a plain function
in its thread pool, a thread hop (and a wait for the GIL) on every request."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.app import create_app
from infra.settings import Settings


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)


def _plain_functions(dependant: Dependant) -> Iterator[str]:
    for dependency in dependant.dependencies:
        call = dependency.call
        if call is not None and not (
            inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)
        ):
            yield getattr(call, "__name__", repr(call))
        yield from _plain_functions(dependency)


def test_no_route_or_dependency_runs_in_the_thread_pool() -> None:
    routes = list(_routes(create_app(Settings()).routes))
    plain = {
        f"{route.path}: {name}"
        for route in routes
        for name in (
            [] if inspect.iscoroutinefunction(route.endpoint) else [route.endpoint.__name__]
        )
        + list(_plain_functions(route.dependant))
    }

    assert len(routes) > 40  # the whole API was walked
    assert plain == set()
