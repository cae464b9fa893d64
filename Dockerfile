# One image for both services; the command chooses which one runs:
#   docker build -t returnee-registry .
#   docker run --rm -p 8000:8000 -e INTAKE_DATABASE_URL=... returnee-registry \
#       intake-api serve --host 0.0.0.0 --port 8000
#   docker run --rm -p 8001:8001 -e PORT=8001 -e DOCS_DATABASE_URL=... returnee-registry \
#       docs-service serve --host 0.0.0.0 --port 8001
#   docker run --rm -e INTAKE_DATABASE_URL=... returnee-registry intake-api migrate
# PORT only tells the HEALTHCHECK where to look: keep it equal to --port.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- builder: a virtualenv at /opt/venv holding the project and its dependencies ----------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /build

# Dependencies first, from pyproject.toml alone, so that editing src/ reuses this layer.
COPY pyproject.toml README.md ./
RUN mkdir src && pip install . && pip uninstall --yes returnee-registry

# Then the project itself (not editable: the runtime stage has no source tree).
COPY src ./src
COPY alembic.ini ./
COPY alembic ./alembic
RUN pip install --no-deps . \
    && intake-api --help >/dev/null \
    && docs-service --help >/dev/null

# ---- runtime: slim Python, the venv, the migrations, a non-root user --------------------
FROM ${PYTHON_IMAGE} AS runtime

# tini as PID 1 forwards SIGTERM to the server and reaps its worker processes.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000 \
    ALEMBIC_CONFIG=/app/alembic.ini

COPY --from=builder /opt/venv /opt/venv

# The migrations (found through ALEMBIC_CONFIG); owned by root, read-only to the app.
WORKDIR /app
COPY --from=builder /build/alembic.ini ./alembic.ini
COPY --from=builder /build/alembic ./alembic
# The one place the app user may write (a local SQLite file when no database URL is given).
RUN mkdir var && chown app:app var

# Numeric, so that orchestrators can verify runAsNonRoot.
USER 10001:10001

EXPOSE 8000 8001

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4); raise SystemExit(0 if r.status == 200 else 1)"]

ENTRYPOINT ["tini", "--"]
CMD ["intake-api", "serve", "--host", "0.0.0.0", "--port", "8000"]
