"""The one settings object of every process (API, worker, admin command).

Values come from the environment. External parts keep the names operators know
(`DATABASE_URL`, `REDIS_URL`, `TEMPORAL_ADDRESS`, ...); everything that belongs to
the order service itself is prefixed `ORDERS_`.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.allocation import Strategy
from infra import production_secrets
from infra.payload_codec import DEVELOPMENT_KEY, DEVELOPMENT_KEY_ID
from infra.production_secrets import DEVELOPMENT_SECRET


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, f"ORDERS_{name}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "production"] = "development"
    log_format: Literal["json", "text"] = "json"
    log_level: str = "INFO"

    # External parts.
    database_url: str = Field(
        "postgresql+asyncpg://postgres@127.0.0.1:5432/orders",
        validation_alias=_env("DATABASE_URL"),
    )
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias=_env("REDIS_URL"))
    temporal_address: str = Field("127.0.0.1:7233", validation_alias=_env("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field("default", validation_alias=_env("TEMPORAL_NAMESPACE"))
    temporal_tls: bool = Field(False, validation_alias=_env("TEMPORAL_TLS"))
    temporal_tls_cert: str | None = Field(None, validation_alias=_env("TEMPORAL_TLS_CERT"))
    temporal_tls_key: str | None = Field(None, validation_alias=_env("TEMPORAL_TLS_KEY"))
    temporal_api_key: str | None = Field(None, validation_alias=_env("TEMPORAL_API_KEY"))
    task_queue: str = "orders"

    # Where `orders-api` listens, and from which proxies it trusts X-Forwarded-*.
    api_host: str = "0.0.0.0"
    api_port: int = 8000
    forwarded_allow_ips: str = "127.0.0.1"
    # The API's /metrics, on a port of its own that Prometheus scrapes and no load
    # balancer routes to (api/metrics_server.py); None: not served (an app inside
    # another process, as in tests). 9465 is the worker's SDK metrics address.
    api_metrics_port: int | None = 9466
    # How often the API refreshes the gauges it reads from elsewhere (orders awaiting
    # review, the order task queue's backlog): a fixed cost, however often it is scraped.
    api_metrics_refresh: timedelta = timedelta(seconds=15)
    # On SIGTERM: how long requests in flight (API) and running activities (worker)
    # may take to finish. Keep the pod's terminationGracePeriodSeconds above both.
    api_shutdown_grace: timedelta = timedelta(seconds=20)
    worker_shutdown_grace: timedelta = timedelta(seconds=30)

    # The worker's own HTTP endpoints (/livez, /readyz, /metrics), and where the
    # Temporal SDK publishes its runtime metrics for /metrics to include.
    worker_http_port: int = 9464
    worker_sdk_metrics_address: str = "127.0.0.1:9465"

    # Providers. Their calls run on the workflow's own task queue unless a queue of
    # their own is named here: the server then hands each call to the worker with the
    # answer to the workflow task that scheduled it, with no matching (eager dispatch,
    # ~5 ms of the server's CPU per order, docs/performance.md). A queue of its own
    # isolates a provider: its backlog waits on the server, not in the workers' slots
    # (docs/architecture.md, Decisions).
    payment_task_queue: str | None = None
    carrier_task_queue: str | None = None
    email_task_queue: str | None = None
    # Calls per second to each provider, across every worker together: a token bucket
    # per provider in Redis (activities/throttle.py), and the server's own cap on a
    # provider's queue where it has one.
    provider_rate_limits: dict[str, float] = {"payment": 50.0, "carrier": 20.0, "email": 100.0}
    # Which kinds of work this worker process takes: the workflows with their database
    # steps ("orders"), and each provider's calls. All by default; split them to scale
    # each on its own (deploy/kubernetes runs one Deployment for "orders", one for the
    # rest). A provider without a queue of its own is served on the workflows' queue.
    worker_queues: list[Literal["orders", "payment", "carrier", "email"]] = [
        "orders",
        "payment",
        "carrier",
        "email",
    ]
    max_concurrent_activities: int = 100
    # A worker's database connections: one per database step it runs at once (its
    # local-activity slots), plus a few that provider steps take around their call.
    # A step waits at most `database_pool_timeout` for one: under the 10 s attempt of a
    # database step, so a busy pool costs a retry, not a timed-out attempt.
    worker_database_connections: int = 20
    worker_database_overflow: int = 10
    database_pool_timeout: timedelta = timedelta(seconds=5)
    # Workflow tasks one worker process works on at once. Few: a CPU-bound worker that
    # takes more than it can finish in time lets them time out and start over, while
    # tasks left on the server wait at no cost for the next free slot.
    max_concurrent_workflow_tasks: int = 10
    # How long a workflow's next task waits for the worker that holds its state before
    # another worker takes it and replays the whole history (Temporal's default: 5 s).
    sticky_queue_timeout: timedelta = timedelta(seconds=20)
    # Where an order's units come from when several locations stock them
    # (domain/allocation.py): the fewest shipments, or strictly by location priority.
    allocation_strategy: Strategy = Strategy.FEWEST_SHIPMENTS
    # Every worker process runs the outbox relay (outbox/relay.py); one of them delivers
    # at a time, the others stand by. Off for workers that should only run workflows.
    outbox_relay: bool = True
    # A delivery that failed this often is parked for an operator (orders-admin outbox):
    # with backoff up to five minutes between tries, 20 attempts cover about an hour.
    outbox_max_attempts: int = Field(20, ge=1)
    # The relay starts a round (new rows fanned out, each sink's due rows delivered) at
    # most this often: under load each round's statements carry more entries (half the
    # relay's CPU per order against 50 ms rounds), for up to this much more latency.
    # An entry committed on a quiet stack still goes out ~50 ms later.
    outbox_round_interval: timedelta = Field(timedelta(milliseconds=250), ge=timedelta(0))
    # Order events for downstream systems (docs/events.md): set to publish every
    # timeline entry to RabbitMQ, e.g. amqp://guest:guest@127.0.0.1:5672/.
    amqp_url: str | None = None
    # ... and/or to Kafka (host:port[,host:port]), on this topic.
    kafka_bootstrap: str | None = None
    kafka_topic: str = "orders.events"
    # The CloudEvents `source` of those events.
    events_source: str = "/order-service"
    # Per-activity overrides of the step table in workflows/steps.py, e.g.
    # {"authorize_payment": {"start_to_close_seconds": 20, "maximum_attempts": 8}}
    activity_policies: dict[str, dict[str, float]] = {}
    payment_url: str = "http://127.0.0.1:8101"
    carrier_url: str = "http://127.0.0.1:8102"
    email_url: str = "http://127.0.0.1:8103"
    provider_timeout: timedelta = timedelta(seconds=5)

    # Secrets: production refuses them empty, shorter than 32 characters, at their
    # development defaults or shared (infra/production_secrets.py). The optional ones
    # count as unset when empty.
    webhook_secret: str = DEVELOPMENT_SECRET
    # Still accepted while the carrier switches to the new secret; unset afterwards.
    webhook_previous_secret: str | None = None
    # Timestamped webhook signatures older or newer than this are refused (replays).
    webhook_tolerance: timedelta = timedelta(minutes=5)
    # Refuse the untimestamped signature form once every carrier sends timestamps.
    webhook_require_timestamp: bool = False
    api_key_pepper: str = DEVELOPMENT_SECRET
    bootstrap_admin_key: str | None = None
    # Keys of the payload codec that encrypts what Temporal stores: key id -> 32 bytes,
    # base64. New payloads use `payload_key_id`; older ids stay for decoding.
    payload_keys: dict[str, str] = {DEVELOPMENT_KEY_ID: DEVELOPMENT_KEY}
    payload_key_id: str = DEVELOPMENT_KEY_ID
    # The codec endpoint (/codec/decode) for the Temporal UI and CLI: which browser
    # origins may call it, and whether it may answer without an ops or admin key
    # (development only: the local UI cannot send one).
    codec_cors_origins: list[str] = ["http://127.0.0.1:8233", "http://localhost:8233"]
    codec_open: bool = False

    # Business rules.
    currency: str = "USD"
    review_threshold: int = 100_000  # minor units; orders above it wait for an ops review
    review_timeout: timedelta = timedelta(hours=24)
    payment_retry_bound: timedelta = timedelta(minutes=10)
    # How long a refund is asked of the payment provider before it is flagged `failed`.
    refund_retry_bound: timedelta = timedelta(hours=1)
    # Returns: how long after its delivery a unit may be returned (a product may set
    # its own), how long the customer has to ship it back once asked, and above what
    # value an operator reviews it first (None: the order review threshold).
    return_window_days: int = Field(30, ge=0)
    return_ship_by_days: int = Field(14, ge=1)
    return_review_threshold: int | None = Field(None, ge=0)
    shipping_retry_bound: timedelta = timedelta(minutes=10)
    capture_retry_bound: timedelta = timedelta(hours=24)
    compensation_retry_bound: timedelta = timedelta(days=7)
    # No tracking webhook for this long: the saga asks the carrier itself, and waits
    # twice as long after each silent answer, up to the longest interval.
    tracking_poll_interval: timedelta = timedelta(minutes=5)
    tracking_poll_max_interval: timedelta = timedelta(hours=6)
    # A parcel not delivered this long after booking is flagged for an operator.
    delivery_window: timedelta = timedelta(days=30)
    # How long a capture is retried once its parcel cannot be called back.
    authorization_hold: timedelta = timedelta(days=5)

    # Rate limits: a token bucket per caller, `quota` requests per `window`, refilled
    # continuously. Keys are "role:tier" (customers) or "role".
    rate_limit_window: int = 60
    rate_limits: dict[str, int] = {
        "customer:standard": 120,
        "customer:premium": 600,
        "ops": 1200,
        "admin": 1200,
    }
    # What to do when Redis cannot be asked: let requests through (and log and count
    # it) or refuse them with 503.
    rate_limit_fail_open: bool = True

    # Load shedding of order creation, by customer tier: past either bound (requests in
    # flight in this API process, workflow tasks waiting in the order task queue) new
    # orders get 503 + Retry-After. Standard orders are shed before premium ones.
    shed_in_flight: dict[str, int] = {"standard": 200, "premium": 400}
    shed_backlog: dict[str, int] = {"standard": 2_000, "premium": 10_000}
    shed_retry_after: int = 5

    # How long an Idempotency-Key names its order; after that the key is new again.
    idempotency_window: timedelta = timedelta(hours=24)

    # HTTP edge.
    max_body_bytes: int = 64 * 1024
    placement_timeout: timedelta = timedelta(seconds=15)
    # How long review and cancel wait for the workflow to finish what the decision
    # started before answering with `in_background: true`; the decision itself is
    # taken (durably accepted by the workflow) before any answer.
    update_wait: timedelta = timedelta(seconds=3)
    dependency_timeout: timedelta = timedelta(seconds=2)
    # GET /v1/orders/{id}/events/stream: how soon a client reconnects after the stream
    # ends (its `retry:`), how long it stays silent before a heartbeat keeps proxies
    # from closing it, how long one connection lasts before the client resumes with
    # Last-Event-ID (its key checked again), and how many one caller may hold open
    # across every replica.
    event_stream_retry: timedelta = timedelta(seconds=1)
    event_stream_heartbeat: timedelta = timedelta(seconds=15)
    event_stream_lifetime: timedelta = timedelta(minutes=30)
    event_stream_max_per_caller: int = Field(20, ge=1)

    @property
    def provider_task_queues(self) -> dict[str, str]:
        """The task queue of each provider's calls, by the provider's name: its own, or
        the workflow's."""
        return {
            "payment": self.payment_task_queue or self.task_queue,
            "carrier": self.carrier_task_queue or self.task_queue,
            "email": self.email_task_queue or self.task_queue,
        }

    @field_validator("webhook_previous_secret", "bootstrap_admin_key")
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> Settings:
        problems = production_secrets.bad_payload_keys(self.payload_keys)
        if self.payload_key_id not in self.payload_keys:
            problems.append("ORDERS_PAYLOAD_KEY_ID must name one of ORDERS_PAYLOAD_KEYS")
        if self.environment == "production":
            previous = self.webhook_previous_secret
            secrets = {
                "ORDERS_API_KEY_PEPPER": self.api_key_pepper,
                "ORDERS_WEBHOOK_SECRET": self.webhook_secret,
                # The same as the current one is pointless, not unsafe.
                "ORDERS_WEBHOOK_PREVIOUS_SECRET": None
                if previous == self.webhook_secret
                else previous,
                "ORDERS_BOOTSTRAP_ADMIN_KEY": self.bootstrap_admin_key,
            }
            problems += production_secrets.production_refusals(secrets, self.payload_keys)
            if self.codec_open:
                problems.append("ORDERS_CODEC_OPEN is for development only")
        if problems:
            raise ValueError("\n".join(problems))
        return self


def variable_of(field: str) -> str:
    """The environment variable a setting is read from."""
    known = Settings.model_fields.get(field)
    alias = known.validation_alias if known else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"ORDERS_{field.upper()}"


def settings_or_exit(program: str) -> Settings:
    """The process's settings; a refused one ends the process at start with one line
    per refusal on stderr, naming the variable (no traceback, no value)."""
    try:
        return get_settings()
    except ValidationError as error:
        lines = refused_settings(error)
        raise SystemExit("\n".join(f"{program}: {line}" for line in lines)) from None


def refused_settings(error: ValidationError) -> list[str]:
    """One line per refused setting, naming its variable and never its value."""
    return production_secrets.refusals(error, variable_of)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
