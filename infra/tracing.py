"""OpenTelemetry tracing across the API, Temporal, provider calls and SQL.

Off by default. It switches on through the standard variables: an OTLP endpoint
(`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or
`OTEL_TRACES_EXPORTER=otlp`, unless `OTEL_SDK_DISABLED=true`. The exporter reads
the rest of the `OTEL_*` variables itself. One trace then runs from
`POST /v1/orders` through the workflow to each activity, each provider call and
each SQL statement: Temporal carries the context in workflow and activity headers.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def wanted() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or os.environ.get("OTEL_TRACES_EXPORTER") == "otlp"
    )


def active() -> bool:
    """Whether a real tracer provider is installed (by `configure` or by a test)."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def configure(service_name: str) -> None:
    """Installs an OTLP-exporting provider when the environment asks for one."""
    if active() or not wanted():
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def temporal_interceptors() -> list[Any]:
    if not active():
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]


def instrument_api(app: FastAPI) -> None:
    if active():
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls="livez,readyz,metrics")


def instrument_database() -> None:
    """Spans for every PostgreSQL statement, made by asyncpg in the caller's context (so
    they nest under the request or activity that ran them)."""
    if active():
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
