# ragline — run `make help` for the targets.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X github.com/ragline/ragline/internal/cli.Version=$(VERSION) -X github.com/ragline/ragline/internal/cli.Commit=$(COMMIT)
BIN      ?= bin/ragline
STATICCHECK_VERSION ?= v0.8.2
BENCH_COUNT ?= 5
# The public datasets (tests read the same variable through internal/datasettest).
RAGLINE_DATASETS ?= ../shared/datasets
DEPLOY_MODULES := deploy/imagebuild deploy/validate/kube deploy/validate/tekton

NODE_CLIENTS := clients/testdata/node

# Tests over the full public datasets (see the test target).
DATASET_TESTS := SciFact|EnginesScoreIdentically

.PHONY: help node-deps build test lint bench bench-datasets e2e eval-gate fuzz update-golden clean image validate-deploy pin

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build the static binary into bin/ragline (CGO_ENABLED=0)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ragline

node-deps: ## install the OpenAI client tests' npm packages from the lockfile (when missing)
	@if [ ! -d $(NODE_CLIENTS)/node_modules ] || [ $(NODE_CLIENTS)/package-lock.json -nt $(NODE_CLIENTS)/node_modules ]; then \
	  npm ci --prefix $(NODE_CLIENTS) --no-audit --no-fund; fi

test: node-deps ## run every test with the race detector (the README's and CI's test command)
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build ./...
	# The PDF tests run first without the race detector: this fills the PDF engine's compilation
	# cache, so -race runs do not each compile it, and the hostile-PDF peak-memory bounds are
	# measured there only (the race detector's shadow memory would count as the engine's).
	$(GO) test -count=1 -run 'PDF|Pdf' ./internal/ingest/
	$(GO) test -race -count=1 -timeout 20m -skip '$(DATASET_TESTS)|HostilePDFMemory' ./...
	# Tests over the full public datasets run once more without the race detector: they
	# drive the same code the race-checked tests above drive, on thousands of documents,
	# where -race costs minutes and finds nothing new.
	$(GO) test -count=1 -timeout 20m -run '$(DATASET_TESTS)' ./...
	$(GO) test -race -count=1 -tags gse ./internal/text/

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

bench: ## Go benchmarks with -benchmem (analyzer, chunker, search, generator, loaders)
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) ./...

bench-datasets: build ## retrieval quality and speed on $RAGLINE_DATASETS (default ../shared/datasets)
	$(BIN) bench retrieval --dataset beir:$(RAGLINE_DATASETS)/scifact:train --json
	$(BIN) bench retrieval --dataset cranfield:$(RAGLINE_DATASETS)/cranfield --json
	$(BIN) bench retrieval --dataset cmrc:$(RAGLINE_DATASETS)/cmrc2018/cmrc2018_dev.json,$(RAGLINE_DATASETS)/cmrc2018/cmrc2018_trial.json --json
	$(BIN) bench abstention --dataset cmrc:$(RAGLINE_DATASETS)/cmrc2018/cmrc2018_dev.json,$(RAGLINE_DATASETS)/cmrc2018/cmrc2018_trial.json --parity even --sample 300
	$(BIN) bench abstention --dataset beir:$(RAGLINE_DATASETS)/scifact:train --parity even --sample 300
	CGO_ENABLED=0 $(GO) build -tags gse -o bin/ragline-gse ./cmd/ragline
	printf 'analyzer:\n  cjk: gse\n' > bin/gse.yaml
	bin/ragline-gse bench retrieval --config bin/gse.yaml --dataset cmrc:$(RAGLINE_DATASETS)/cmrc2018/cmrc2018_dev.json,$(RAGLINE_DATASETS)/cmrc2018/cmrc2018_trial.json --json

eval-gate: build ## run the quick-start golden set through its quality gate, as CI does
	$(BIN) eval --dataset examples/quickstart/golden.jsonl --gate examples/quickstart/gate.yaml --out bin/eval-quickstart

e2e: ## end-to-end tests only (quick-start corpus, CLI subprocesses, kill -9)
	$(GO) test -count=1 -run 'E2E|Kill' ./internal/cli/...

fuzz: ## run every fuzz target for FUZZTIME (default 30s) each
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-30s} $$pkg || exit 1; \
	  done; done

update-golden: ## refresh golden files
	$(GO) test ./internal/kb/ -run Digest -update

image: build ## OCI image layout of bin/ragline in bin/oci (go-containerregistry; no Docker engine needed)
	cd deploy/imagebuild && $(GO) run . --binary $(CURDIR)/$(BIN) --out $(CURDIR)/bin/oci --version $(VERSION) --commit $(COMMIT)

validate-deploy: ## validate deploy/ (image layout, Kubernetes, Argo Rollouts, Tekton) with the engines' own Go code
	@set -e; for m in $(DEPLOY_MODULES); do echo "== $$m"; (cd $$m && $(GO) vet ./... && $(GO) test -count=1 -timeout 40m ./...); done

pin: ## resolve the digests of deploy/pins.yaml (registry access needed) and pin every image reference in deploy/ and the Dockerfile
	cd deploy/imagebuild && $(GO) run . pin $(CURDIR)

clean: ## remove build output
	rm -rf bin .ragline
