// Command pipeline prices Leadflow's tracking pipeline per event. It runs the
// production handlers on the local platform (HTTP API shape → ingest → SQS →
// processor → DynamoDB Local), posts realistic Segment batches at it, waits
// until every event has landed exactly once, and turns the requests, bytes,
// consumed capacity, busy time and log bytes it counted into dollars per
// million events with the list prices in bench/prices.json.
//
//	go run ./bench/pipeline -events 5000 -batch 20 -visitors 500 -single-events 500
//
// The SDK middleware counts what every handler's AWS client sent (per service
// and operation), so a change to the pipeline shows its price here.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	ddbtypes "github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	lfeb "github.com/leadflow/leadflow/shared/awsapi/eventbridge"
	lfsqs "github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

const (
	siteKey = "wk_bench_4f9c2e7a1b"
	origin  = "https://www.acme-widgets.test"
	// goal is the design notes' ceiling, all-in, per million tracked events.
	goal = 0.40
	// platformLogBytes estimates the START, END and REPORT lines Lambda
	// itself writes per invocation in the text log format (about 75 + 55 +
	// 170 bytes). The stack sets every function's system log level to WARN
	// (infra/stack.go; TestLambdaPerCatalogFunction checks it), which drops
	// them, so they are priced only with -system-logs.
	platformLogBytes = 300
	// espPollsPerMonth is what an idle SQS event source mapping receives in a
	// month: Lambda's pollers long-poll (20 s), about 5 of them per queue, so
	// some 3 empty receives a minute each: 5 * 3 * 60 * 24 * 30.
	espPollsPerMonth = 5 * 3 * 60 * 24 * 30
	// sqsChunk: SQS bills each 64 KB of a payload as one request.
	sqsChunk = 64 * 1024
	// apiChunk: HTTP API meters each 512 KB of a request as one request.
	apiChunk = 512 * 1024
)

func main() {
	var sc scenario
	var singleEvents, singleVisitors int
	var pricesPath string
	var timeout time.Duration
	flag.IntVar(&sc.Events, "events", 5000, "events to post")
	flag.IntVar(&sc.Batch, "batch", 20, "events per HTTP request")
	flag.IntVar(&sc.Visitors, "visitors", 500, "distinct visitors")
	flag.IntVar(&sc.Clients, "clients", 4, "concurrent HTTP clients")
	flag.IntVar(&singleEvents, "single-events", 500, "events for the comparison run with one event per request (0 skips it)")
	flag.IntVar(&singleVisitors, "single-visitors", 0, "visitors for the single-event run (0: same events per visitor as the main run)")
	flag.StringVar(&pricesPath, "prices", "", "price list (default bench/prices.json in the repo)")
	flag.DurationVar(&timeout, "timeout", 3*time.Minute, "how long to wait for the processor to apply every event")
	seed := flag.Uint64("seed", 1, "workload seed")
	flag.BoolVar(&systemLogs, "system-logs", false, "price Lambda's START/END/REPORT lines (a stack without SystemLogLevel WARN)")
	strict := flag.Bool("strict", false, "fail when a visitor ends up split over several contacts")
	flag.IntVar(&sc.Segments, "segments", -1, "segments defined: -1 the repo's (one example), 0 none anyone matches, N the example and N-1 bench segments (at most 20)")
	flag.IntVar(&sc.Journeys, "journeys", 0, "live bench journeys added to the repo's welcome journey (at most 20): their triggers and goals are evaluated on every event")
	flag.IntVar(&sc.Returning, "returning", 0, "events the same visitors send before the measured run (applied, not metered): the measured events come from returning visitors whose profiles and memberships exist")
	flag.Parse()
	sc.Seed, sc.Timeout = *seed, timeout
	if sc.Events <= 0 || sc.Batch <= 0 || sc.Visitors <= 0 || sc.Clients <= 0 {
		fatalf("-events, -batch, -visitors and -clients must be positive")
	}
	if sc.Returning < 0 {
		fatalf("-returning must not be negative")
	}

	root, err := localaws.RepoRoot()
	if err != nil {
		fatalf("%v", err)
	}
	if pricesPath == "" {
		pricesPath = filepath.Join(root, "bench", "prices.json")
	}
	prices, err := loadPrices(pricesPath)
	if err != nil {
		fatalf("%v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := time.Now()
	srv, err := runner.StartServers(ctx, runner.ServerOptions{Root: root})
	if err != nil {
		fatalf("%v", err)
	}
	defer srv.Stop()
	fmt.Printf("local servers up in %s (DynamoDB Local in memory, goaws, aws-ses-v2-local)\n", time.Since(started).Round(time.Millisecond))

	runs := []scenario{sc}
	if singleEvents > 0 {
		one := sc
		one.Events, one.Batch, one.Returning = singleEvents, 1, 0
		one.Visitors = singleVisitors
		if one.Visitors <= 0 {
			one.Visitors = max(1, int(math.Round(float64(sc.Visitors)*float64(singleEvents)/float64(sc.Events))))
		}
		runs = append(runs, one)
	}
	var results []*result
	for i, run := range runs {
		res, err := runScenario(ctx, srv, run, fmt.Sprintf("bench%d-%d-", time.Now().UnixNano()%1e9, i))
		if err != nil {
			srv.Stop()
			fatalf("%s: %v", run, err)
		}
		results = append(results, res)
		report(os.Stdout, res, prices)
	}
	if len(results) > 1 {
		compare(os.Stdout, results, prices)
	}
	notes(os.Stdout)
	if *strict {
		for _, r := range results {
			if r.Verified.Split > 0 {
				fatalf("%s: %d visitors split over several contacts (%s)", r.scenario, r.Verified.Split, r.Verified.Example)
			}
		}
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pipeline bench FAILED: "+format+"\n", args...)
	os.Exit(1)
}

// scenario is one run of the pipeline.
type scenario struct {
	Events, Batch, Visitors, Clients int
	Seed                             uint64
	Timeout                          time.Duration
	// Segments: -1 leaves the repo's definitions as they are (the one
	// example segment); 0 overrides the example with a filter nobody
	// matches (the pipeline with no membership changes); N >= 1 is the
	// example plus the first N-1 of benchSegments.
	Segments int
	// Journeys is how many of benchJourneys are live besides the repo's.
	Journeys int
	// Returning events are posted by the same visitors first and applied
	// before metering starts, so the measured events are returning
	// visitors' (steady state: profiles, links and memberships exist).
	Returning int
}

func (s scenario) String() string {
	out := fmt.Sprintf("%d events, %d per request, %d visitors, %d clients", s.Events, s.Batch, s.Visitors, s.Clients)
	switch {
	case s.Segments == 0:
		out += ", no segment anyone matches"
	case s.Segments > 0:
		out += fmt.Sprintf(", %d segments", s.Segments)
	}
	if s.Journeys > 0 {
		out += fmt.Sprintf(", %d bench journeys", s.Journeys)
	}
	if s.Returning > 0 {
		out += fmt.Sprintf(", after %d unmetered events of the same visitors", s.Returning)
	}
	return out
}

// benchSegments are what a marketing team might define, beyond the repo's
// example: some on the behaviour the workload has (pages, tracks, the
// trial plan of identified visitors, "dormant" for every identified
// visitor, which needs a timer), the rest on data the workload does not
// send (country, tags, stage, consent, email engagement), which cost an
// evaluation and nothing else.
var benchSegments = []struct{ id, filter string }{
	{"docs-readers", `{"event":{"path_prefix":"/docs","within_days":30}}`},
	{"demo-page-no-request", `{"all":[{"event":{"path_prefix":"/demo","within_days":14}},{"not":{"event":{"name":"Demo Requested","within_days":30}}}]}`},
	{"video-watchers", `{"event":{"name":"Video Played","within_days":30}}`},
	{"whitepaper-leads", `{"all":[{"event":{"name":"Whitepaper Downloaded","within_days":90}},{"trait":{"key":"email","op":"exists"}}]}`},
	{"trial-users", `{"trait":{"key":"plan","op":"equals","value":"trial"}}`},
	{"cta-engaged", `{"event":{"name":"CTA Clicked","within_days":7,"min":2}}`},
	{"dach", `{"trait":{"key":"country","op":"in","values":["DE","AT","CH"]}}`},
	{"enterprise", `{"trait":{"key":"employees","op":"gte","value":1000}}`},
	{"hot-leads", `{"score":{"kind":"total","op":"gte","value":50}}`},
	{"good-fit", `{"score":{"kind":"fit","op":"gte","value":30}}`},
	{"vip", `{"tag":"vip"}`},
	{"sales-qualified", `{"stage":{"in":["sql"]}}`},
	{"marketing-consent", `{"consent":"marketing"}`},
	{"unsubscribed", `{"status":{"in":["unsubscribed"]}}`},
	{"email-openers", `{"email":{"action":"opened","within_days":30}}`},
	{"email-clickers", `{"email":{"action":"clicked","within_days":14}}`},
	{"dormant", `{"all":[{"last_seen":{"older_than_days":30}},{"trait":{"key":"email","op":"exists"}}]}`},
	{"customers-page-twice", `{"event":{"path_prefix":"/customers","within_days":30,"min":2}}`},
	{"engaged-trial", `{"all":[{"trait":{"key":"plan","op":"equals","value":"trial"}},{"score":{"kind":"engagement","op":"gte","value":20}}]}`},
}

// defineSegments puts the scenario's segments through the admin API and
// waits until each is built, before anything is metered.
func defineSegments(ctx context.Context, api, token string, n int) error {
	type def struct{ id, filter string }
	var defs []def
	switch {
	case n < 0:
		return nil
	case n == 0:
		defs = []def{{"pricing-visitors", `{"tag":"bench-nobody-has-this-tag"}`}}
	default:
		if n-1 > len(benchSegments) {
			return fmt.Errorf("-segments %d: at most %d", n, len(benchSegments)+1)
		}
		for _, s := range benchSegments[:n-1] {
			defs = append(defs, def(s))
		}
	}
	do := func(method, path, body string) (map[string]any, error) {
		req, err := http.NewRequestWithContext(ctx, method, api+path, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode >= 300 {
			return nil, fmt.Errorf("%s %s: %d %v %v", method, path, res.StatusCode, out, err)
		}
		return out, nil
	}
	for _, d := range defs {
		if _, err := do("PUT", "/v1/segments/"+d.id, `{"name":"`+d.id+`","filter":`+d.filter+`}`); err != nil {
			return err
		}
	}
	for _, d := range defs {
		// Minutes, not seconds: on a loaded machine 20 builds share 2 pollers.
		for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
			s, err := do("GET", "/v1/segments/"+d.id, "")
			if err != nil {
				return err
			}
			if s["state"] == "ready" {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("segment %s never got ready: %v", d.id, s)
			}
		}
	}
	return nil
}

// result is what one run measured, over the interval from the first post to
// the moment every event was verified in DynamoDB.
type result struct {
	scenario
	Requests     int
	RequestBytes int64
	APIUnits     int64 // HTTP API metering units (512 KB each)
	PostWall     time.Duration
	Wall         time.Duration
	Ops          map[opKey]opStats
	Invocations  map[string]int
	Failures     map[string]int
	Busy         map[string]time.Duration
	MemoryMB     map[string]int
	Logs         map[string]logStats
	Verified     verification
	// JourneyRuns says which journeys the workload entered (-journeys).
	JourneyRuns string
}

// ---------------------------------------------------------------------------
// Counting middleware

type opKey struct{ Service, Operation string }

// opStats counts one service operation. Attempts counts every HTTP attempt
// (retries are billed too); Calls counts SDK calls.
type opStats struct {
	Calls, Attempts, Errors int64
	RequestBytes            int64
	// Billed SQS requests: one per 64 KB chunk of payload, at least one.
	SQSBilled       int64
	SQSPayloadBytes int64
	Messages        int64
	EmptyReceives   int64
	// DynamoDB capacity as DynamoDB reported it, and what was estimated
	// from item sizes where it reported none.
	ReportedWCU, ReportedRCU   float64
	EstimatedWCU, EstimatedRCU float64
	Reported, Estimated        int64
	ConditionFailed            int64
	// SizeWCU is every write's units by DynamoDB's sizing rules, kept
	// beside what DynamoDB reports to check one against the other.
	SizeWCU float64
	// Batched are a BatchWriteItem's requests by the item kind they write
	// (itemKind), with their units by size: the call reports one figure
	// for timeline chunks, member items and timers together.
	Batched map[string]batchedKind
}

// batchedKind is what one kind of item cost in BatchWriteItem calls.
type batchedKind struct {
	Items int64
	WCU   float64
}

type meter struct {
	mu  sync.Mutex
	ops map[opKey]*opStats
}

func newMeter() *meter { return &meter{ops: map[opKey]*opStats{}} }

func (m *meter) reset() {
	m.mu.Lock()
	m.ops = map[opKey]*opStats{}
	m.mu.Unlock()
}

func (m *meter) snapshot() map[opKey]opStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[opKey]opStats, len(m.ops))
	for k, v := range m.ops {
		out[k] = *v
	}
	return out
}

// kindKey carries what a DynamoDB call touches from the Initialize
// middleware, which sees the input, to the Finalize one, which does not.
type kindKey struct{}

func (m *meter) with(ctx context.Context, f func(*opStats)) {
	k := opKey{awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)}
	if kind, _ := ctx.Value(kindKey{}).(string); kind != "" {
		k.Operation += " " + kind
	}
	m.mu.Lock()
	s := m.ops[k]
	if s == nil {
		s = &opStats{}
		m.ops[k] = s
	}
	f(s)
	m.mu.Unlock()
}

