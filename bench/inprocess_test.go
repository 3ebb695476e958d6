// Package bench_test measures the CPU and allocations of the tracking
// pipeline's hot paths in process, with no servers: parsing a batch, the
// ingest handler, and the processor over a full SQS batch. Figures are per
// event, because the bill is per event (see bench/pipeline for requests,
// capacity and dollars).
//
//	go test -run '^$' -bench . -benchmem ./bench/
package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/fn/ingestfn"
	"github.com/leadflow/leadflow/shared/fn/processorfn"
	"github.com/leadflow/leadflow/shared/ingest"
	"github.com/leadflow/leadflow/shared/interest"
	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/tracking"
)

const (
	writeKey = "wk_bench_4f9c2e7a1b"
	origin   = "https://www.acme-widgets.test"
	// batchEvents is what a batching browser or server library sends per
	// request; recordsPerInvocation is the catalog's SQS batch size.
	batchEvents          = 20
	eventsPerVisitor     = 5
	recordsPerInvocation = 10
)

// ---------------------------------------------------------------------------
// Workload: analytics.js-shaped messages

type wirePage struct {
	Path     string `json:"path"`
	Referrer string `json:"referrer"`
	Search   string `json:"search"`
	Title    string `json:"title"`
	URL      string `json:"url"`
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
	Context      map[string]any `json:"context"`
	Metadata     map[string]any `json:"_metadata"`
}

var pagePaths = []struct{ path, title string }{
	{"/", "Acme Widgets — industrial widgets, delivered"},
	{"/pricing", "Pricing | Acme Widgets"},
	{"/features/automation", "Automation | Acme Widgets"},
	{"/blog/lead-scoring-101", "Lead scoring 101 | Acme Widgets blog"},
	{"/demo", "Book a demo | Acme Widgets"},
}

func uuid(r *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// session is eventsPerVisitor events of one visitor: a landing page with UTM
// tags, more pages, a track, and for one visitor in four an identify.
func session(r *rand.Rand, anon string, identify bool, at time.Time) []wireMessage {
	out := make([]wireMessage, 0, eventsPerVisitor)
	ref := "https://www.google.com/"
	for k := 0; k < eventsPerVisitor; k++ {
		at = at.Add(2 * time.Second)
		pg := pagePaths[r.IntN(len(pagePaths))]
		page := wirePage{Path: pg.path, Title: pg.title, Referrer: ref, URL: "https://www.acme-widgets.test" + pg.path}
		ctx := map[string]any{
			"userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
			"locale":    "en-US", "timezone": "America/New_York",
			"library": map[string]string{"name": "analytics.js", "version": "npm:next-1.70.0"},
		}
		if k == 0 {
			page.Search = "?utm_source=newsletter&utm_medium=email&utm_campaign=spring_launch&utm_content=hero_button"
			page.URL += page.Search
			ctx["campaign"] = map[string]string{"source": "newsletter", "medium": "email", "name": "spring_launch", "content": "hero_button"}
		}
		ctx["page"] = page
		ref = page.URL
		m := wireMessage{
			Timestamp: at.Format("2006-01-02T15:04:05.000Z"), Integrations: map[string]any{},
			MessageID:   fmt.Sprintf("ajs-next-%d-%s", at.UnixMilli(), uuid(r)),
			AnonymousID: anon, Context: ctx,
			Metadata: map[string]any{"bundled": []string{"Segment.io"}, "unbundled": []string{}, "bundledIds": []string{}},
		}
		switch {
		case k == eventsPerVisitor-1 && identify:
			m.Type, m.UserID = "identify", "usr_"+anon[:8]
			m.Traits = map[string]any{"email": "v." + anon[:8] + "@example.com", "firstName": "Ada", "lastName": "Lovelace", "company": "Example Ltd"}
		case k == 2:
			m.Type, m.Event = "track", "CTA Clicked"
			m.Properties = map[string]any{"label": "Start free trial", "location": "hero"}
		default:
			m.Type, m.Name = "page", strings.SplitN(pg.title, " |", 2)[0]
			m.Properties = map[string]any{"path": page.Path, "referrer": page.Referrer, "search": page.Search, "title": page.Title, "url": page.URL}
		}
		out = append(out, m)
	}
	return out
}

// batchBody is a /v1/batch body of batchEvents events: sessions of
// batchEvents/eventsPerVisitor visitors.
func batchBody(r *rand.Rand, anons []string, at time.Time) []byte {
	var msgs []wireMessage
	for _, a := range anons {
		msgs = append(msgs, session(r, a, a[0] < '4', at)...) // a[0] < '4': one visitor in four identifies
	}
	body, err := json.Marshal(map[string]any{"batch": msgs, "writeKey": writeKey, "sentAt": at.Add(15 * time.Second).Format("2006-01-02T15:04:05.000Z")})
	if err != nil {
		panic(err)
	}
	return body
}

func newVisitors(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = uuid(r)
	}
	return out
}

