# One image for every service of the pipeline; the service is chosen by the command:
#   docker run era-pipeline ingest --watch /var/lib/era/inbox
#   docker run era-pipeline worker classifier
#   docker run era-pipeline worker router
#   docker run era-pipeline topics create
# Build from the repository root: docker build -t era-pipeline .
# The base is pinned to one Python release on one Debian release (a floating 3.11-slim would
# change under a rebuild); raise it deliberately, e.g. --build-arg PYTHON_IMAGE=python:3.11.15-slim-bookworm,
# or pin a digest: python:3.11.14-slim-bookworm@sha256:<digest of your registry's image>.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/era
COPY pyproject.toml setup.py README.md ./
COPY lib/ lib/
COPY cli/ cli/
COPY services/ services/
COPY schemas/ schemas/
# The parser's compiled helpers (era_ingest/x12/_speedups.c) need a C compiler and OpenSSL's
# header at build time only: installed and purged in this one layer (their versions never reach
# the image, hence no pins).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libssl-dev \
    && pip install . \
    && python -c "from era_ingest.x12 import speedups; assert speedups.COMPILED" \
    && apt-get purge -y --auto-remove gcc libc6-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/* build \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/era --shell /usr/sbin/nologin era \
    && mkdir -p /var/lib/era/inbox \
    && chown -R 10001:10001 /var/lib/era

# The Avro contract ships inside the installed package (era_contract/schemas, package data);
# metrics pages listen on every interface of the container. The drop folder /var/lib/era/inbox
# is a volume.
ENV ERA_INGEST_METRICS_HOST=0.0.0.0 \
    ERA_CLASSIFIER_METRICS_HOST=0.0.0.0 \
    ERA_ROUTER_METRICS_HOST=0.0.0.0

# The working directory: writable, owned by era (faust's data directory goes under /tmp).
WORKDIR /var/lib/era
USER 10001:10001
VOLUME ["/var/lib/era/inbox"]
EXPOSE 8001 8002 8003

ENTRYPOINT ["era"]
CMD ["--help"]
