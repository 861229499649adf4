# One image for every process of the order service; the command picks which:
#   orders-api (default) | orders-worker | orders-admin ... | orders-migrate
#   | uvicorn simulators.payment:app --host 0.0.0.0 --port 8101 (and carrier, email)
# Build: docker build -t order-service .

ARG PYTHON_VERSION=3.11

# -- build: a virtualenv with the service and its runtime dependencies only --------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > /tmp/requirements.txt \
    && pip install --requirement /tmp/requirements.txt
COPY worker.py ./
COPY activities ./activities
COPY api ./api
COPY benchmarks ./benchmarks
COPY cli ./cli
COPY db ./db
COPY devstack ./devstack
COPY domain ./domain
COPY outbox ./outbox
COPY providers ./providers
COPY consumers ./consumers
COPY infra ./infra
COPY services ./services
COPY simulators ./simulators
COPY workflows ./workflows
RUN pip install --no-deps .

# -- runtime: the virtualenv on a slim Python, as an unprivileged user -------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime

RUN groupadd --system --gid 10001 orders \
    && useradd --system --uid 10001 --gid orders --home-dir /home/orders --create-home orders \
    && install --directory --owner orders --group orders /home/orders/state
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ORDERS_ENVIRONMENT=production \
    ORDERS_LOG_FORMAT=json \
    SIMULATOR_STATE_DIR=/home/orders/state
WORKDIR /home/orders
USER 10001:10001

# The API, the API's /metrics, the worker's /livez, /readyz and /metrics.
EXPOSE 8000 9466 9464
# Set ORDERS_HEALTHCHECK_URL for processes other than the API (infra/healthcheck.py).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "infra.healthcheck"]
# SIGTERM reaches the process itself (exec form, no shell), so the API drains its
# requests and the worker finishes its running activities before exiting.
STOPSIGNAL SIGTERM
CMD ["orders-api"]
