"""The Temporal connection of every process, chosen by settings (local dev server,
self-hosted cluster with mTLS, or Temporal Cloud with an API key)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import temporalio.converter
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import RetryConfig, TLSConfig

from infra import tracing
from infra.payload_codec import EncryptionCodec
from infra.payload_types import PayloadConverter
from infra.settings import Settings


def data_converter(settings: Settings) -> temporalio.converter.DataConverter:
    """The default converter, our own dataclasses decoded with their field types
    resolved once (infra/payload_types.py), every payload encrypted on its way to
    Temporal."""
    return dataclasses.replace(
        temporalio.converter.default(),
        payload_converter_class=PayloadConverter,
        payload_codec=EncryptionCodec(settings.payload_keys, settings.payload_key_id),
    )


async def connect_temporal(
    settings: Settings,
    *,
    lazy: bool = False,
    runtime: Runtime | None = None,
    give_up_after: timedelta | None = None,
) -> Client:
    """`lazy` defers the first connection to the first call, so the API can start (and
    report itself unready) while Temporal is down. `give_up_after` bounds how long a
    call retries an unreachable server (the SDK's default is 10 s): the API answers a
    503 sooner, and its clients retry with their key."""
    tls: TLSConfig | bool = settings.temporal_tls or settings.temporal_api_key is not None
    if settings.temporal_tls_cert and settings.temporal_tls_key:
        tls = TLSConfig(
            client_cert=Path(settings.temporal_tls_cert).read_bytes(),
            client_private_key=Path(settings.temporal_tls_key).read_bytes(),
        )
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        tls=tls,
        api_key=settings.temporal_api_key,
        lazy=lazy,
        runtime=runtime,
        retry_config=(
            RetryConfig(max_elapsed_time_millis=int(give_up_after.total_seconds() * 1000))
            if give_up_after
            else None
        ),
        data_converter=data_converter(settings),
        interceptors=tracing.temporal_interceptors(),
    )