// register is the APIOption: an Initialize middleware sees each call's typed
// input and output (capacity, SQS payloads), a Finalize one each attempt's
// request as sent (bytes, retries).
func (m *meter) register(stack *middleware.Stack) error {
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("BenchMeterCall", m.call), middleware.After); err != nil {
		return err
	}
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("BenchMeterAttempt", m.attempt), middleware.After)
}

func (m *meter) attempt(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	var n int64
	if req, ok := in.Request.(*smithyhttp.Request); ok {
		n = req.ContentLength
		if n < 0 {
			if l, ok, _ := req.StreamLength(); ok {
				n = l
			}
		}
	}
	m.with(ctx, func(s *opStats) { s.Attempts++; s.RequestBytes += max(n, 0) })
	return next.HandleFinalize(ctx, in)
}

func (m *meter) call(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	if kind := itemKind(in.Parameters); kind != "" {
		ctx = context.WithValue(ctx, kindKey{}, kind)
	}
	out, md, err := next.HandleInitialize(ctx, in)
	m.with(ctx, func(s *opStats) {
		s.Calls++
		if err != nil {
			s.Errors++
			var ccf *ddbtypes.ConditionalCheckFailedException
			if errors.As(err, &ccf) {
				s.ConditionFailed++
			}
		}
		m.price(s, in.Parameters, out.Result, err)
		if bw, ok := in.Parameters.(*dynamodb.BatchWriteItemInput); ok && err == nil {
			countBatched(s, bw)
		}
	})
	return out, md, err
}

// countBatched adds a BatchWriteItem's requests to s.Batched by the kind of
// item each writes, at DynamoDB's sizing (ceil(bytes/1 KB) for a put, 1 for
// a delete).
func countBatched(s *opStats, in *dynamodb.BatchWriteItemInput) {
	if s.Batched == nil {
		s.Batched = map[string]batchedKind{}
	}
	for _, reqs := range in.RequestItems {
		for _, r := range reqs {
			var kind string
			units := 1.0
			switch {
			case r.PutRequest != nil:
				kind = itemKind(&dynamodb.PutItemInput{Item: r.PutRequest.Item})
				units = float64(max(1, chunks(itemBytes(r.PutRequest.Item), 1024)))
			case r.DeleteRequest != nil:
				kind = itemKind(&dynamodb.DeleteItemInput{Key: r.DeleteRequest.Key}) + " delete"
			}
			b := s.Batched[kind]
			b.Items++
			b.WCU += units
			s.Batched[kind] = b
		}
	}
}

