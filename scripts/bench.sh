#!/usr/bin/env bash
# The pipeline benchmark behind `make bench` (see BENCHMARKS.md):
#
#   1. in-process Go benchmarks (bench/inprocess_test.go): CPU and allocations
#      per event of parsing, the ingest handler and the processor, no servers;
#   2. the pipeline bench (bench/pipeline): the real handlers on the local
#      platform against DynamoDB Local and goaws, with every AWS request, byte,
#      capacity unit and log byte counted and priced per million events with
#      bench/prices.json, for batches of 20 and, for comparison, one event per
#      request;
#   3. the same with every visitor new (no returning visitors), because the
#      per-visitor writes are a large part of the bill;
#   4. de-duplication (bench/dedup): the processor on DynamoDB Local, pricing
#      the normal path and late retries and counting what is counted twice;
#   5. reports (bench/reports): GET /v1/reports/overview and /funnel through
#      the admin handler with 90 days of report counters on every shard;
#   6. journeys: the pipeline with 20 live journeys, and bench/journeys
#      (timer lateness with 10,000 waiting contacts, event-driven step
#      latency, steps per second, requests and cost per step).
#
# About a minute on a 2-core machine once `make tools` has run. Exits non-zero
# if a benchmark fails or the pipeline loses or double counts an event.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

section() { printf '\n==================== %s ====================\n' "$*"; }

section "machine"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
echo "go:      $(go version)"
echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || uname -m), $(getconf _NPROCESSORS_ONLN) cores"
echo "java:    $(java -version 2>&1 | head -n1)"

section "in-process benchmarks (go test -run '^\$' -bench . -benchmem ./bench/...)"
go test -run '^$' -bench 'Benchmark[^M]' -benchmem -count 1 ./bench/...
# The merge benchmark rebuilds a visitor with up to 10,000 events before each
# timed merge; a fixed count keeps that set-up from scaling with -benchtime.
go test -run TestMergeCounts -bench BenchmarkMerge -benchtime 50x -benchmem -count 1 ./bench/

# The hot path's own cost (issue 10's workload, from before segments
# existed): no segment is defined, so no event moves anyone into one.
section "pipeline: 5000 events in batches of 20, 500 visitors, no segment; then 500 single-event requests"
go run ./bench/pipeline -events 5000 -batch 20 -visitors 500 -single-events 500 -segments 0

# What the repo's example segment adds: every new visitor who matches it
# enters it (a member item, a bus event, a recheck timer).
section "pipeline with the repo's example segment (compare with the run above)"
go run ./bench/pipeline -events 5000 -batch 20 -visitors 500 -single-events 0

section "pipeline, sensitivity: 5000 events in batches of 20, every visitor new"
go run ./bench/pipeline -events 5000 -batch 20 -visitors 1000 -single-events 0

section "de-duplication: late retries and what they cost (bench/dedup, DynamoDB Local)"
go run ./bench/dedup -later 1000 -batch 20 -visitors 100

section "sender: 420 emails paced at 14 per second through the local SES (see BENCHMARKS.md)"
go run ./bench/sender -rate 14 -n 420

section "pipeline with 20 live journeys: the added cost of evaluating triggers and goals (compare with the first pipeline run)"
go run ./bench/pipeline -events 5000 -batch 20 -visitors 500 -single-events 0 -journeys 20

section "journeys: timer lateness with 10,000 contacts at a timed wait, event-driven step latency, cost per step (bench/journeys)"
# Most of its ~6 minutes is the wait for the due minute (-lead), which
# must outlast seeding the 10,000 contacts through ingest.
go run ./bench/journeys -contacts 10000 -event-contacts 300 -lead 4m

section "reports: the dashboard's time to data with counters on every shard of 90 days (bench/reports)"
go run ./bench/reports -days 90 -n 30