// ---------------------------------------------------------------------------
// Measuring per event

// perEvent reports the loop's time and allocations per event.
func perEvent(b *testing.B, events int, elapsed time.Duration, mallocs, bytes uint64) {
	n := float64(b.N * events)
	b.ReportMetric(float64(elapsed.Nanoseconds())/n, "ns/event")
	b.ReportMetric(float64(mallocs)/n, "allocs/event")
	b.ReportMetric(float64(bytes)/n, "B/event")
}

// cpuTime is the CPU time the process has used, user and system, all
// threads (the GC's included). On a machine shared with other work, wall
// time per event mostly measures the wait for a core; this does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// perEventCPU reports the CPU time per event of a loop.
func perEventCPU(b *testing.B, events int, cpu time.Duration) {
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*events), "cpu-ns/event")
}

func memstats() (mallocs, bytes uint64) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs, m.TotalAlloc
}

// logBytes counts what a handler logs: CloudWatch bills it per byte.
type logBytes struct{ n atomic.Int64 }

func (l *logBytes) Write(p []byte) (int, error) { l.n.Add(int64(len(p))); return len(p), nil }

// ---------------------------------------------------------------------------
// Benchmarks

func BenchmarkParseBatch(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	body := batchBody(r, newVisitors(r, batchEvents/eventsPerVisitor), at)
	req := tracking.Request{Body: body, ReceivedAt: at.Add(16 * time.Second), SourceIP: "203.0.113.54"}
	b.SetBytes(int64(len(body)))
	m0, by0 := memstats()
	c0 := cpuTime()
	for b.Loop() {
		p, err := tracking.Parse(req)
		if err != nil || len(p.Messages) != batchEvents {
			b.Fatalf("parse: %d messages, %v", len(p.Messages), err)
		}
	}
	perEventCPU(b, batchEvents, cpuTime()-c0)
	m1, by1 := memstats()
	perEvent(b, batchEvents, b.Elapsed(), m1-m0, by1-by0)
	b.ReportMetric(float64(len(body))/batchEvents, "body-B/event")
}

type sites map[string]site.Site

func (s sites) GetSite(_ context.Context, key string) (site.Site, error) {
	if st, ok := s[key]; ok {
		return st, nil
	}
	return site.Site{}, site.ErrNotFound
}

// discardQueue stands in for SQS; it keeps the size of what it was given,
// since SQS bills per 64 KB of it.
type discardQueue struct{ bytes, messages atomic.Int64 }

func (q *discardQueue) Enqueue(_ context.Context, body string) error {
	q.bytes.Add(int64(len(body)))
	q.messages.Add(1)
	return nil
}

// BenchmarkIngestHandler goes through the Lambda runtime's entry point
// (lambda.NewHandler(h).Invoke with the event's bytes), as production does:
// decoding the API Gateway event (ingestfn.Handler.Invoke, in one pass) is
// part of every invocation's billed time.
func BenchmarkIngestHandler(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	at := time.Now().UTC().Add(-time.Minute)
	body := batchBody(r, newVisitors(r, batchEvents/eventsPerVisitor), at)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /v1/batch", RawPath: "/v1/batch",
		Headers: map[string]string{
			"content-type": "text/plain;charset=UTF-8", "origin": origin, "content-length": fmt.Sprint(len(body)),
			"user-agent":      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
			"x-forwarded-for": "203.0.113.54", "x-forwarded-proto": "https", "x-forwarded-port": "443",
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123456789012", APIID: "k3x9p2m7qa", DomainName: "k3x9p2m7qa.execute-api.us-east-1.amazonaws.com",
			RequestID: "H3kQ2gXwIAMEbVw=", RouteKey: "POST /v1/batch", Stage: "$default", TimeEpoch: at.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/v1/batch", Protocol: "HTTP/1.1", SourceIP: "203.0.113.54"},
		},
		Body: string(body),
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	q := &discardQueue{}
	logs := &logBytes{}
	h := ingestfn.NewWith(
		ingest.New(sites{writeKey: {Key: writeKey, Name: "Acme", AllowedOrigins: []string{origin}}}, q, time.Minute, nil),
		slog.New(slog.NewJSONHandler(logs, nil)))
	invoke := lambda.NewHandler(h)
	ctx := context.Background()
	check := func(out []byte) {
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("ingest answered %s (%v)", out, err)
		}
	}
	out, err := invoke.Invoke(ctx, payload) // warms the site cache, as a warm Lambda has it
	if err != nil {
		b.Fatal(err)
	}
	check(out)
	q.bytes.Store(0)
	q.messages.Store(0)
	logs.n.Store(0)
	b.SetBytes(int64(len(payload)))
	m0, by0 := memstats()
	c0 := cpuTime()
	for b.Loop() {
		if out, err = invoke.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
	perEventCPU(b, batchEvents, cpuTime()-c0)
	m1, by1 := memstats()
	check(out)
	perEvent(b, batchEvents, b.Elapsed(), m1-m0, by1-by0)
	b.ReportMetric(float64(q.bytes.Load())/float64(b.N*batchEvents), "queue-B/event")
	b.ReportMetric(float64(logs.n.Load())/float64(b.N*batchEvents), "log-B/event")
}

