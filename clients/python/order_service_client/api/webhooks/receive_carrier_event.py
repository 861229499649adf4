from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.receive_carrier_event_carrier_event_in import ReceiveCarrierEventCarrierEventIn
from ...models.receive_carrier_event_response_receive_carrier_event import (
    ReceiveCarrierEventResponseReceiveCarrierEvent,
)
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: ReceiveCarrierEventCarrierEventIn,
    x_signature: None | str | Unset = UNSET,
    x_signature_timestamp: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_signature, Unset):
        headers["x-signature"] = x_signature

    if not isinstance(x_signature_timestamp, Unset):
        headers["x-signature-timestamp"] = x_signature_timestamp

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/webhooks/carrier",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | ReceiveCarrierEventResponseReceiveCarrierEvent | None:
    if response.status_code == 202:
        response_202 = ReceiveCarrierEventResponseReceiveCarrierEvent.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | ReceiveCarrierEventResponseReceiveCarrierEvent]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ReceiveCarrierEventCarrierEventIn,
    x_signature: None | str | Unset = UNSET,
    x_signature_timestamp: None | str | Unset = UNSET,
) -> Response[Problem | ReceiveCarrierEventResponseReceiveCarrierEvent]:
    """Receive a carrier tracking event

     Applies `in_transit`, `delivered` or `exception` to the order shipped under this
    tracking number. The same event twice is applied once.

    Args:
        x_signature (None | str | Unset): `sha256=<hex HMAC-SHA256 with the shared secret>` of the
            raw body, or of `<X-Signature-Timestamp>.<raw body>` when a timestamp is sent
        x_signature_timestamp (None | str | Unset): Unix seconds when the carrier signed; must be
            within the window
        body (ReceiveCarrierEventCarrierEventIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ReceiveCarrierEventResponseReceiveCarrierEvent]
    """

    kwargs = _get_kwargs(
        body=body,
        x_signature=x_signature,
        x_signature_timestamp=x_signature_timestamp,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: ReceiveCarrierEventCarrierEventIn,
    x_signature: None | str | Unset = UNSET,
    x_signature_timestamp: None | str | Unset = UNSET,
) -> Problem | ReceiveCarrierEventResponseReceiveCarrierEvent | None:
    """Receive a carrier tracking event

     Applies `in_transit`, `delivered` or `exception` to the order shipped under this
    tracking number. The same event twice is applied once.

    Args:
        x_signature (None | str | Unset): `sha256=<hex HMAC-SHA256 with the shared secret>` of the
            raw body, or of `<X-Signature-Timestamp>.<raw body>` when a timestamp is sent
        x_signature_timestamp (None | str | Unset): Unix seconds when the carrier signed; must be
            within the window
        body (ReceiveCarrierEventCarrierEventIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ReceiveCarrierEventResponseReceiveCarrierEvent
    """

    return sync_detailed(
        client=client,
        body=body,
        x_signature=x_signature,
        x_signature_timestamp=x_signature_timestamp,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ReceiveCarrierEventCarrierEventIn,
    x_signature: None | str | Unset = UNSET,
    x_signature_timestamp: None | str | Unset = UNSET,
) -> Response[Problem | ReceiveCarrierEventResponseReceiveCarrierEvent]:
    """Receive a carrier tracking event

     Applies `in_transit`, `delivered` or `exception` to the order shipped under this
    tracking number. The same event twice is applied once.

    Args:
        x_signature (None | str | Unset): `sha256=<hex HMAC-SHA256 with the shared secret>` of the
            raw body, or of `<X-Signature-Timestamp>.<raw body>` when a timestamp is sent
        x_signature_timestamp (None | str | Unset): Unix seconds when the carrier signed; must be
            within the window
        body (ReceiveCarrierEventCarrierEventIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ReceiveCarrierEventResponseReceiveCarrierEvent]
    """

    kwargs = _get_kwargs(
        body=body,
        x_signature=x_signature,
        x_signature_timestamp=x_signature_timestamp,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ReceiveCarrierEventCarrierEventIn,
    x_signature: None | str | Unset = UNSET,
    x_signature_timestamp: None | str | Unset = UNSET,
) -> Problem | ReceiveCarrierEventResponseReceiveCarrierEvent | None:
    """Receive a carrier tracking event

     Applies `in_transit`, `delivered` or `exception` to the order shipped under this
    tracking number. The same event twice is applied once.

    Args:
        x_signature (None | str | Unset): `sha256=<hex HMAC-SHA256 with the shared secret>` of the
            raw body, or of `<X-Signature-Timestamp>.<raw body>` when a timestamp is sent
        x_signature_timestamp (None | str | Unset): Unix seconds when the carrier signed; must be
            within the window
        body (ReceiveCarrierEventCarrierEventIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ReceiveCarrierEventResponseReceiveCarrierEvent
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_signature=x_signature,
            x_signature_timestamp=x_signature_timestamp,
        )
    ).parsed
