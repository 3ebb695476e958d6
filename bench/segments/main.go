// Command segments measures segments and exports on the local platform
// (issue 13, BENCHMARKS.md "Segments on the local stack"):
//
//   - latency: an event posted to /v1/batch that puts a new visitor in a
//     segment, to segment.entered published on the bus (one at a time, so
//     each figure is one event's way through ingest, the queue, the
//     processor and the segment reactor);
//
//   - rebuild: a definition saved over -contacts identified contacts (half
//     of them match), to the segment ready with the exact count, and what
//     the rebuild cost per contact (calls counted, priced with
//     bench/prices.json) and would take for a million on AWS (modelled);
//
//   - export: the rebuilt segment exported as CSV, to the file done, rows
//     per second and cost per million rows.
//
//     go run ./bench/segments -latency 100 -contacts 20000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/bench/benchmeter"
	"github.com/leadflow/leadflow/bench/benchstack"
	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/membership"
	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

const siteKey = "wk_bench_segments_1"

// Assumed in-region AWS latencies of one call (typical p50s), for the
// modelled time of a rebuild on AWS: the calls of one shard's chain are
// sequential, the 16 chains run in parallel.
var awsLatency = map[string]time.Duration{
	"DynamoDB":    8 * time.Millisecond,
	"EventBridge": 20 * time.Millisecond,
	"SQS":         10 * time.Millisecond,
	"S3":          30 * time.Millisecond,
}

// awsPageOverhead is one job page's Lambda invocation from SQS (warm).
const awsPageOverhead = 30 * time.Millisecond

// awsTransactLatency is a TransactWriteItems of a page's member changes
// (up to 100 actions): assumed 30 ms, several single writes' worth.
const awsTransactLatency = 30 * time.Millisecond

// concurrentOps are the calls a rebuild page makes for its contacts
// membership.RebuildWorkers at a time (timeline chunks, recheck timers and
// profile saves are PutItems; PutEvents of ten): in the time model they
// take one latency per round of that many.
var concurrentOps = map[string]bool{"PutItem": true, "PutEvents": true}