// BenchmarkProcessor feeds the processor SQS events of 10 records of 20
// events, half of the visitors in each returning (their contacts exist), half
// new, against the in-memory store. Each iteration has fresh message ids, so
// nothing is skipped as a duplicate.
func BenchmarkProcessor(b *testing.B) {
	rules, err := definitions.Interests()
	if err != nil {
		b.Fatal(err)
	}
	store := contacttest.New()
	logs := &logBytes{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	proc := contact.NewProcessor(store, log, nil).WithInterests(func(context.Context) (interest.Rules, error) { return rules, nil })
	invoke := lambda.NewHandler(processorfn.NewWith(proc, log).Handle)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 3))
	perRecord := batchEvents / eventsPerVisitor
	visitorsPerInvocation := recordsPerInvocation * perRecord
	var seen []string

	// next builds one invocation's payload the way ingest queues it, so the
	// processor decodes exactly what production hands it.
	next := func() []byte {
		fresh := newVisitors(r, visitorsPerInvocation)
		var anons []string
		for i, a := range fresh {
			if i%2 == 1 && len(seen) > 0 {
				a = seen[r.IntN(len(seen))]
			}
			anons = append(anons, a)
		}
		seen = append(seen, anons...)
		at := time.Now().UTC().Add(-time.Minute)
		ev := events.SQSEvent{}
		for rec := 0; rec < recordsPerInvocation; rec++ {
			body := batchBody(r, anons[rec*perRecord:(rec+1)*perRecord], at)
			parsed, err := tracking.Parse(tracking.Request{Body: body, ReceivedAt: at.Add(16 * time.Second), SourceIP: "203.0.113.54"})
			if err != nil {
				b.Fatal(err)
			}
			queued, err := tracking.EncodeBatches(tracking.Batch{RequestID: uuid(r), SiteKey: writeKey, ReceivedAt: at, Messages: parsed.Messages})
			if err != nil {
				b.Fatal(err)
			}
			ev.Records = append(ev.Records, events.SQSMessage{
				MessageId: uuid(r), ReceiptHandle: "AQEB" + uuid(r), Body: queued[0], EventSource: "aws:sqs",
				EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:leadflow-events", AWSRegion: "us-east-1",
				Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": fmt.Sprint(at.UnixMilli())},
			})
		}
		payload, err := json.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		return payload
	}
	// Seed returning visitors, so the first timed batch already has them.
	if _, err := invoke.Invoke(ctx, next()); err != nil {
		b.Fatal(err)
	}
	store.ResetCalls()
	logs.n.Store(0)

	var elapsed time.Duration
	var mallocs, bytes uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		payload := next()
		m0, by0 := memstats()
		start := time.Now()
		b.StartTimer()
		out, err := invoke.Invoke(ctx, payload)
		b.StopTimer()
		elapsed += time.Since(start)
		m1, by1 := memstats()
		mallocs, bytes = mallocs+m1-m0, bytes+by1-by0
		var resp events.SQSEventResponse
		if err != nil || json.Unmarshal(out, &resp) != nil || len(resp.BatchItemFailures) > 0 {
			b.Fatalf("processor: %s %v", out, err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	evs := recordsPerInvocation * batchEvents
	perEvent(b, evs, elapsed, mallocs, bytes)
	n := float64(b.N * evs)
	b.ReportMetric(float64(store.Calls["SaveProfile"])/n, "profile-writes/event")
	b.ReportMetric(float64(store.Calls["PutEvents"])/n, "timeline-writes/event")
	b.ReportMetric(float64(store.Calls["LinkIdentity"])/n, "identity-links/event")
	b.ReportMetric(float64(logs.n.Load())/n, "log-B/event")
}
