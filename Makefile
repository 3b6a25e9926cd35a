# Firstloan: the two commands a newcomer needs are `make up` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: up down status logs reset test lint unit demo bench chaos

up:  ## install what is missing, start Kafka, PostgreSQL and the five services (CLUSTER=3: three Kafka nodes)
	@deploy/stack.sh up

demo:  ## replace local data with a simulated campaign, played live (dashboard on :8104)
	@deploy/bootstrap.sh
	@.venv/bin/firstloan demo

down:  ## stop what `make up` started
	@deploy/stack.sh down

status:  ## each process and its health
	@deploy/stack.sh status

logs:  ## follow every log of the platform
	@tail -n 20 -F .state/logs/*.log

reset:  ## stop and delete all local state (Kafka log dir, PostgreSQL data, service logs)
	@deploy/stack.sh reset

lint:  ## static checks: ruff and mypy --strict
	@deploy/bootstrap.sh
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .
	@# one mypy run per part: the services' tests and migrations share module names
	@for part in "shared tests console bench chaos" services/*; do .venv/bin/mypy $$part || exit 1; done

test: lint  ## the whole suite: starts what it needs, then unit, integration and end-to-end tests
	@deploy/stack.sh infra
	@.venv/bin/pytest

unit:  ## the fast tests only (no Kafka, no PostgreSQL)
	@.venv/bin/pytest -m "not integration"

bench:  ## benchmarks: counting rules, outbox relay, consumers (needs Kafka and PostgreSQL)
	@deploy/stack.sh infra
	@.venv/bin/python -m bench

chaos:  ## faults under load on a 3-node Kafka cluster (started here), then the platform's figures
	@deploy/stack.sh down
	@CLUSTER=3 deploy/stack.sh infra
	@.venv/bin/pytest -m cluster -q
	@.venv/bin/python -m chaos