// itemKind names what a DynamoDB call reads or writes, from the key design
// in shared/store/dynamo/KEYS.md, so the bill says which items cost what.
func itemKind(input any) string {
	var k map[string]ddbtypes.AttributeValue
	switch in := input.(type) {
	case *dynamodb.PutItemInput:
		k = in.Item
	case *dynamodb.GetItemInput:
		k = in.Key
	case *dynamodb.UpdateItemInput:
		k = in.Key
	case *dynamodb.DeleteItemInput:
		k = in.Key
	case *dynamodb.BatchGetItemInput:
		for _, ka := range in.RequestItems {
			if len(ka.Keys) > 0 {
				k = ka.Keys[0]
			}
		}
	case *dynamodb.QueryInput:
		if in.IndexName != nil {
			return "(" + aws.ToString(in.IndexName) + ")"
		}
		for _, v := range in.ExpressionAttributeValues {
			if s, ok := v.(*ddbtypes.AttributeValueMemberS); ok && strings.HasPrefix(s.Value, "E#") {
				return "(timeline)"
			}
		}
		return ""
	default:
		return ""
	}
	pk, sk := attrS(k, "pk"), attrS(k, "sk")
	switch {
	case strings.HasPrefix(pk, "C#") && sk == "P":
		if put, ok := input.(*dynamodb.PutItemInput); ok && aws.ToString(put.ConditionExpression) == "attribute_not_exists(pk)" {
			return "(new profile)"
		}
		return "(profile)"
	case strings.HasPrefix(pk, "C#") && strings.HasPrefix(sk, "E#"):
		return "(timeline chunk)"
	case strings.HasPrefix(pk, "I#"):
		return "(identity)"
	case strings.HasPrefix(pk, "S#"):
		return "(site)"
	case strings.HasPrefix(pk, "CFG#"):
		return "(config)"
	case pk != "":
		return "(" + strings.SplitN(pk, "#", 2)[0] + ")"
	}
	return ""
}

// sqsSend records one SQS send request of n payload bytes carrying
// messages messages: billed per 64 KB chunk of the request's payload.
func (s *opStats) sqsSend(n int64, messages int) {
	s.SQSPayloadBytes += n
	s.SQSBilled += chunks(n, sqsChunk)
	s.Messages += int64(messages)
}

// price records what a call is billed for.
func (m *meter) price(s *opStats, input, output any, err error) {
	switch in := input.(type) {
	case *sqs.SendMessageInput:
		s.sqsSend(int64(len(aws.ToString(in.MessageBody)))+attrBytes(in.MessageAttributes), 1)
		return
	case *sqs.SendMessageBatchInput:
		var n int64
		for _, e := range in.Entries {
			n += int64(len(aws.ToString(e.MessageBody))) + attrBytes(e.MessageAttributes)
		}
		s.sqsSend(n, len(in.Entries))
		return
	case *eventbridge.PutEventsInput:
		// Billed per entry (each 64 KB chunk of one; these are far smaller).
		s.Messages += int64(len(in.Entries))
		return
	// The functions' own clients (shared/awsapi): their inputs have the
	// SDK's names in other packages, so they need cases of their own
	// (before these, the pipeline's bus events went unpriced and its
	// batches counted one request whatever their size).
	case *lfeb.PutEventsInput:
		s.Messages += int64(len(in.Entries))
		return
	case *lfsqs.SendMessageInput:
		s.sqsSend(int64(len(aws.ToString(in.MessageBody))), 1)
		return
	case *lfsqs.SendMessageBatchInput:
		var n int64
		for _, e := range in.Entries {
			n += int64(len(aws.ToString(e.MessageBody)))
		}
		s.sqsSend(n, len(in.Entries))
		return
	case *sqs.DeleteMessageBatchInput, *sqs.DeleteMessageInput, *sqs.ChangeMessageVisibilityInput:
		s.SQSBilled++
		return
	case *sqs.ReceiveMessageInput:
		var n int64
		msgs := 0
		if o, ok := output.(*sqs.ReceiveMessageOutput); ok && o != nil {
			for _, msg := range o.Messages {
				n += int64(len(aws.ToString(msg.Body))) + attrBytes(msg.MessageAttributes)
			}
			msgs = len(o.Messages)
		}
		if msgs == 0 {
			s.EmptyReceives++
		}
		s.Messages += int64(msgs)
		s.SQSPayloadBytes += n
		s.SQSBilled += chunks(n, sqsChunk)
		return
	}
	if strings.HasPrefix(fmt.Sprintf("%T", input), "*sqs.") {
		s.SQSBilled++ // queue set-up and attribute reads: one request each
		return
	}
	m.capacity(s, input, output, err)
}

// capacity adds DynamoDB's reported consumption, or an estimate from item
// sizes when there is none: an error response (a failed conditional write is
// still billed for the item it would have written) carries no
// ConsumedCapacity, and an emulator may not report it either.
func (m *meter) capacity(s *opStats, input, output any, err error) {
	var ccs []ddbtypes.ConsumedCapacity
	add := func(c *ddbtypes.ConsumedCapacity) {
		if c != nil {
			ccs = append(ccs, *c)
		}
	}
	// An error leaves no typed output to read.
	if err != nil {
		output = nil
	}
	switch o := output.(type) {
	case *dynamodb.PutItemOutput:
		add(o.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		add(o.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		add(o.ConsumedCapacity)
	case *dynamodb.GetItemOutput:
		add(o.ConsumedCapacity)
	case *dynamodb.QueryOutput:
		add(o.ConsumedCapacity)
	case *dynamodb.ScanOutput:
		add(o.ConsumedCapacity)
	case *dynamodb.BatchGetItemOutput:
		ccs = append(ccs, o.ConsumedCapacity...)
	case *dynamodb.BatchWriteItemOutput:
		ccs = append(ccs, o.ConsumedCapacity...)
	case *dynamodb.TransactWriteItemsOutput:
		ccs = append(ccs, o.ConsumedCapacity...)
	case *dynamodb.TransactGetItemsOutput:
		ccs = append(ccs, o.ConsumedCapacity...)
	}
	write := isWrite(input)
	if write {
		// A reported figure above this is index writes (a new profile's
		// contacts-index entry) or the replace of a larger item.
		w, _ := estimate(input, output, err)
		s.SizeWCU += w
	}
	if len(ccs) > 0 && err == nil {
		s.Reported++
		for _, c := range ccs {
			units := aws.ToFloat64(c.CapacityUnits)
			if write {
				s.ReportedWCU += units
			} else {
				s.ReportedRCU += units
			}
		}
		return
	}
	if !isDynamoData(input) {
		return // table set-up: not billed per request
	}
	w, r := estimate(input, output, err)
	s.Estimated++
	s.EstimatedWCU += w
	s.EstimatedRCU += r
}

func isWrite(input any) bool {
	switch input.(type) {
	case *dynamodb.PutItemInput, *dynamodb.UpdateItemInput, *dynamodb.DeleteItemInput,
		*dynamodb.BatchWriteItemInput, *dynamodb.TransactWriteItemsInput:
		return true
	}
	return false
}

func isDynamoData(input any) bool {
	switch input.(type) {
	case *dynamodb.PutItemInput, *dynamodb.UpdateItemInput, *dynamodb.DeleteItemInput,
		*dynamodb.BatchWriteItemInput, *dynamodb.TransactWriteItemsInput,
		*dynamodb.GetItemInput, *dynamodb.BatchGetItemInput, *dynamodb.QueryInput,
		*dynamodb.ScanInput, *dynamodb.TransactGetItemsInput:
		return true
	}
	return false
}

// estimate applies DynamoDB's sizing rules to what the call carried: a write
// is ceil(item/1 KB) units (a lower bound: a replace is billed for the larger
// of old and new item, which the caller cannot see), a read ceil(size/4 KB),
// halved when eventually consistent.
func estimate(input, output any, err error) (wcu, rcu float64) {
	writeUnits := func(item map[string]ddbtypes.AttributeValue) float64 {
		return float64(max(1, chunks(itemBytes(item), 1024)))
	}
	readUnits := func(size int64, consistent *bool) float64 {
		u := float64(max(1, chunks(size, 4096)))
		if !aws.ToBool(consistent) {
			u /= 2
		}
		return u
	}
	switch in := input.(type) {
	case *dynamodb.PutItemInput:
		return writeUnits(in.Item), 0
	case *dynamodb.UpdateItemInput, *dynamodb.DeleteItemInput:
		return 1, 0
	case *dynamodb.BatchWriteItemInput:
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					wcu += writeUnits(r.PutRequest.Item)
				} else {
					wcu++
				}
			}
		}
		return wcu, 0
	case *dynamodb.GetItemInput:
		var size int64
		if o, ok := output.(*dynamodb.GetItemOutput); ok && o != nil {
			size = itemBytes(o.Item)
		}
		return 0, readUnits(size, in.ConsistentRead)
	case *dynamodb.BatchGetItemInput:
		o, _ := output.(*dynamodb.BatchGetItemOutput)
		for table, ka := range in.RequestItems {
			if o == nil || err != nil {
				rcu += float64(len(ka.Keys)) * readUnits(0, ka.ConsistentRead)
				continue
			}
			for _, it := range o.Responses[table] {
				rcu += readUnits(itemBytes(it), ka.ConsistentRead)
			}
			// A key that found no item still costs the minimum read.
			if missing := len(ka.Keys) - len(o.Responses[table]) - len(o.UnprocessedKeys[table].Keys); missing > 0 {
				rcu += float64(missing) * readUnits(0, ka.ConsistentRead)
			}
		}
		return 0, rcu
	case *dynamodb.QueryInput:
		var size int64
		if o, ok := output.(*dynamodb.QueryOutput); ok && o != nil {
			for _, it := range o.Items {
				size += itemBytes(it)
			}
		}
		return 0, readUnits(size, in.ConsistentRead)
	}
	return 0, 0
}

