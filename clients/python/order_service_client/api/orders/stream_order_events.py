from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.stream_order_events_response_200 import StreamOrderEventsResponse200
from ...types import UNSET, Response, Unset


def _get_kwargs(
    order_id: str,
    *,
    last_event_id: int | None | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(last_event_id, Unset):
        headers["Last-Event-ID"] = last_event_id

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/orders/{order_id}/events/stream".format(
            order_id=quote(str(order_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | StreamOrderEventsResponse200 | None:
    if response.status_code == 200:
        response_200 = StreamOrderEventsResponse200.from_dict(response.text)

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | StreamOrderEventsResponse200]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    order_id: str,
    *,
    client: AuthenticatedClient,
    last_event_id: int | None | Unset = UNSET,
) -> Response[Problem | StreamOrderEventsResponse200]:
    """Follow an order's timeline live (Server-Sent Events)

     Same access rules as the order. Reconnect with `Last-Event-ID` to resume.

    Args:
        order_id (str):
        last_event_id (int | None | Unset): Resume after this entry: what a browser's EventSource
            sends.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | StreamOrderEventsResponse200]
    """

    kwargs = _get_kwargs(
        order_id=order_id,
        last_event_id=last_event_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    order_id: str,
    *,
    client: AuthenticatedClient,
    last_event_id: int | None | Unset = UNSET,
) -> Problem | StreamOrderEventsResponse200 | None:
    """Follow an order's timeline live (Server-Sent Events)

     Same access rules as the order. Reconnect with `Last-Event-ID` to resume.

    Args:
        order_id (str):
        last_event_id (int | None | Unset): Resume after this entry: what a browser's EventSource
            sends.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | StreamOrderEventsResponse200
    """

    return sync_detailed(
        order_id=order_id,
        client=client,
        last_event_id=last_event_id,
    ).parsed


async def asyncio_detailed(
    order_id: str,
    *,
    client: AuthenticatedClient,
    last_event_id: int | None | Unset = UNSET,
) -> Response[Problem | StreamOrderEventsResponse200]:
    """Follow an order's timeline live (Server-Sent Events)

     Same access rules as the order. Reconnect with `Last-Event-ID` to resume.

    Args:
        order_id (str):
        last_event_id (int | None | Unset): Resume after this entry: what a browser's EventSource
            sends.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | StreamOrderEventsResponse200]
    """

    kwargs = _get_kwargs(
        order_id=order_id,
        last_event_id=last_event_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    order_id: str,
    *,
    client: AuthenticatedClient,
    last_event_id: int | None | Unset = UNSET,
) -> Problem | StreamOrderEventsResponse200 | None:
    """Follow an order's timeline live (Server-Sent Events)

     Same access rules as the order. Reconnect with `Last-Event-ID` to resume.

    Args:
        order_id (str):
        last_event_id (int | None | Unset): Resume after this entry: what a browser's EventSource
            sends.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | StreamOrderEventsResponse200
    """

    return (
        await asyncio_detailed(
            order_id=order_id,
            client=client,
            last_event_id=last_event_id,
        )
    ).parsed
