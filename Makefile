# nodeplug: `make demo` runs the main job against the Zoom sandbox,
# `make test` runs every check and test. Both need only Go.

SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
TOOLS := $(BIN)/tools
export CGO_ENABLED ?= 0

BUF_VERSION := v1.75.0
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2

.PHONY: all build tools generate check-generated lint vet test test-short demo bench clean

all: build

## build: the host (bin/nodeplug), the sandbox and the plugins (bin/plugins/)
build:
	@mkdir -p $(BIN)/plugins
	$(GO) build -trimpath -o $(BIN)/nodeplug ./cmd/nodeplug
	$(GO) build -trimpath -o $(BIN)/nodeplug-zoom-sandbox ./cmd/nodeplug-zoom-sandbox
	$(GO) build -trimpath -o $(BIN)/plugins/nodeplug-zoom ./cmd/nodeplug-zoom
	@cd $(BIN)/plugins && sha256sum nodeplug-zoom

## tools: buf and the protoc plugins, pinned, into bin/tools
tools: $(TOOLS)/buf $(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc

$(TOOLS)/buf:
	GOBIN=$(TOOLS) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
$(TOOLS)/protoc-gen-go:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(TOOLS)/protoc-gen-go-grpc:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

## generate: regenerate the Go code of proto/ with buf and the local plugins
generate: tools
	PATH=$(TOOLS):$$PATH $(TOOLS)/buf generate

## check-generated: buf lint, and fail when the committed Go is not what the .proto generates
check-generated: tools
	PATH=$(TOOLS):$$PATH $(TOOLS)/buf lint
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	  PATH=$(TOOLS):$$PATH $(TOOLS)/buf generate -o $$tmp && \
	  if ! diff -r -x '*.proto' $$tmp/proto proto; then \
	    echo "generated code in proto/ is out of date with the .proto: run make generate and commit" >&2; exit 1; \
	  fi && echo "proto: generated code is in sync"

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt wants changes in:"; echo "$$out"; exit 1; fi

## test: everything CI runs
test: check-generated vet
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...
	@[ -d ../shared/reference ] || echo "note: ../shared/reference is absent here, so the tests that read it (n8n's public workflows, Zoom's OpenAPI description) were skipped; CI runs them"

test-short:
	$(GO) test -count=1 ./...

## demo: build, start the sandbox, connect an OAuth2 credential, run the example workflows
demo: build
	./scripts/demo.sh

## bench: the speed and memory figures
bench: build
	./scripts/bench.sh

clean:
	rm -rf $(BIN)