// itemBytes is DynamoDB's item size: attribute names plus values.
func itemBytes(item map[string]ddbtypes.AttributeValue) int64 {
	var n int64
	for k, v := range item {
		n += int64(len(k)) + valueBytes(v)
	}
	return n
}

func valueBytes(v ddbtypes.AttributeValue) int64 {
	switch x := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return int64(len(x.Value))
	case *ddbtypes.AttributeValueMemberN:
		return int64(len(strings.TrimLeft(x.Value, "-0"))+1)/2 + 1
	case *ddbtypes.AttributeValueMemberB:
		return int64(len(x.Value))
	case *ddbtypes.AttributeValueMemberBOOL, *ddbtypes.AttributeValueMemberNULL:
		return 1
	case *ddbtypes.AttributeValueMemberSS:
		var n int64
		for _, s := range x.Value {
			n += int64(len(s))
		}
		return n
	case *ddbtypes.AttributeValueMemberL:
		n := int64(3)
		for _, e := range x.Value {
			n += valueBytes(e) + 1
		}
		return n
	case *ddbtypes.AttributeValueMemberM:
		n := int64(3)
		for k, e := range x.Value {
			n += int64(len(k)) + valueBytes(e) + 1
		}
		return n
	}
	return 0
}

func attrBytes(attrs map[string]sqstypes.MessageAttributeValue) int64 {
	var n int64
	for k, v := range attrs {
		n += int64(len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue))
	}
	return n
}

// chunks is how many units of size n bytes are, at least one.
func chunks(n, size int64) int64 {
	return max(1, (n+size-1)/size)
}

// ---------------------------------------------------------------------------
// Log bytes

type logStats struct{ Bytes, Lines int64 }

// logMeter is the handlers' log destination: it counts what the slog JSON
// handler wrote, per function, and keeps none of it.
type logMeter struct {
	mu   sync.Mutex
	byFn map[string]logStats
}

func (l *logMeter) Write(p []byte) (int, error) {
	fn := "runner"
	if i := bytes.Index(p, []byte(`"function":"`)); i >= 0 {
		rest := p[i+len(`"function":"`):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			fn = string(rest[:j])
		}
	}
	l.mu.Lock()
	s := l.byFn[fn]
	s.Bytes += int64(len(p))
	s.Lines += int64(bytes.Count(p, []byte{'\n'}))
	l.byFn[fn] = s
	l.mu.Unlock()
	return len(p), nil
}

func (l *logMeter) reset() {
	l.mu.Lock()
	l.byFn = map[string]logStats{}
	l.mu.Unlock()
}

func (l *logMeter) snapshot() map[string]logStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]logStats, len(l.byFn))
	for k, v := range l.byFn {
		out[k] = v
	}
	return out
}

// ---------------------------------------------------------------------------
// Workload: what analytics.js (analytics-next) posts

type wirePage struct {
	Path     string `json:"path"`
	Referrer string `json:"referrer"`
	Search   string `json:"search"`
	Title    string `json:"title"`
	URL      string `json:"url"`
}

type wireCampaign struct {
	Source  string `json:"source"`
	Medium  string `json:"medium"`
	Name    string `json:"name"`
	Content string `json:"content,omitempty"`
}

type wireContext struct {
	Page      *wirePage         `json:"page,omitempty"`
	Campaign  *wireCampaign     `json:"campaign,omitempty"`
	UserAgent string            `json:"userAgent"`
	Locale    string            `json:"locale"`
	Timezone  string            `json:"timezone"`
	Library   map[string]string `json:"library"`
}

type wireMessage struct {
	Timestamp    string         `json:"timestamp"`
	Integrations map[string]any `json:"integrations"`
	Type         string         `json:"type"`
	Name         string         `json:"name,omitempty"`
	Event        string         `json:"event,omitempty"`
	Properties   map[string]any `json:"properties,omitempty"`
	Traits       map[string]any `json:"traits,omitempty"`
	MessageID    string         `json:"messageId"`
	AnonymousID  string         `json:"anonymousId"`
	UserID       string         `json:"userId,omitempty"`
	Context      wireContext    `json:"context"`
	WriteKey     string         `json:"writeKey,omitempty"`
	SentAt       string         `json:"sentAt,omitempty"`
	Metadata     map[string]any `json:"_metadata"`
}

type visitor struct {
	anon, userID, email, first, last, company string
	ua, locale, tz                            string
	sessions                                  int
	identified                                bool
}

type request struct {
	path string
	body []byte
}

type workload struct {
	requests []request
	perAnon  map[string]int
	ids      map[string]bool
	bytes    int64
}

var (
	pages = []struct{ path, title string }{
		{"/", "Acme Widgets — industrial widgets, delivered"},
		{"/pricing", "Pricing | Acme Widgets"},
		{"/features/automation", "Automation | Acme Widgets"},
		{"/blog/lead-scoring-101", "Lead scoring 101 | Acme Widgets blog"},
		{"/customers", "Customers | Acme Widgets"},
		{"/docs/getting-started", "Getting started | Acme Widgets docs"},
		{"/demo", "Book a demo | Acme Widgets"},
	}
	campaigns = []wireCampaign{
		{Source: "newsletter", Medium: "email", Name: "spring_launch", Content: "hero_button"},
		{Source: "google", Medium: "cpc", Name: "brand_search"},
		{Source: "linkedin", Medium: "social", Name: "webinar_q4", Content: "carousel"},
	}
	referrers = []string{"https://www.google.com/", "https://www.linkedin.com/", "", "https://news.ycombinator.com/"}
	tracks    = []struct {
		event string
		props map[string]any
	}{
		{"CTA Clicked", map[string]any{"label": "Start free trial", "location": "hero"}},
		{"Pricing Plan Viewed", map[string]any{"plan": "team", "billing": "annual", "seats": 12}},
		{"Video Played", map[string]any{"video_id": "intro-90s", "position": 0, "length": 92}},
		{"Whitepaper Downloaded", map[string]any{"title": "Lead Scoring 101", "format": "pdf"}},
	}
	agents = []string{
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Mobile/15E148 Safari/604.1",
	}
	locales = []struct{ locale, tz string }{{"en-US", "America/New_York"}, {"en-GB", "Europe/London"}, {"de-DE", "Europe/Berlin"}}
)