func main() {
	latencyN := flag.Int("latency", 100, "events whose time to segment.entered is measured (0: skip)")
	contacts := flag.Int("contacts", 20000, "identified contacts the rebuild visits (0: skip the rebuild and the export)")
	workers := flag.Int("workers", 16, "parallel writers seeding contacts")
	flag.Parse()

	root, err := localaws.RepoRoot()
	check(err)
	prices, err := benchmeter.LoadPrices(benchmeter.PricesPath(root), "lambda_request", "lambda_gb_second", "sqs_request", "dynamodb_write_request_unit", "dynamodb_read_request_unit")
	check(err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	meter := benchmeter.New()
	stack, err := benchstack.StartWith(ctx, "bseg", func(o *runner.Options) {
		o.Site = site.Site{Key: siteKey, Name: "Segments bench", AllowedOrigins: []string{"*"}}
		o.APIOptions = []func(*middleware.Stack) error{meter.Register}
	})
	check(err)
	defer stack.Close()

	if *latencyN > 0 {
		latency(stack, *latencyN)
	}
	if *contacts > 0 {
		seed(ctx, stack.Store, *contacts, *workers)
		rebuild(stack, meter, prices, *contacts)
		export(stack, meter, prices, *contacts/2)
	}
}

func latency(stack *benchstack.Stack, n int) {
	putSegment(stack, "bench-hot", `{"name":"Bench hot","filter":{"event":{"name":"Bench Qualified","within_days":1}}}`)
	waitReady(stack, "bench-hot", 0)
	var lat []float64
	for i := range n {
		body := fmt.Sprintf(`{"batch":[{"type":"track","messageId":"lat-%d","anonymousId":"lat-%d","event":"Bench Qualified"}]}`, i, i)
		start := time.Now()
		req, _ := http.NewRequest("POST", stack.API.URL+"/v1/batch", strings.NewReader(body))
		req.Header.Set("X-Site-Key", siteKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		check(err)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			fail("post event %d: %s", i, resp.Status)
		}
		for entered(stack.Platform, "bench-hot") <= i {
			if time.Since(start) > 60*time.Second {
				fail("event %d: no segment.entered after 60 s", i)
			}
			time.Sleep(2 * time.Millisecond)
		}
		lat = append(lat, float64(time.Since(start).Microseconds())/1000)
	}
	slices.Sort(lat)
	pct := func(p int) float64 { return lat[min(len(lat)-1, len(lat)*p/100)] }
	fmt.Printf("membership latency, event posted to segment.entered (%d events, one at a time):\n", n)
	fmt.Printf("  min %.0f ms  p50 %.0f ms  p90 %.0f ms  p99 %.0f ms  max %.0f ms\n\n", lat[0], pct(50), pct(90), pct(99), lat[len(lat)-1])
}

// entered counts segment.entered events of a segment published so far.
func entered(p *runner.Platform, segmentID string) int {
	n := 0
	for _, ev := range p.Published() {
		if ev.DetailType != membership.DetailEntered {
			continue
		}
		var t membership.Transition
		if json.Unmarshal(ev.Detail, &t) == nil && t.Segment == segmentID {
			n++
		}
	}
	return n
}

// seed writes n identified contacts straight to the table, half in DE.
func seed(ctx context.Context, st *dynamo.Store, n, workers int) {
	start := time.Now()
	created := time.Now().UTC().Add(-time.Hour)
	var wg sync.WaitGroup
	next := make(chan int)
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				country := "FR"
				if i%2 == 0 {
					country = "DE"
				}
				p := &contact.Profile{
					ID: fmt.Sprintf("c_bench%07d", i), Email: fmt.Sprintf("lead%07d@company%d.test", i, i%997),
					Traits: map[string]any{"first_name": fmt.Sprintf("Lead %d", i), "company": fmt.Sprintf("Company %d", i%997), "country": country},
					Status: "subscribed", Tags: []string{"bench"},
					FirstSeen: created, LastSeen: created, CreatedAt: created, UpdatedAt: created,
				}
				if err := st.SaveProfile(ctx, p); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range n {
		select {
		case next <- i:
		case err := <-errs:
			check(err)
		}
	}
	close(next)
	wg.Wait()
	fmt.Printf("seeded %d identified contacts in %s\n\n", n, time.Since(start).Round(time.Second))
}

func rebuild(stack *benchstack.Stack, meter *benchmeter.Meter, prices benchmeter.Prices, n int) {
	meter.Reset()
	t0 := snap(stack.Platform)
	start := time.Now()
	putSegment(stack, "bench-de", `{"name":"Bench DE","filter":{"trait":{"key":"country","op":"equals","value":"DE"}}}`)
	want := (n + 1) / 2
	waitReady(stack, "bench-de", want)
	took := time.Since(start)
	// The build is ready after every page's publications: one event per
	// entering contact (one segment changes), counted by the meter in the
	// PutEvents calls (the local bus keeps only the last 10,000 events).
	u := since(stack.Platform, meter, t0)
	for k, st := range u.ops {
		if k.Service == "EventBridge" {
			u.events += int(st.Entries)
		}
	}
	if u.events != want {
		fail("rebuild published %d segment.entered, want %d", u.events, want)
	}
	fmt.Printf("rebuild of %d contacts (%d enter): ready with the exact count after %s: %.0f contacts/s\n", n, want, took.Round(time.Millisecond), float64(n)/took.Seconds())
	perContact := u.bill(prices, float64(n), "contact")
	// Modelled on AWS: each chain's calls in sequence at the assumed
	// latencies, the 16 chains in parallel, pages of 100.
	var serial time.Duration
	for k, s := range u.ops {
		if k.Function == "poller" {
			continue
		}
		lat := awsLatency[k.Service]
		if k.Operation == "TransactWriteItems" {
			lat = awsTransactLatency
		}
		calls := float64(s.Calls)
		if concurrentOps[k.Operation] {
			calls /= membership.RebuildWorkers
		}
		serial += time.Duration(calls * float64(lat))
	}
	pages := u.invocations["jobs"]
	serial += time.Duration(pages) * awsPageOverhead
	perMillion := time.Duration(float64(serial) * 1e6 / float64(n) / float64(dynamo.ContactShards))
	fmt.Printf("\nmodelled for 1,000,000 contacts on AWS (half entering): %s wall (16 shard chains, %d jobs pages here, PutItem and PutEvents %d at a time), $%.2f\n\n",
		perMillion.Round(time.Second), pages, membership.RebuildWorkers, perContact)
}

func export(stack *benchstack.Stack, meter *benchmeter.Meter, prices benchmeter.Prices, rows int) {
	meter.Reset()
	t0 := snap(stack.Platform)
	start := time.Now()
	var created struct{ ID string }
	adminJSON(stack, "POST", "/v1/exports", `{"segment_id":"bench-de","format":"csv","columns":["id","email","traits.company","traits.country","status"]}`, 202, &created)
	var exp struct {
		State       string
		Rows        int
		DownloadURL string `json:"download_url"`
	}
	for exp.State != "done" {
		time.Sleep(50 * time.Millisecond)
		adminJSON(stack, "GET", "/v1/exports/"+created.ID, "", 200, &exp)
		if exp.State == "failed" || time.Since(start) > 15*time.Minute {
			fail("export %s: %+v", created.ID, exp)
		}
	}
	took := time.Since(start)
	u := since(stack.Platform, meter, t0)
	resp, err := http.Get(exp.DownloadURL)
	check(err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	check(err)
	if lines := strings.Count(string(body), "\n"); exp.Rows != rows || lines != rows+1 {
		fail("export: %d rows, %d lines in the file; want %d rows", exp.Rows, lines, rows)
	}
	fmt.Printf("CSV export of %d rows (%d KB): done after %s: %.0f rows/s\n", rows, len(body)/1024, took.Round(time.Millisecond), float64(rows)/took.Seconds())
	u.bill(prices, float64(rows), "row")
}

func putSegment(stack *benchstack.Stack, id, body string) {
	var out map[string]any
	code := admin(stack, "PUT", "/v1/segments/"+id, body, &out)
	if code != 200 && code != 201 {
		fail("PUT segment %s: %d %v", id, code, out)
	}
}

func waitReady(stack *benchstack.Stack, id string, count int) {
	for deadline := time.Now().Add(30 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var s struct {
			State string
			Count int
		}
		adminJSON(stack, "GET", "/v1/segments/"+id, "", 200, &s)
		if s.State == membership.StateReady {
			if s.Count != count {
				fail("segment %s ready with %d members, want %d", id, s.Count, count)
			}
			return
		}
	}
	fail("segment %s never ready", id)
}

func adminJSON(stack *benchstack.Stack, method, path, body string, want int, out any) {
	if code := admin(stack, method, path, body, out); code != want {
		fail("%s %s: %d, want %d", method, path, code, want)
	}
}

func admin(stack *benchstack.Stack, method, path, body string, out any) int {
	req, err := http.NewRequest(method, stack.API.URL+path, strings.NewReader(body))
	check(err)
	req.Header.Set("Authorization", "Bearer bench")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	check(err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	check(err)
	if err := json.Unmarshal(raw, out); err != nil && resp.StatusCode < 300 {
		fail("%s %s: %v: %s", method, path, err, raw)
	}
	return resp.StatusCode
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "segments bench FAILED: "+format+"\n", args...)
	os.Exit(1)
}

// Prices not in bench/prices.json (us-east-1), noted 2026-12-07: S3
// Standard https://aws.amazon.com/s3/pricing/ (PUT, COPY, POST, LIST $0.005
// per 1,000; GET and others $0.0004 per 1,000); EventBridge custom events
// https://aws.amazon.com/eventbridge/pricing/ ($1.00 per million).
const (
	s3WriteRequestUSD   = 0.005 / 1000
	s3ReadRequestUSD    = 0.0004 / 1000
	eventBridgeEventUSD = 1.00 / 1e6
)

// take is the platform's invocation counters and busy times at a moment.
type take struct {
	inv  map[string]int
	busy map[string]time.Duration
}

func snap(p *runner.Platform) take {
	inv, _, busy := p.Stats().SnapshotBusy()
	return take{inv, busy}
}

// usage is what a measured stretch of work used: the meter's calls since
// its reset, the platform's invocations and busy time since t0 (admin, the
// bench's own requests, left out), and the events it published.
type usage struct {
	ops         map[benchmeter.Op]benchmeter.Stats
	invocations map[string]int
	// gbSeconds is busy wall time × each function's memory: an upper bound
	// on Lambda's billed duration (local calls are slower than AWS's).
	gbSeconds float64
	events    int
}

func since(p *runner.Platform, m *benchmeter.Meter, t0 take) usage {
	t1 := snap(p)
	mem := map[string]int{}
	for _, f := range catalog.Load().Functions {
		mem[f.Name] = f.MemoryMB
	}
	u := usage{ops: map[benchmeter.Op]benchmeter.Stats{}, invocations: map[string]int{}}
	for k, v := range m.Snapshot() {
		if k.Function != "admin" {
			u.ops[k] = v
		}
	}
	for k, v := range t1.inv {
		if k == "admin" || v == t0.inv[k] {
			continue
		}
		u.invocations[k] = v - t0.inv[k]
		u.gbSeconds += (t1.busy[k] - t0.busy[k]).Seconds() * float64(mem[k]) / 1024
	}
	return u
}

// bill prints the calls per unit and the dollars per million units (n
// were measured) and returns that total.
func (u usage) bill(prices benchmeter.Prices, n float64, unit string) float64 {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "function\tservice\toperation\titem\tcalls/%s\tbilled SQS/%s\tWRU/%s\tRRU/%s\t\n", unit, unit, unit, unit)
	keys := make([]benchmeter.Op, 0, len(u.ops))
	for k := range u.ops {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b benchmeter.Op) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	var sqsReq, wru, rru, s3w, s3r float64
	for _, k := range keys {
		s := u.ops[k]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.4f\t%.4f\t%.3f\t%.3f\t\n", k.Function, k.Service, k.Operation, k.Item, float64(s.Calls)/n, float64(s.SQSBilled)/n, s.WRU/n, s.RRU/n)
		switch k.Service {
		case "SQS":
			sqsReq += float64(s.SQSBilled)
		case "S3":
			if k.Operation == "GetObject" || k.Operation == "HeadObject" {
				s3r += float64(s.Calls)
			} else {
				s3w += float64(s.Calls)
			}
		}
		wru += s.WRU
		rru += s.RRU
	}
	tw.Flush()
	var inv float64
	var invDesc []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range u.invocations {
			if !yield(k) {
				return
			}
		}
	}) {
		inv += float64(u.invocations[k])
		invDesc = append(invDesc, fmt.Sprintf("%s %.4f", k, float64(u.invocations[k])/n))
	}
	items := []struct {
		name, per string
		usd       float64
	}{
		{"Lambda invocations (" + strings.Join(invDesc, ", ") + ")", fmt.Sprintf("%.4f", inv/n), inv / n * prices.Unit("lambda_request")},
		{"Lambda duration (busy wall time × memory, upper bound)", fmt.Sprintf("%.5f GB-s", u.gbSeconds/n), u.gbSeconds / n * prices.Unit("lambda_gb_second")},
		{"SQS requests", fmt.Sprintf("%.4f req", sqsReq/n), sqsReq / n * prices.Unit("sqs_request")},
		{"EventBridge events (segment.entered/exited)", fmt.Sprintf("%.4f", float64(u.events)/n), float64(u.events) / n * eventBridgeEventUSD},
		{"DynamoDB writes", fmt.Sprintf("%.3f WRU", wru/n), wru / n * prices.Unit("dynamodb_write_request_unit")},
		{"DynamoDB reads", fmt.Sprintf("%.3f RRU", rru/n), rru / n * prices.Unit("dynamodb_read_request_unit")},
		{"S3 requests", fmt.Sprintf("%.5f req", (s3w+s3r)/n), (s3w*s3WriteRequestUSD + s3r*s3ReadRequestUSD) / n},
	}
	var total float64
	for _, it := range items {
		total += it.usd
	}
	fmt.Println()
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "item\tper %s\t$ per million %ss\tshare\n", unit, unit)
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.1f%%\n", it.name, it.per, it.usd*1e6, 100*it.usd/max(total, 1e-12))
	}
	fmt.Fprintf(tw, "TOTAL (CloudWatch Logs and storage not counted)\t\t%.4f\t\n", total*1e6)
	tw.Flush()
	return total * 1e6
}
