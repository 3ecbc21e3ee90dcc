# ERA pipeline: 835 remittance files → classified, routed work on Apache Kafka.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCAL_KAFKA := $(BIN)/python deploy/kafka/local_kafka.py
export ERA_RUN_DIR ?= $(CURDIR)/var/run

# Checkers the tests run, built with Go into var/tools/bin once per version (the module cache
# keeps the downloads): kubeconform (manifests against the Kubernetes schemas of the
# kubernetes-validate package), kube-score, kustomize (renders deploy/k8s), and this
# repository's deploy/k8s/crdcheck (the PodMonitor against the Prometheus Operator's API types).
GO ?= go
TOOLS_BIN := $(CURDIR)/var/tools/bin
KUBECONFORM_VERSION := v0.8.0
KUBE_SCORE_VERSION := v1.20.0
KUSTOMIZE_VERSION := v5.7.1
GO_TOOLS := \
	$(TOOLS_BIN)/.kubeconform-$(KUBECONFORM_VERSION) \
	$(TOOLS_BIN)/.kube-score-$(KUBE_SCORE_VERSION) \
	$(TOOLS_BIN)/.kustomize-$(KUSTOMIZE_VERSION) \
	$(TOOLS_BIN)/crdcheck
GO_INSTALL = GOBIN=$(TOOLS_BIN) GOTOOLCHAIN=local $(GO) install
PYTEST := PATH="$(TOOLS_BIN):$$PATH" $(BIN)/pytest

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml setup.py services/ingest/era_ingest/x12/_speedups.c services/ingest/era_ingest/x12/_sha256.h
	@PYTHON=$(PYTHON) deploy/local/prerequisites.sh python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install the package with its dev tools

prerequisites: ## install what make run needs when missing: python3-venv, Java 17, Maven (apt as root)
	@PYTHON=$(PYTHON) deploy/local/prerequisites.sh run

test-prerequisites: ## the same for make test: also Prometheus, Alertmanager, Node.js (apt), the Go-built checkers
	@PYTHON=$(PYTHON) GO=$(GO) deploy/local/prerequisites.sh test
	@$(MAKE) --no-print-directory tools

tools: $(GO_TOOLS) ## build kubeconform, kube-score, kustomize, crdcheck into var/tools/bin (once per version)

$(TOOLS_BIN)/.kubeconform-$(KUBECONFORM_VERSION):
	$(GO_INSTALL) github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION)
	@touch $@

$(TOOLS_BIN)/.kube-score-$(KUBE_SCORE_VERSION):
	$(GO_INSTALL) github.com/zegl/kube-score/cmd/kube-score@$(KUBE_SCORE_VERSION)
	@touch $@

$(TOOLS_BIN)/.kustomize-$(KUSTOMIZE_VERSION):
	$(GO_INSTALL) sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	@touch $@

$(TOOLS_BIN)/crdcheck: deploy/k8s/crdcheck/main.go deploy/k8s/crdcheck/go.mod deploy/k8s/crdcheck/go.sum
	cd deploy/k8s/crdcheck && GOFLAGS=-buildvcs=false $(GO_INSTALL) .

run: prerequisites setup ## run everything in the foreground: Kafka, topics, services; Ctrl-C stops all
	@deploy/local/pipeline.sh run

up: prerequisites setup ## the same as run, in the background (logs and pid files in var/)
	@deploy/local/pipeline.sh up

down: ## stop everything `make up` started (Kafka data is kept)
	@deploy/local/pipeline.sh down

reset: down ## stop everything and delete the local Kafka data and var/run
	@$(LOCAL_KAFKA) reset 2>/dev/null || rm -rf var/kafka
	@rm -rf var/run

kafka-up: prerequisites setup ## start only the local Kafka broker (background; ERA_KAFKA_BROKERS=3 for a cluster)
	@$(LOCAL_KAFKA) start

topics: setup ## create every pipeline topic (idempotent)
	@$(BIN)/era topics create

test: test-prerequisites setup ## run the whole suite: unit + integration against a real Kafka broker
	$(PYTEST)

test-unit: test-prerequisites setup ## run only the unit tests (no broker)
	$(PYTEST) -m unit

test-integration: test-prerequisites setup ## run only the integration tests (real broker)
	$(PYTEST) -m integration

lint: setup ## ruff (lint + format check) and mypy (strict)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

chaos: prerequisites setup ## full chaos run: 100k adjustments, 5 kill -9 per worker kind, a broker restart
	ERA_CHAOS_ADJUSTMENTS=100000 ERA_CHAOS_KILLS=5 $(BIN)/pytest -s tests/era_streams/test_chaos_kafka.py

chaos-cluster: prerequisites setup ## 100k adjustments on a 3-broker cluster; leader and coordinator brokers SIGKILLed, workers killed/added/removed
	ERA_CHAOS_CLUSTER_ADJUSTMENTS=$${ERA_CHAOS_CLUSTER_ADJUSTMENTS:-100000} ERA_CHAOS_CLUSTER_ROUNDS=$${ERA_CHAOS_CLUSTER_ROUNDS:-3} \
		$(BIN)/pytest -s -p no:cacheprovider tests/era_streams/test_chaos_cluster_kafka.py

fuzz: setup ## long parser fuzz run (ERA_FUZZ_EXAMPLES, default 20000 per property)
	ERA_FUZZ_EXAMPLES=$${ERA_FUZZ_EXAMPLES:-20000} $(BIN)/pytest -p no:cacheprovider --timeout 3600 tests/era_ingest/x12/test_x12_fuzz.py

synth: setup ## generate a 10 MB sample ERA into var/synth/sample.835
	@mkdir -p var/synth
	$(BIN)/era synth --size-mb 10 --seed 1 --out var/synth/sample.835

fmt: setup ## format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: prerequisites setup ## every benchmark in one table (parse, pipeline, latency, memory incl. 1 GB, scaling; ~1 h; ERA_BENCH_CLUSTER=3 adds a replicated row)
	$(BIN)/python bench/pipeline_bench.py --big

bench-quick: prerequisites setup ## the same table at small sizes (20k-adjustment pipeline, 20 s latency, no 1 GB file; parse rows as in bench; ~6 min)
	$(BIN)/python bench/pipeline_bench.py --quick

bench-parse: setup ## era parse vs pyx12 on the same generated file (adjustments/s)
	$(BIN)/python bench/parse_bench.py

# The dashboard's browser test drives Debian's Chromium (Playwright from the dev extras).
test test-integration: chromium

chromium: ## install Debian's Chromium when missing (apt as root), for the dashboard's browser test
	@deploy/local/chromium.sh

.PHONY: chromium
.PHONY: help setup prerequisites test-prerequisites tools run up down reset kafka-up topics test test-unit test-integration lint fmt \
	chaos chaos-cluster fuzz synth bench bench-quick bench-parse