func uuid(r *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// generate builds the requests: visitors come in sessions of 3-7 events (a
// landing page, often with UTM tags, more pages, tracks, and for one visitor
// in four an identify on the first visit), visitors return round-robin, and
// the event stream is cut into requests of batch events, so a request holds
// several events of each of a few visitors, as a batching client sends.
//
// With sc.Returning, the first sc.Returning events of the same stream are
// the warm-up (returned apart); the measured workload's requests are the
// rest, and its expected counts cover both, since the table holds both.
func generate(sc scenario) (warm, w workload) {
	total := sc.Returning + sc.Events
	r := rand.New(rand.NewPCG(sc.Seed, uint64(sc.Events)))
	vs := make([]*visitor, sc.Visitors)
	for i := range vs {
		l := locales[r.IntN(len(locales))]
		vs[i] = &visitor{anon: uuid(r), ua: agents[r.IntN(len(agents))], locale: l.locale, tz: l.tz}
		if i%4 == 0 {
			vs[i].userID = fmt.Sprintf("usr_%06d", i)
			vs[i].email = fmt.Sprintf("visitor.%06d@example.com", i)
			vs[i].first, vs[i].last, vs[i].company = "Ada", fmt.Sprintf("Tester%d", i), "Example Ltd"
		}
	}
	order := r.Perm(sc.Visitors)
	var stream []wireMessage
	// Spread the events over the past hours, oldest first, one every 400 ms.
	at := time.Now().UTC().Add(-time.Duration(total) * 400 * time.Millisecond)
	for s := 0; len(stream) < total; s++ {
		v := vs[order[s%sc.Visitors]]
		v.sessions++
		n := 3 + r.IntN(5)
		var camp *wireCampaign
		if r.IntN(2) == 0 {
			c := campaigns[r.IntN(len(campaigns))]
			camp = &c
		}
		ref := referrers[r.IntN(len(referrers))]
		for k := 0; k < n && len(stream) < total; k++ {
			at = at.Add(400 * time.Millisecond)
			pg := pages[r.IntN(len(pages))]
			if k == 0 && camp != nil {
				pg = pages[1]
			}
			page := &wirePage{Path: pg.path, Title: pg.title, Referrer: ref, URL: "https://www.acme-widgets.test" + pg.path}
			if k == 0 && camp != nil {
				page.Search = "?utm_source=" + camp.Source + "&utm_medium=" + camp.Medium + "&utm_campaign=" + camp.Name
				if camp.Content != "" {
					page.Search += "&utm_content=" + camp.Content
				}
				page.URL += page.Search
			}
			ref = page.URL
			m := wireMessage{
				Timestamp:    at.Format("2006-01-02T15:04:05.000Z"),
				Integrations: map[string]any{},
				MessageID:    fmt.Sprintf("ajs-next-%d-%s", at.UnixMilli(), uuid(r)),
				AnonymousID:  v.anon,
				Context: wireContext{
					Page: page, UserAgent: v.ua, Locale: v.locale, Timezone: v.tz,
					Library: map[string]string{"name": "analytics.js", "version": "npm:next-1.70.0"},
				},
				Metadata: map[string]any{"bundled": []string{"Segment.io"}, "unbundled": []string{}, "bundledIds": []string{}},
			}
			if k == 0 && camp != nil {
				m.Context.Campaign = camp
			}
			if v.identified {
				m.UserID = v.userID
			}
			switch {
			case k == n-1 && v.email != "" && !v.identified:
				m.Type, m.UserID = "identify", v.userID
				m.Traits = map[string]any{"email": v.email, "firstName": v.first, "lastName": v.last, "company": v.company, "plan": "trial"}
				v.identified = true
			case k == 0 || r.IntN(3) > 0:
				m.Type, m.Name = "page", strings.SplitN(pg.title, " |", 2)[0]
				m.Properties = map[string]any{"path": page.Path, "referrer": page.Referrer, "search": page.Search, "title": page.Title, "url": page.URL}
			default:
				t := tracks[r.IntN(len(tracks))]
				m.Type, m.Event, m.Properties = "track", t.event, t.props
			}
			stream = append(stream, m)
		}
	}
	warm = pack(stream[:sc.Returning], sc.Batch)
	w = pack(stream[sc.Returning:], sc.Batch)
	for a, n := range warm.perAnon {
		w.perAnon[a] += n
	}
	for id := range warm.ids {
		w.ids[id] = true
	}
	return warm, w
}

// pack cuts a stream into requests of batch events and counts what a
// verification expects of it.
func pack(stream []wireMessage, batch int) workload {
	w := workload{perAnon: map[string]int{}, ids: map[string]bool{}}
	for _, m := range stream {
		w.perAnon[m.AnonymousID]++
		w.ids[m.MessageID] = true
	}
	sentAt := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	paths := map[string]string{"page": "/v1/p", "track": "/v1/t", "identify": "/v1/i"}
	for start := 0; start < len(stream); start += batch {
		part := stream[start:min(start+batch, len(stream))]
		var req request
		if batch == 1 {
			// One event per request is analytics.js without batching: the
			// message itself, to its type's path.
			m := part[0]
			m.WriteKey, m.SentAt = siteKey, sentAt
			req.path = paths[m.Type]
			req.body, _ = json.Marshal(m)
		} else {
			req.path = "/v1/batch"
			req.body, _ = json.Marshal(struct {
				Batch    []wireMessage `json:"batch"`
				WriteKey string        `json:"writeKey"`
				SentAt   string        `json:"sentAt"`
			}{part, siteKey, sentAt})
		}
		w.bytes += int64(len(req.body))
		w.requests = append(w.requests, req)
	}
	return w
}

// ---------------------------------------------------------------------------
// One run

func runScenario(ctx context.Context, srv *runner.Servers, sc scenario, prefix string) (*result, error) {
	m := newMeter()
	logs := &logMeter{byFn: map[string]logStats{}}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	p, err := runner.New(runCtx, runner.Options{
		Endpoints:   srv.Endpoints(),
		Table:       prefix + "leadflow",
		QueuePrefix: prefix,
		AdminToken:  prefix + "admin-token",
		Site:        site.Site{Key: siteKey, Name: "Acme Widgets (bench)", AllowedOrigins: []string{origin}},
		// A failed batch comes back in seconds instead of the catalog's
		// three minutes, so a run with a failure still finishes (and is
		// reported) within the timeout.
		VisibilityTimeout: 10 * time.Second,
		NoSchedules:       true,
		Log:               slog.New(runner.NewLogHandler(logs)),
		APIOptions:        []func(*middleware.Stack) error{m.register},
	})
	if err != nil {
		return nil, err
	}
	p.Start(runCtx)
	api := httptest.NewServer(p)
	defer func() {
		api.Close()
		stop()
		p.Wait()
	}()

	// Uncounted clients: checking progress must not be priced as pipeline work.
	plain := runner.AWSConfig(srv.Endpoints())
	ddb := dynamodb.NewFromConfig(plain)
	queue := sqs.NewFromConfig(plain)

	if err := defineSegments(ctx, api.URL, prefix+"admin-token", sc.Segments); err != nil {
		return nil, err
	}
	if err := defineJourneys(ctx, api.URL, prefix+"admin-token", sc.Journeys); err != nil {
		return nil, err
	}
	warm, w := generate(sc)
	if len(warm.requests) > 0 {
		start := time.Now()
		if err := post(ctx, api.URL, warm.requests, sc.Clients); err != nil {
			return nil, err
		}
		if _, _, err := waitApplied(ctx, ddb, queue, p.QueueURL(catalog.EventsQueue), p.DLQURL(catalog.EventsQueue), prefix+"leadflow", warm, sc.Timeout); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
		// Let the warm-up's last flushes and timers land before metering.
		time.Sleep(1500 * time.Millisecond)
		fmt.Printf("\n== warm-up: %d events of the same visitors applied in %s (not metered)\n", sc.Returning, time.Since(start).Round(time.Millisecond))
	}
	fmt.Printf("\n== %s: %d requests, %.0f bytes per event posted\n", sc, len(w.requests), float64(w.bytes)/float64(sc.Events))

	// Only what happens from the first post on is priced: set-up calls
	// (CreateTable, CreateQueue, seeding the site) are excluded.
	m.reset()
	logs.reset()
	inv0, fail0, busy0 := p.Stats().SnapshotBusy()
	start := time.Now()
	if err := post(ctx, api.URL, w.requests, sc.Clients); err != nil {
		return nil, err
	}
	postWall := time.Since(start)
	fmt.Printf("   posted in %s (%.0f events/s accepted); waiting for the processor\n", postWall.Round(time.Millisecond), float64(sc.Events)/postWall.Seconds())

	ver, doneAt, err := waitApplied(ctx, ddb, queue, p.QueueURL(catalog.EventsQueue), p.DLQURL(catalog.EventsQueue), prefix+"leadflow", w, sc.Timeout)
	if err != nil {
		_, fails, _ := p.Stats().SnapshotBusy()
		return nil, fmt.Errorf("%w (function failures so far: %v)", err, fails)
	}
	ops := m.snapshot()
	logSnap := logs.snapshot()
	inv1, fail1, busy1 := p.Stats().SnapshotBusy()

	// Let anything still in flight land, then check again: a late
	// redelivery would double count here.
	time.Sleep(1500 * time.Millisecond)
	again, err := scan(ctx, ddb, prefix+"leadflow", w)
	if err != nil {
		return nil, err
	}
	if err := again.check(w); err != nil {
		return nil, fmt.Errorf("after settling: %w", err)
	}

	res := &result{
		scenario: sc, Requests: len(w.requests), RequestBytes: w.bytes,
		PostWall: postWall, Wall: doneAt.Sub(start), Ops: ops, Logs: logSnap, Verified: ver,
		Invocations: map[string]int{}, Failures: map[string]int{}, Busy: map[string]time.Duration{}, MemoryMB: map[string]int{},
	}
	for _, r := range w.requests {
		res.APIUnits += chunks(int64(len(r.path)+len(r.body)), apiChunk)
	}
	if res.JourneyRuns, err = journeyEntries(ctx, ddb, prefix+"leadflow", sc.Journeys); err != nil {
		return nil, err
	}
	for k, v := range inv1 {
		res.Invocations[k] = v - inv0[k]
	}
	for k, v := range fail1 {
		res.Failures[k] = v - fail0[k]
	}
	for k, v := range busy1 {
		res.Busy[k] = v - busy0[k]
	}
	for _, f := range catalog.Load().Functions {
		res.MemoryMB[f.Name] = f.MemoryMB
	}
	return res, nil
}

func post(ctx context.Context, url string, reqs []request, clients int) error {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) || ctx.Err() != nil {
					return
				}
				hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+reqs[i].path, bytes.NewReader(reqs[i].body))
				// What a browser's analytics.js sends: text/plain skips the
				// CORS preflight, the write key travels in the body.
				hr.Header.Set("Content-Type", "text/plain;charset=UTF-8")
				hr.Header.Set("Origin", origin)
				resp, err := client.Do(hr)
				if err != nil {
					errs <- fmt.Errorf("post %s: %w", reqs[i].path, err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("post %s: %d %s", reqs[i].path, resp.StatusCode, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// ---------------------------------------------------------------------------
// Verification: every event landed exactly once

type verification struct {
	Profiles, Merged int
	EventCount       int // sum of event_count over surviving profiles
	Stored           int // distinct message ids in timeline chunks and profile items
	Chunks           int
	StoredCopies     int // events in chunks and profile items, counting repeats
	ChunkEvents      int // events in chunks, counting repeats
	Kept             int // events kept in profile items (contact.Profile.Recent)
	Missing, Unknown int
	// Internal counts timeline events the pipeline wrote itself (addressed
	// by contact id: segment entries and exits, timers), which no client
	// sent; their chunks are billed like any other.
	Internal int
	// Sizes, by DynamoDB's rules, of what the writes are billed for.
	ProfileBytes, ProfileJSONBytes, WindowBytes, MaxProfileBytes int64
	ChunkBytes                                                   int64
	// Per visitor: the bench's visitors share no identity, so each must end
	// on exactly one live profile holding exactly the events it sent.
	WrongCount   int    // visitors whose profiles hold more or fewer events than sent
	CrossVisitor int    // live profiles holding more than one visitor
	Split        int    // visitors spread over several live profiles
	Example      string // one wrong or split visitor, for the message
}

// check returns an error when an event was lost or counted twice: over all
// profiles, in the timelines, or for any one visitor.
func (v verification) check(w workload) error {
	n := len(w.ids)
	switch {
	case v.EventCount > n:
		return fmt.Errorf("double counted: profiles hold %d events, %d were sent", v.EventCount, n)
	case v.Unknown > 0:
		return fmt.Errorf("%d stored events were never sent", v.Unknown)
	case v.EventCount < n || v.Missing > 0:
		return fmt.Errorf("lost events: profiles count %d of %d, %d sent events missing from the timelines", v.EventCount, n, v.Missing)
	case v.WrongCount > 0:
		return fmt.Errorf("%d visitors have lost or double counted events (%s)", v.WrongCount, v.Example)
	case v.CrossVisitor > 0:
		return fmt.Errorf("%d profiles merged visitors that share no identity", v.CrossVisitor)
	}
	return nil
}

func queueIdle(ctx context.Context, q *sqs.Client, url string) (bool, error) {
	res, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"},
	})
	if err != nil {
		return false, fmt.Errorf("read queue depth: %w", err)
	}
	return res.Attributes["ApproximateNumberOfMessages"] == "0" && res.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0", nil
}

// waitApplied polls until the events queue is idle and the table holds every
// event exactly once; it fails at once on a double count or a dead letter.
func waitApplied(ctx context.Context, ddb *dynamodb.Client, q *sqs.Client, url, dlq, table string, w workload, timeout time.Duration) (verification, time.Time, error) {
	deadline := time.Now().Add(timeout)
	var last verification
	var lastErr error
	for {
		idle, err := queueIdle(ctx, q, url)
		if err != nil {
			return last, time.Time{}, err
		}
		if idle {
			at := time.Now()
			v, err := scan(ctx, ddb, table, w)
			if err != nil {
				return v, at, err
			}
			last, lastErr = v, v.check(w)
			if lastErr == nil {
				return v, at, nil
			}
			if v.EventCount >= len(w.ids) && v.Missing == 0 {
				// Everything landed, yet wrongly: waiting cannot fix it.
				return v, at, lastErr
			}
			if dead, _ := queueIdle(ctx, q, dlq); !dead {
				return v, at, fmt.Errorf("a batch was dead-lettered: %w", lastErr)
			}
		}
		if time.Now().After(deadline) {
			if lastErr == nil {
				lastErr = errors.New("the events queue never drained")
			}
			return last, time.Time{}, fmt.Errorf("after %s: %w", timeout, lastErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scan reads the whole table with an uncounted client, as a check only: each
// profile's event count against what its visitor sent, and the message ids
// in the timeline chunks against the ids posted.
func scan(ctx context.Context, ddb *dynamodb.Client, table string, w workload) (verification, error) {
	var v verification
	stored := map[string]int{}
	byVisitor := map[string][]int{} // anonymous id -> event counts of its live profiles
	var start map[string]ddbtypes.AttributeValue
	for {
		res, err := ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return v, fmt.Errorf("scan %s: %w", table, err)
		}
		for _, it := range res.Items {
			pk, sk := attrS(it, "pk"), attrS(it, "sk")
			if !strings.HasPrefix(pk, "C#") {
				continue
			}
			switch {
			case sk == "P":
				var prof struct {
					AnonymousIDs []string `json:"anonymous_ids"`
					EventCount   int      `json:"event_count"`
					MergedInto   string   `json:"merged_into"`
				}
				raw, err := dynamo.ProfileJSON(it)
				if err != nil {
					return v, fmt.Errorf("decompress profile %s: %w", pk, err)
				}
				if err := json.Unmarshal(raw, &prof); err != nil {
					return v, fmt.Errorf("decode profile %s: %w", pk, err)
				}
				// The newest events stay in the profile item while they fit
				// (a merged contact's tombstone keeps its own).
				kept, err := dynamo.ProfileEvents(it)
				if err != nil {
					return v, fmt.Errorf("events kept in profile %s: %w", pk, err)
				}
				for _, m := range kept {
					if m.ContactID != "" {
						v.Internal++
						continue
					}
					stored[m.MessageID]++
					v.StoredCopies++
					v.Kept++
				}
				if prof.MergedInto != "" {
					v.Merged++
					continue
				}
				v.Profiles++
				v.EventCount += prof.EventCount
				size := itemBytes(it)
				v.ProfileBytes += size
				v.MaxProfileBytes = max(v.MaxProfileBytes, size)
				v.ProfileJSONBytes += int64(len(raw))
				if w, ok := it["w"].(*ddbtypes.AttributeValueMemberB); ok {
					v.WindowBytes += int64(len(w.Value))
				}
				visitors := map[string]bool{}
				for _, a := range prof.AnonymousIDs {
					if w.perAnon[a] > 0 {
						visitors[a] = true
					}
				}
				if len(visitors) > 1 {
					v.CrossVisitor++
				}
				for a := range visitors {
					byVisitor[a] = append(byVisitor[a], prof.EventCount)
				}
			case strings.HasPrefix(sk, "E#"):
				b, _ := it["z"].(*ddbtypes.AttributeValueMemberB)
				if b == nil {
					return v, fmt.Errorf("timeline chunk %s %s has no events", pk, sk)
				}
				msgs, err := dynamo.DecodeEvents(b.Value)
				if err != nil {
					return v, fmt.Errorf("timeline chunk %s %s: %w", pk, sk, err)
				}
				v.Chunks++
				v.ChunkBytes += itemBytes(it)
				for _, m := range msgs {
					if m.ContactID != "" {
						v.Internal++
						continue
					}
					stored[m.MessageID]++
					v.StoredCopies++
					v.ChunkEvents++
				}
			}
		}
		if start = res.LastEvaluatedKey; start == nil {
			break
		}
	}
	for a, sent := range w.perAnon {
		got := 0
		for _, c := range byVisitor[a] {
			got += c
		}
		switch {
		case got != sent:
			v.WrongCount++
			v.Example = fmt.Sprintf("visitor %s sent %d events, its profiles count %v", a, sent, byVisitor[a])
		case len(byVisitor[a]) > 1:
			v.Split++
			if v.Example == "" {
				v.Example = fmt.Sprintf("visitor %s: %d events counted on %d live profiles, %v", a, sent, len(byVisitor[a]), byVisitor[a])
			}
		}
	}
	v.Stored = len(stored)
	for id := range stored {
		if !w.ids[id] {
			v.Unknown++
		}
	}
	for id := range w.ids {
		if stored[id] == 0 {
			v.Missing++
		}
	}
	return v, nil
}

func attrS(it map[string]ddbtypes.AttributeValue, k string) string {
	if s, ok := it[k].(*ddbtypes.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// ---------------------------------------------------------------------------
// Prices and the report

type price struct {
	Service string  `json:"service"`
	USD     float64 `json:"usd"`
	Per     float64 `json:"per"`
	Unit    string  `json:"unit"`
	Source  string  `json:"source"`
	Noted   string  `json:"noted"`
}

type priceBook struct {
	Region string           `json:"region"`
	Noted  string           `json:"noted"`
	Prices map[string]price `json:"prices"`
	path   string
}

var priceKeys = []string{
	"apigw_http_request", "lambda_request", "lambda_gb_second", "sqs_request",
	"dynamodb_write_request_unit", "dynamodb_read_request_unit", "cloudwatch_logs_ingested_gb", "ses_email",
}

func loadPrices(path string) (priceBook, error) {
	var pb priceBook
	raw, err := os.ReadFile(path)
	if err != nil {
		return pb, fmt.Errorf("read prices: %w", err)
	}
	if err := json.Unmarshal(raw, &pb); err != nil {
		return pb, fmt.Errorf("decode %s: %w", path, err)
	}
	for _, k := range priceKeys {
		p, ok := pb.Prices[k]
		if !ok || p.Per <= 0 || p.USD < 0 || p.Source == "" {
			return pb, fmt.Errorf("%s: price %q missing or incomplete", path, k)
		}
	}
	pb.path = path
	return pb, nil
}

// unit is the dollars for one unit of a price.
func (pb priceBook) unit(k string) float64 { p := pb.Prices[k]; return p.USD / p.Per }

// line is one item of the bill: a quantity per event and its price per
// million events.
type line struct {
	Item     string
	PerEvent float64
	Unit     string
	PerM     float64
	Basis    string
}

// bill prices a run, item by item.
// systemLogs prices Lambda's own log lines (-system-logs).
var systemLogs bool

func bill(r *result, pb priceBook) []line {
	n := float64(r.Events)
	var lines []line
	addLine := func(item string, qty float64, unit, priceKey, basis string) {
		lines = append(lines, line{item, qty / n, unit, qty / n * 1e6 * pb.unit(priceKey), basis})
	}
	addLine("API Gateway HTTP API requests", float64(r.APIUnits), "request", "apigw_http_request", "measured")
	for _, fn := range sortedKeys(r.Invocations) {
		if r.Invocations[fn] == 0 {
			continue
		}
		addLine("Lambda "+fn+" invocations", float64(r.Invocations[fn]), "invocation", "lambda_request", "measured")
		gbs := r.Busy[fn].Seconds() * float64(r.MemoryMB[fn]) / 1024
		addLine(fmt.Sprintf("Lambda %s duration (%d MB)", fn, r.MemoryMB[fn]), gbs, "GB-s", "lambda_gb_second", "upper bound: local x86 wall time")
	}
	var send, recv, del, other, busEvents float64
	var wcuR, wcuE, rcuR, rcuE float64
	for k, o := range r.Ops {
		switch {
		case k.Service == "SQS" && k.Operation == "SendMessage":
			send += float64(o.SQSBilled)
		case k.Service == "SQS" && k.Operation == "ReceiveMessage":
			recv += float64(o.SQSBilled - o.EmptyReceives)
		case k.Service == "SQS" && strings.HasPrefix(k.Operation, "DeleteMessage"):
			del += float64(o.SQSBilled)
		case k.Service == "SQS":
			other += float64(o.SQSBilled)
		case k.Service == "EventBridge" && k.Operation == "PutEvents":
			busEvents += float64(o.Messages)
		}
		wcuR, wcuE = wcuR+o.ReportedWCU, wcuE+o.EstimatedWCU
		rcuR, rcuE = rcuR+o.ReportedRCU, rcuE+o.EstimatedRCU
	}
	addLine("SQS SendMessage (64 KB chunks)", send, "request", "sqs_request", "measured")
	addLine("SQS ReceiveMessage with messages (64 KB chunks)", recv, "request", "sqs_request", "measured")
	// Empty receives are not per event: Lambda's pollers make them whether
	// events flow or not (a fixed cost per queue, printed apart by report).
	addLine("SQS DeleteMessageBatch", del, "request", "sqs_request", "measured")
	if other > 0 {
		addLine("SQS other", other, "request", "sqs_request", "measured")
	}
	addLine("DynamoDB writes, reported by DynamoDB", wcuR, "WRU", "dynamodb_write_request_unit", "ConsumedCapacity")
	if wcuE > 0 {
		addLine("DynamoDB writes, estimated from item size", wcuE, "WRU", "dynamodb_write_request_unit", "estimate (no ConsumedCapacity)")
	}
	addLine("DynamoDB reads, reported by DynamoDB", rcuR, "RRU", "dynamodb_read_request_unit", "ConsumedCapacity")
	if rcuE > 0 {
		addLine("DynamoDB reads, estimated from item size", rcuE, "RRU", "dynamodb_read_request_unit", "estimate (no ConsumedCapacity)")
	}
	var logBytes, invocations float64
	for _, l := range r.Logs {
		logBytes += float64(l.Bytes)
	}
	for _, v := range r.Invocations {
		invocations += float64(v)
	}
	if busEvents > 0 {
		addLine("EventBridge events (segment.entered/exited, ...)", busEvents, "event", "eventbridge_event", "measured (PutEvents entries)")
	}
	addLine("CloudWatch Logs, handler lines", logBytes, "byte", "cloudwatch_logs_ingested_gb", "measured (slog bytes)")
	if systemLogs {
		addLine("CloudWatch Logs, Lambda START/END/REPORT", invocations*platformLogBytes, "byte", "cloudwatch_logs_ingested_gb", fmt.Sprintf("estimate: %d B per invocation", platformLogBytes))
	}
	addLine("SES emails", 0, "email", "ses_email", "none sent by this pipeline")
	return lines
}

func total(lines []line) float64 {
	var t float64
	for _, l := range lines {
		t += l.PerM
	}
	return t
}

func report(out io.Writer, r *result, pb priceBook) {
	n := float64(r.Events)
	fmt.Fprintf(out, "\n-- %s\n", r.scenario)
	fmt.Fprintf(out, "end to end: %d events in %s = %.0f events/s (first post to the last event verified in DynamoDB)\n",
		r.Events, r.Wall.Round(time.Millisecond), n/r.Wall.Seconds())
	fmt.Fprintf(out, "ingest alone: %d requests posted in %s = %.0f events/s, %.0f requests/s; %.0f bytes per request\n",
		r.Requests, r.PostWall.Round(time.Millisecond), n/r.PostWall.Seconds(), float64(r.Requests)/r.PostWall.Seconds(), float64(r.RequestBytes)/float64(r.Requests))
	v := r.Verified
	fmt.Fprintf(out, "verified: %d events sent, %d counted on %d profiles (%d merged), %d distinct in %d timeline chunks and %d kept in profile items (%d stored copies), 0 lost, 0 double counted\n",
		r.Events, v.EventCount, v.Profiles, v.Merged, v.Stored, v.Chunks, v.Kept, v.StoredCopies)
	if r.JourneyRuns != "" {
		fmt.Fprintf(out, "journeys: %s\n", r.JourneyRuns)
	}
	if v.Internal > 0 {
		fmt.Fprintf(out, "internal timeline events (written by the pipeline for a contact, not sent by a client: segment entries, timers): %d\n", v.Internal)
	}
	if v.Profiles > 0 && v.Chunks > 0 {
		np := float64(v.Profiles)
		fmt.Fprintf(out, "item sizes: profile avg %.0f B (max %d; profile JSON %.0f B, de-dup window %.0f B, keys and version the rest); timeline chunk avg %.0f B holding %.1f events\n",
			float64(v.ProfileBytes)/np, v.MaxProfileBytes, float64(v.ProfileJSONBytes)/np, float64(v.WindowBytes)/np,
			float64(v.ChunkBytes)/float64(v.Chunks), float64(v.ChunkEvents)/float64(v.Chunks))
	}
	if v.Split > 0 {
		fmt.Fprintf(out, "WARNING: %d visitors ended up on more than one live contact (no event lost or counted twice, but the\n"+
			"         visitor's history is split): %s. Concurrent invocations raced on a new visitor; see BENCHMARKS.md.\n"+
			"         Run with -strict to fail on this.\n", v.Split, v.Example)
	}
	var failures []string
	for _, k := range sortedKeys(r.Failures) {
		if r.Failures[k] > 0 {
			failures = append(failures, fmt.Sprintf("%s %d", k, r.Failures[k]))
		}
	}
	if len(failures) > 0 {
		fmt.Fprintf(out, "failures during the run (retried, then verified): %s\n", strings.Join(failures, ", "))
	}

	fmt.Fprintln(out, "\nLambda (busy = summed wall time of invocations, in-process, local x86):")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\tinvocations\tper event\tevents/inv\tms/inv\tMB\tGB-s per event\tlog B/event\tlog lines/event\t")
	for _, fn := range sortedKeys(r.Invocations) {
		inv := r.Invocations[fn]
		if inv == 0 {
			continue
		}
		l := r.Logs[fn]
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.1f\t%.2f\t%d\t%.3g\t%.1f\t%.4f\t\n", fn, inv, float64(inv)/n, n/float64(inv),
			float64(r.Busy[fn].Microseconds())/1000/float64(inv), r.MemoryMB[fn],
			r.Busy[fn].Seconds()*float64(r.MemoryMB[fn])/1024/n, float64(l.Bytes)/n, float64(l.Lines)/n)
	}
	tw.Flush()

	fmt.Fprintln(out, "\nAWS calls made by the handlers and the local SQS poller (SDK middleware):")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "service\toperation\tcalls\tper event\tretries\terrors\tcond. failed\treq B/call\tSQS billed\tempty\tWCU\tby size\tRCU\tunits/call\tcapacity\t")
	keys := make([]opKey, 0, len(r.Ops))
	for k := range r.Ops {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Service != keys[j].Service {
			return keys[i].Service < keys[j].Service
		}
		return keys[i].Operation < keys[j].Operation
	})
	for _, k := range keys {
		o := r.Ops[k]
		src := "-"
		switch {
		case o.Reported > 0 && o.Estimated > 0:
			src = fmt.Sprintf("reported %d, estimated %d", o.Reported, o.Estimated)
		case o.Reported > 0:
			src = "reported"
		case o.Estimated > 0:
			src = "estimated"
		}
		units := o.ReportedWCU + o.EstimatedWCU + o.ReportedRCU + o.EstimatedRCU
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.4f\t%d\t%d\t%d\t%.0f\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.2f\t%s\t\n", k.Service, k.Operation, o.Calls, float64(o.Calls)/n,
			o.Attempts-o.Calls, o.Errors, o.ConditionFailed, float64(o.RequestBytes)/float64(max(o.Attempts, 1)), o.SQSBilled, o.EmptyReceives,
			o.ReportedWCU+o.EstimatedWCU, o.SizeWCU, o.ReportedRCU+o.EstimatedRCU, units/float64(max(o.Calls, 1)), src)
	}
	tw.Flush()
	for _, k := range keys {
		o := r.Ops[k]
		if len(o.Batched) == 0 {
			continue
		}
		kinds := make([]string, 0, len(o.Batched))
		for kind := range o.Batched {
			kinds = append(kinds, kind)
		}
		sort.Strings(kinds)
		fmt.Fprintf(out, "%s by item (WCU by size):", k.Operation)
		for _, kind := range kinds {
			b := o.Batched[kind]
			fmt.Fprintf(out, " %s %d items %.0f WCU;", kind, b.Items, b.WCU)
		}
		fmt.Fprintln(out)
	}
	if note := capacityNote(r); note != "" {
		fmt.Fprintln(out, note)
	}

	lines := bill(r, pb)
	fmt.Fprintf(out, "\nCost per million events (%s list prices, %s):\n", pb.Region, pb.path)
	printBill(out, lines)
	t := total(lines)
	verdict := "within"
	if t > goal {
		verdict = fmt.Sprintf("OVER by $%.4f", t-goal)
	}
	fmt.Fprintf(out, "TOTAL $%.4f per million events; goal $%.2f: %s\n", t, goal, verdict)
	var empty int64
	for k, o := range r.Ops {
		if k.Service == "SQS" && k.Operation == "ReceiveMessage" {
			empty += o.EmptyReceives
		}
	}
	fmt.Fprintf(out, "Not per event, so not in the total: the queue's empty receives, a fixed cost per queue. Lambda's\n"+
		"event source mapping makes about %d a month per queue (%.2f $ a month per queue at $%.2f per million\n"+
		"requests), whatever the traffic; the local poller made %d during this run, which it polls differently.\n",
		espPollsPerMonth, float64(espPollsPerMonth)*pb.unit("sqs_request"), pb.unit("sqs_request")*1e6, empty)
	if !systemLogs {
		fmt.Fprintln(out, "Lambda's START/END/REPORT lines are not priced: the stack sets the system log level to WARN (-system-logs prices them).")
	}
}

func printBill(out io.Writer, lines []line) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "item\tper event\tunit\t$ per M events\tshare\tbasis")
	t := total(lines)
	for _, l := range lines {
		share := 0.0
		if t > 0 {
			share = 100 * l.PerM / t
		}
		fmt.Fprintf(tw, "%s\t%.4g\t%s\t%.4f\t%.1f%%\t%s\n", l.Item, l.PerEvent, l.Unit, l.PerM, share, l.Basis)
	}
	tw.Flush()
}

