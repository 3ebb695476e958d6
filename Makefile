# Leadflow: the two commands are `make dev` and `make test`. Both install
# what they need first (`make tools`), so they work on a fresh clone.

SHELL := /bin/bash
FUNCTIONS := $(notdir $(wildcard functions/*))
BUILD_DIR := .build/functions
GO_TEST_FLAGS ?=
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export GOFLAGS := -buildvcs=false

.PHONY: dev test tools build synth bench check fmt vet defs-validate simulate unit integration infra-test fuzz clean admin-token help console console-test

help:
	@echo "make dev      run the whole platform locally (API and console on :3000, mail viewer, DynamoDB, SQS, Cognito)"
	@echo "make test     every test: vet, gofmt, unit, integration, CDK assertions + cdk-nag"
	@echo "make synth    CloudFormation template in cdk.out/ (no AWS credentials needed)"
	@echo "make bench    pipeline benchmark against the local servers; see BENCHMARKS.md"
	@echo "make build    Lambda bootstraps (arm64, provided.al2023) in $(BUILD_DIR)/"

## tools: DynamoDB Local, goaws, aws-ses-v2-local and the CDK CLI, pinned.
tools:
	@bash scripts/install-local-tools.sh

dev: tools console
	go run ./local

## console: the console's static files in console/dist (served at /console/).
console: tools
	cd console && npx --no-install vite build --logLevel warn

## console-test: type check and component tests of the console. Its end-to-end
## test runs in the Go suite (TestConsoleEndToEnd), against the built dist/.
console-test: tools
	cd console && npx --no-install tsc --noEmit -p . && npx --no-install vitest run

## test: everything CI runs.
test: tools check console console-test
	go test -count=1 -timeout 30m $(GO_TEST_FLAGS) ./...

check: vet defs-validate
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

vet:
	go vet ./...

## defs-validate: every file in definitions/ through the same validators as
## the admin API (offline; what CI runs before the tests).
defs-validate:
	go run ./cmd/leadflow defs validate

# make simulate JOURNEY=welcome TIMELINE=definitions/timelines/welcome-high-scorer.json
simulate:
	go run ./cmd/leadflow simulate $(JOURNEY) $(TIMELINE)

fmt:
	gofmt -w $$(git ls-files '*.go')

## build: one bootstrap per function, as Lambda's provided.al2023 arm64 runtime wants.
build: $(addprefix $(BUILD_DIR)/,$(addsuffix /bootstrap,$(FUNCTIONS)))

$(BUILD_DIR)/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags="-s -w" -o $@ ./functions/$*

FORCE:

synth: tools build console
	npx --no-install cdk synth --quiet
	@echo "Template: cdk.out/Leadflow.template.json"

bench: tools
	bash scripts/bench.sh

## fuzz: every fuzz target for FUZZTIME each (their seeds also run in `go test`).
FUZZTIME ?= 15s
FUZZ_TARGETS := \
	tracking:FuzzParse tracking:FuzzDecodeBatch form:FuzzParseSubmission template:FuzzCompile \
	token:FuzzVerify enrich:FuzzParseUserAgent engagement:FuzzClassify preference:FuzzParseChoice \
	mail:FuzzDecode job:FuzzDecode routing:FuzzDecode timer:FuzzTimer \
	webhook:FuzzDecode webhook:FuzzSignature sesevent:FuzzParse

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $$t"; \
		go test ./shared/$${t%%:*}/ -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME); \
	done

## admin-token: a new admin token and the hash to deploy with.
admin-token:
	@token=lf_admin_$$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'); \
	echo "token:  $$token"; \
	echo "sha256: $$(printf %s "$$token" | sha256sum | cut -d' ' -f1)"

clean:
	rm -rf .build cdk.out