// capacityNote says where the DynamoDB figures came from.
func capacityNote(r *result) string {
	var reported, estimated int64
	for k, o := range r.Ops {
		if k.Service == "DynamoDB" {
			reported += o.Reported
			estimated += o.Estimated
		}
	}
	switch {
	case reported == 0 && estimated > 0:
		return "NOTE: DynamoDB Local returned no ConsumedCapacity: every WRU/RRU above is computed from item sizes (ceil(bytes/1 KB) per write, ceil(bytes/4 KB) per read), a lower bound for replaces."
	case estimated > 0:
		return fmt.Sprintf("NOTE: %d DynamoDB calls carried no ConsumedCapacity (calls that do not ask for it, and errors such as failed\n      conditional writes, which AWS still bills): their units are computed from item sizes.", estimated)
	}
	return ""
}

// compare prints the bills of the runs side by side.
func compare(out io.Writer, rs []*result, pb priceBook) {
	fmt.Fprintln(out, "\n== Batching: $ per million events, side by side")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "item\t")
	bills := make([][]line, len(rs))
	for i, r := range rs {
		fmt.Fprintf(tw, "%d per request\t", r.Batch)
		bills[i] = bill(r, pb)
	}
	fmt.Fprintln(tw)
	index := map[string]map[int]float64{}
	var order []string
	for i, b := range bills {
		for _, l := range b {
			if index[l.Item] == nil {
				index[l.Item] = map[int]float64{}
				order = append(order, l.Item)
			}
			index[l.Item][i] += l.PerM
		}
	}
	for _, item := range order {
		fmt.Fprintf(tw, "%s\t", item)
		for i := range rs {
			fmt.Fprintf(tw, "%.4f\t", index[item][i])
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprint(tw, "TOTAL\t")
	for i := range rs {
		fmt.Fprintf(tw, "%.4f\t", total(bills[i]))
	}
	fmt.Fprintln(tw)
	fmt.Fprint(tw, "events/s end to end\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%.0f\t", float64(r.Events)/r.Wall.Seconds())
	}
	fmt.Fprintln(tw)
	tw.Flush()
}

func notes(out io.Writer) {
	fmt.Fprint(out, `
What these figures are, and are not:
- Requests, bytes, invocations, DynamoDB capacity and log bytes are counted from the
  real handlers' real AWS SDK calls; they are what AWS would bill for the same calls.
- Lambda GB-s is local wall time (x86, 2 cores shared with DynamoDB Local, goaws and
  the load generator) times the catalog's memory size: an upper bound for arm64
  Lambda, not a measurement of it. Lambda also bills each invocation rounded up to
  the next 1 ms and adds init time on cold starts; neither is modelled.
- SQS polling: the local runner polls like Lambda's event source mapping but not
  identically (1 s long polls, then 0 s polls every 50 ms while it fills a batch
  within the batching window). Lambda's ESM long-polls with several pollers too,
  and its receives, empty ones included, are billed as SQS requests; at idle that is
  a fixed cost of the order of a few hundred thousand requests a month per queue,
  not a per-event one.
- HTTP API: requests are metered in 512 KB units; CORS preflights are not sent here
  (analytics.js posts text/plain), and a browser that sends them adds requests.
- Lambda's own START/END/REPORT log lines are dropped by the stack's system log level
  (WARN); with -system-logs they are estimated (300 B per invocation), not measured.
`)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
