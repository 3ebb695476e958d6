// Command journeys measures nurture journeys on the local platform (issue
// 15, BENCHMARKS.md "Journeys on the local stack"):
//
//   - timer lateness: -contacts contacts enter a journey through the real
//     entry path (track events posted to /v1/batch, ingest, the events
//     queue, the processor) and rest at a timed wait that comes due for all
//     of them in the same minute (the hard case: a burst on the wheel); the
//     platform's own per-minute tick fires the timers; lateness is due time
//     to the processor pass that ended the wait, read from each run's path;
//
//   - event-driven step latency: while they wait, -event-contacts other
//     contacts rest at a wait-until-event step, then get the awaited event
//     posted (one per request, paced at -event-rate); latency is the post to
//     the pass that ended the wait;
//
//   - step executions per second and the handlers' CPU per 1,000 steps;
//
//   - requests and cost per step, by item: every AWS call of the handlers
//     and pollers is counted (bench/benchmeter) and priced with
//     bench/prices.json, per phase (entry, event-driven step, timed wake).
//
//     go run ./bench/journeys -contacts 10000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	ddbtypes "github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"

	"github.com/leadflow/leadflow/bench/benchmeter"
	"github.com/leadflow/leadflow/bench/benchstack"
	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/site"
)

const (
	siteKey    = "wk_bench_journeys_1"
	timedID    = "bench-timed"
	eventID    = "bench-event"
	timedEvent = "Bench Timed"
	awaitEvent = "Bench Await"
	goEvent    = "Bench Go"
)

func main() {
	contacts := flag.Int("contacts", 10000, "contacts resting at the timed wait")
	eventContacts := flag.Int("event-contacts", 300, "contacts resting at the wait-until-event step, then sent the event")
	eventRate := flag.Float64("event-rate", 10, "awaited events posted per second (one per request)")
	batch := flag.Int("batch", 20, "entry events per request (one contact each)")
	clients := flag.Int("clients", 4, "concurrent HTTP clients posting the entries")
	lead := flag.Duration("lead", 4*time.Minute, "from the start of seeding to the timed wait's due minute (seeding and the event phase must end before)")
	timeout := flag.Duration("timeout", 15*time.Minute, "how long to wait for any phase")
	flag.Parse()

	root, err := localaws.RepoRoot()
	check(err)
	prices, err := benchmeter.LoadPrices(benchmeter.PricesPath(root), "lambda_request", "lambda_gb_second", "sqs_request",
		"dynamodb_write_request_unit", "dynamodb_read_request_unit", "apigw_http_request", "cloudwatch_logs_ingested_gb")
	check(err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	meter := benchmeter.New()
	gsi := &gsiMeter{}
	logs := &logWatch{}
	stack, err := benchstack.StartWith(ctx, "bjour", func(o *runner.Options) {
		o.Site = site.Site{Key: siteKey, Name: "Journeys bench", AllowedOrigins: []string{"*"}}
		o.APIOptions = []func(*middleware.Stack) error{meter.Register, gsi.Register}
		// The platform's own per-minute tick, as EventBridge Scheduler
		// would run it: lateness includes waiting for it.
		o.NoSchedules = false
		// A batch that fails (a DynamoDB timeout on a loaded machine) comes
		// back in seconds rather than the catalog's three minutes, which
		// would push seeding past the due minute.
		o.VisibilityTimeout = 40 * time.Second
		o.Log = slog.New(runner.NewLogHandler(logs))
	})
	check(err)
	defer stack.Close()
	b := &bench{stack: stack, meter: meter, gsi: gsi, logs: logs, prices: prices, timeout: *timeout,
		sqs: sqs.NewFromConfig(runner.AWSConfig(stack.Servers.Endpoints()))}
	fmt.Printf("date %s, commit %s, go process pid %d, load %s\n", time.Now().UTC().Format(time.RFC3339), commit(root), os.Getpid(), loadavg())

	// The due minute: all timed waits end at once, after seeding.
	due := time.Now().UTC().Add(*lead).Truncate(time.Minute).Add(time.Minute)
	b.putJourney(timedID, fmt.Sprintf(`{"id":%q,"name":"Bench timed wait","status":"live",
		"trigger":{"kind":"event","event":%q},"entry":{"rule":"once"},"start":"pause","steps":[
		{"id":"pause","kind":"wait","wait":{"weekdays":["mon","tue","wed","thu","fri","sat","sun"],"at":%q},"next":"check"},
		{"id":"check","kind":"branch","branch":{"cases":[{"name":"vip","condition":{"tag":"vip"},"next":"tag-vip"}],"else":"tag"}},
		{"id":"tag","kind":"update","update":{"add_tags":["bench-woke"]}},
		{"id":"tag-vip","kind":"update","update":{"add_tags":["bench-woke-vip"]}}]}`, timedID, timedEvent, due.Format("15:04")))
	b.putJourney(eventID, fmt.Sprintf(`{"id":%q,"name":"Bench event wait","status":"live",
		"trigger":{"kind":"event","event":%q},"entry":{"rule":"once"},"start":"await","steps":[
		{"id":"await","kind":"wait","wait":{"event":%q,"timeout":"1d","timeout_next":"tag"},"next":"tag"},
		{"id":"tag","kind":"update","update":{"add_tags":["bench-go"]}}]}`, eventID, awaitEvent, goEvent))
	// The processor lists the journeys in effect once per cache period:
	// a canary per journey shows it sees them before anything is metered.
	b.post([]string{track("jb-canary-t", timedEvent, "canary-t")})
	b.post([]string{track("jb-canary-e", awaitEvent, "canary-e")})
	b.waitCount(timedID, "pause", journey.MetricEntered, 1)
	b.waitCount(eventID, "await", journey.MetricEntered, 1)
	fmt.Printf("journeys live; the timed wait is due at %s (in %s)\n\n", due.Format(time.RFC3339), time.Until(due).Round(time.Second))

	// Phase 1: contacts enter the timed journey through ingest.
	p1 := b.begin()
	var bodies []string
	for i := 0; i < *contacts; i += *batch {
		var msgs []string
		for j := i; j < min(i+*batch, *contacts); j++ {
			msgs = append(msgs, track(timedAnon(j), timedEvent, fmt.Sprintf("t-%d", j)))
		}
		bodies = append(bodies, "["+strings.Join(msgs, ",")+"]")
	}
	b.postAll(bodies, *clients)
	b.waitCount(timedID, "pause", journey.MetricEntered, int64(*contacts)+1)
	enter := b.end(p1, "entry: an event enters a new contact into the timed journey and it rests at the wait", *contacts, len(bodies))
	if time.Now().After(due) {
		fatalf("seeding ended at %s, after the due minute %s: raise -lead", time.Now().UTC().Format(time.RFC3339), due.Format(time.RFC3339))
	}

	// Phase 2: contacts enter the event journey and rest at its wait.
	p2 := b.begin()
	bodies = bodies[:0]
	for i := 0; i < *eventContacts; i += *batch {
		var msgs []string
		for j := i; j < min(i+*batch, *eventContacts); j++ {
			msgs = append(msgs, track(eventAnon(j), awaitEvent, fmt.Sprintf("a-%d", j)))
		}
		bodies = append(bodies, "["+strings.Join(msgs, ",")+"]")
	}
	b.postAll(bodies, *clients)
	b.waitCount(eventID, "await", journey.MetricEntered, int64(*eventContacts)+1)
	b.end(p2, "entry: the event journey, resting at the wait-until-event step (with its timeout timer)", *eventContacts, len(bodies))

	// Phase 3: the awaited events, one per request, paced.
	p3 := b.begin()
	posted := make([]time.Time, *eventContacts)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / *eventRate))
	for i := range *eventContacts {
		<-tick.C
		posted[i] = time.Now()
		wg.Go(func() { b.post([]string{track(eventAnon(i), goEvent, fmt.Sprintf("g-%d", i))}) })
	}
	tick.Stop()
	wg.Wait()
	b.waitCount(eventID, "await", journey.MetricLeft, int64(*eventContacts))
	evPhase := b.end(p3, "event-driven step: the awaited event posted; the wait ends and the update step runs", *eventContacts, *eventContacts)
	if time.Now().After(due) {
		// The timed runs all entered before it: lateness stays due to step
		// start, now with the event phase competing for the processor.
		fmt.Printf("note: the event phase ended at %s, after the due minute %s\n", time.Now().UTC().Format(time.RFC3339), due.Format(time.RFC3339))
	}
	var evLat []time.Duration
	for i := range *eventContacts {
		runs := b.runs(eventAnon(i), eventID)
		at, ok := eventStart(runs, "await", goEvent)
		if !ok {
			fatalf("contact %s: no %q arrival in its path", eventAnon(i), goEvent)
		}
		evLat = append(evLat, at.Sub(posted[i]))
	}
	waitingAt := time.Until(due)
	fmt.Printf("%d contacts at the timed wait, due in %s; waiting for the tick\n\n", *contacts+1, waitingAt.Round(time.Second))

	// Phase 4: the timed wait comes due for every contact at once. It is
	// metered from before the due time: the tick ahead of it hands the
	// timers over (reads, deletes, the queue) on an SQS delay.
	p4 := b.begin()
	for time.Now().Before(due) {
		time.Sleep(time.Until(due))
	}
	b.waitCount(timedID, "check", journey.MetricLeft, int64(*contacts)+1)
	wake := b.end(p4, "timed wake: the wait comes due; the tick fires it, the processor runs the branch and the update step", *contacts+1, 0)
	ticks := logs.ticks()
	var lat, fireLat, runLat []time.Duration
	var first, last time.Time
	for i := range *contacts {
		runs := b.runs(timedAnon(i), timedID)
		d, at, ok := timedLateness(runs, "pause")
		if !ok {
			fatalf("contact %s: no end of the timed wait in its path", timedAnon(i))
		}
		lat = append(lat, at.Sub(d))
		if t := firingTick(ticks, at); !t.IsZero() {
			fireLat, runLat = append(fireLat, t.Sub(d)), append(runLat, at.Sub(t))
		}
		if at.After(last) {
			last = at
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}

	// Results.
	fmt.Printf("== timer lateness: due time to the pass that ended the wait (%d contacts due at %s) ==\n", *contacts, due.Format(time.RFC3339))
	printSummary("due → step start", summarize(lat))
	printSummary("due → end of the tick that handed it over (< 0: ahead, on an SQS delay)", summarize(fireLat))
	printSummary("end of that tick → step start", summarize(runLat))
	fmt.Printf("ticks (end time, timers fired): %s\n", logs.tickLine())
	// Steps run from the due time, or from the firing tick when it ended
	// after it (a wheel without lookahead).
	from := due
	if t := firingTick(ticks, first); t.After(due) {
		from = t
	}
	steps := wake.steps
	fmt.Printf("\n== step executions ==\n")
	fmt.Printf("timed wake: %d steps (%.2f per wake) from %s (due, or the firing tick's end if later) to the last step start %s: %.0f steps/s wall\n",
		steps, float64(steps)/float64(*contacts+1), from.Format("15:04:05"), last.Format("15:04:05.000"), float64(steps)/last.Sub(from).Seconds())
	fmt.Printf("  CPU: go process (all handlers, pollers, bench) %.1f s, servers (DynamoDB Local, goaws) %.1f s: %.2f ms and %.2f ms per step\n",
		wake.cpuSelf.Seconds(), wake.cpuServers.Seconds(), ms(wake.cpuSelf)/float64(steps), ms(wake.cpuServers)/float64(steps))
	fmt.Printf("  processor: %d invocations, busy %s (%.2f ms per step)\n", wake.inv["processor"], wake.busy["processor"].Round(time.Millisecond), ms(wake.busy["processor"])/float64(steps))
	fmt.Printf("event-driven: %d steps for %d events\n", evPhase.steps, *eventContacts)
	fmt.Printf("\n== event-driven step latency: awaited event posted (1 per request, %.0f/s) to the pass that ended the wait ==\n", *eventRate)
	printSummary("post → step start", summarize(evLat))
	fmt.Printf("\nentry phase: %d steps for %d entries\n", enter.steps, *contacts)
}

// bench holds the stack and the meters.
type bench struct {
	stack   *benchstack.Stack
	meter   *benchmeter.Meter
	gsi     *gsiMeter
	logs    *logWatch
	prices  benchmeter.Prices
	sqs     *sqs.Client
	timeout time.Duration
}

func timedAnon(i int) string { return fmt.Sprintf("jb-t-%05d", i) }
func eventAnon(i int) string { return fmt.Sprintf("jb-e-%05d", i) }

func track(anon, event, id string) string {
	return fmt.Sprintf(`{"type":"track","messageId":"jb-%s","anonymousId":%q,"event":%q}`, id, anon, event)
}

func (b *bench) putJourney(id, def string) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequest("PUT", b.stack.API.URL+"/v1/journeys/"+id, strings.NewReader(def))
		check(err)
		req.Header.Set("Authorization", "Bearer bench")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		check(err)
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case res.StatusCode < 300:
			return
		case res.StatusCode < 500 || attempt == 5:
			fatalf("PUT journey %s: %d %s", id, res.StatusCode, raw)
		}
		// A 500 on a loaded machine is the admin function's timeout.
		time.Sleep(2 * time.Second)
	}
}

func (b *bench) post(msgs []string) {
	b.postBody("[" + strings.Join(msgs, ",") + "]")
}

func (b *bench) postBody(batch string) {
	for attempt := 0; ; attempt++ {
		code, body := benchmeter.Do(b.stack.API.URL, "POST", "/v1/batch", "application/json", `{"batch":`+batch+`}`,
			map[string]string{"X-Site-Key": siteKey}, "")
		if code == 200 {
			return
		}
		if attempt == 5 {
			fatalf("post batch: %d %s", code, body)
		}
		time.Sleep(time.Second)
	}
}

func (b *bench) postAll(bodies []string, clients int) {
	next := make(chan string)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for body := range next {
				b.postBody(body)
			}
		})
	}
	for _, body := range bodies {
		next <- body
	}
	close(next)
	wg.Wait()
}

// count sums a step counter over the journey's versions (unmetered: the
// bench's own client).
func (b *bench) count(journeyID, step, metric string) int64 {
	cs, err := b.stack.Store.StepCounts(context.Background(), journeyID)
	check(err)
	var n int64
	for _, c := range cs {
		if c.Step == step && c.Metric == metric {
			n += c.N
		}
	}
	return n
}

func (b *bench) waitCount(journeyID, step, metric string, want int64) {
	deadline, lastSaid := time.Now().Add(b.timeout), time.Now()
	for {
		n := b.count(journeyID, step, metric)
		if n >= want {
			return
		}
		if time.Since(lastSaid) > 30*time.Second {
			lastSaid = time.Now()
			fmt.Printf("  (%s %s %s: %d of %d, load %s)\n", journeyID, step, metric, n, want, loadavg())
		}
		if time.Now().After(deadline) {
			_, fails, _ := b.stack.Platform.Stats().SnapshotBusy()
			fatalf("%s step %s %s: %d after %s, want %d (function failures %v)", journeyID, step, metric, n, b.timeout, want, fails)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// settle waits until the queues are empty and no function but the timer
// tick has run for three seconds (benchmeter.Settle, which the per-minute
// tick would keep from ever settling, with a bound and a reason).
func (b *bench) settle() {
	ctx := context.Background()
	quiet, deadline, last := time.Now(), time.Now().Add(b.timeout), ""
	for time.Since(quiet) < 3*time.Second {
		time.Sleep(250 * time.Millisecond)
		inv, _, _ := b.stack.Platform.Stats().SnapshotBusy()
		delete(inv, "timers")
		snap := fmt.Sprint(inv)
		var busy []string
		for _, q := range catalog.Load().Queues {
			url := b.stack.Platform.QueueURL(q.Name)
			if url == "" {
				continue
			}
			out, err := b.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
				AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
			if err == nil && (out.Attributes["ApproximateNumberOfMessages"] != "0" || out.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0") {
				busy = append(busy, fmt.Sprintf("%s %s+%s", q.Name, out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesNotVisible"]))
			}
		}
		if snap != last || len(busy) > 0 {
			last, quiet = snap, time.Now()
		}
		if time.Now().After(deadline) {
			fatalf("the platform did not settle in %s: queues busy %v, invocations %s", b.timeout, busy, snap)
		}
	}
}

// runs is the path of a contact's run of a journey (unmetered).
func (b *bench) runs(anon, journeyID string) []journey.Mark {
	cid := contact.AnonymousContactID(anon)
	for attempt := 0; ; attempt++ {
		rs, err := b.stack.Store.ContactRuns(context.Background(), cid)
		check(err)
		for _, r := range rs {
			if r.Journey == journeyID && r.Status != "active" {
				return r.Marks
			}
		}
		// The history is written after the profile commits: the counters
		// may lead it by a batch.
		if attempt == 100 {
			fatalf("contact %s (%s): no ended run of %s", anon, cid, journeyID)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// phase is what the platform did between begin and end.
type phase struct {
	start               time.Time
	inv0                map[string]int
	busy0               map[string]time.Duration
	cpuSelf0, cpuSrv0   time.Duration
	steps0              int64
	inv                 map[string]int
	busy                map[string]time.Duration
	cpuSelf, cpuServers time.Duration
	steps               int64
}

// stepsLeft sums every step's "left" counter of both journeys: a step
// left is a step executed (the journey's own counter, step "", is not a
// step).
func (b *bench) stepsLeft() int64 {
	var n int64
	for _, id := range []string{timedID, eventID} {
		cs, err := b.stack.Store.StepCounts(context.Background(), id)
		check(err)
		for _, c := range cs {
			if c.Step != "" && c.Metric == journey.MetricLeft {
				n += c.N
			}
		}
	}
	return n
}

func (b *bench) begin() *phase {
	b.meter.Reset()
	b.gsi.reset()
	b.logs.resetBytes()
	inv, _, busy := b.stack.Platform.Stats().SnapshotBusy()
	return &phase{start: time.Now(), inv0: inv, busy0: busy, cpuSelf0: selfCPU(), cpuSrv0: b.serversCPU(), steps0: b.stepsLeft()}
}

// end settles the platform (queues empty, functions quiet), then prints
// the phase's requests and bill per unit of work (n units; requests are
// the HTTP requests posted, priced as API Gateway's).
func (b *bench) end(p *phase, title string, n, requests int) *phase {
	b.settle()
	wall := time.Since(p.start)
	inv, _, busy := b.stack.Platform.Stats().SnapshotBusy()
	p.inv, p.busy = map[string]int{}, map[string]time.Duration{}
	for k, v := range inv {
		if d := v - p.inv0[k]; d > 0 {
			p.inv[k] = d
		}
	}
	for k, v := range busy {
		if d := v - p.busy0[k]; d > 0 {
			p.busy[k] = d
		}
	}
	p.cpuSelf, p.cpuServers = selfCPU()-p.cpuSelf0, b.serversCPU()-p.cpuSrv0
	p.steps = b.stepsLeft() - p.steps0
	ops := b.meter.Snapshot()
	logBytes := b.logs.bytes()

	fmt.Printf("== %s ==\n", title)
	fmt.Printf("%d units, %d steps executed, %d requests posted; wall %s (load %s)\n", n, p.steps, requests, wall.Round(time.Second), loadavg())
	per := 1e6 / float64(n)
	perStep := 0.0
	if p.steps > 0 {
		perStep = 1e6 / float64(p.steps)
	}
	keys := make([]benchmeter.Op, 0, len(ops))
	for k := range ops {
		if k.Function != "admin" {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\toperation (item)\tcalls/unit\tWRU/unit\tRRU/unit\tSQS req/unit\t$ per million units\t")
	type line struct {
		item string
		qty  float64
		usd  float64
	}
	agg := map[string]*line{}
	var order []string
	add := func(item string, qty, unit float64) {
		l := agg[item]
		if l == nil {
			l = &line{item: item}
			agg[item] = l
			order = append(order, item)
		}
		l.qty += qty
		l.usd += qty * unit
	}
	wru, rru, sqsReq := b.prices.Unit("dynamodb_write_request_unit"), b.prices.Unit("dynamodb_read_request_unit"), b.prices.Unit("sqs_request")
	for _, k := range keys {
		o := ops[k]
		op := k.Service + " " + k.Operation
		if k.Item != "" {
			op += " (" + k.Item + ")"
		}
		billedSQS := float64(o.SQSBilled - o.EmptyReceives)
		usd := o.WRU*wru + o.RRU*rru + billedSQS*sqsReq
		fmt.Fprintf(tw, "%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.4f\t\n", k.Function, op, float64(o.Calls)/float64(n), o.WRU/float64(n), o.RRU/float64(n), billedSQS/float64(n), usd*per)
		item := "DynamoDB writes " + itemName(k.Item)
		if o.WRU > 0 {
			add(item, o.WRU, wru)
		}
		if o.RRU > 0 {
			add("DynamoDB reads "+itemName(k.Item), o.RRU, rru)
		}
		if billedSQS > 0 {
			add("SQS requests ("+k.Function+")", billedSQS, sqsReq)
		}
	}
	tw.Flush()
	fns := make([]string, 0, len(p.inv))
	for f := range p.inv {
		if f != "admin" {
			fns = append(fns, f)
		}
	}
	sort.Strings(fns)
	cat := catalog.Load()
	for _, f := range fns {
		add("Lambda invocations ("+f+")", float64(p.inv[f]), b.prices.Unit("lambda_request"))
		mem := 512
		if fn, ok := cat.Function(f); ok && fn.MemoryMB > 0 {
			mem = fn.MemoryMB
		}
		add(fmt.Sprintf("Lambda duration (%s, %d MB, local wall time)", f, mem), p.busy[f].Seconds()*float64(mem)/1024, b.prices.Unit("lambda_gb_second"))
	}
	if requests > 0 {
		add("API Gateway requests", float64(requests), b.prices.Unit("apigw_http_request"))
	}
	add("CloudWatch Logs (handlers' lines)", float64(logBytes), b.prices.Unit("cloudwatch_logs_ingested_gb"))
	tw = tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "item\tper unit\t$ per million units\t$ per million steps\t")
	total := 0.0
	for _, it := range order {
		l := agg[it]
		total += l.usd
		fmt.Fprintf(tw, "%s\t%.3f\t%.4f\t%.4f\t\n", l.item, l.qty/float64(n), l.usd*per, l.usd*perStep)
	}
	fmt.Fprintf(tw, "total\t\t%.4f\t%.4f\t\n", total*per, total*perStep)
	tw.Flush()
	if g := b.gsi.snapshot(); g.calls > 0 {
		fmt.Printf("run records (C/JR UpdateItem): %d calls, %.1f WRU in all, of which gsi1 (JAT# drill-down index) %.1f WRU = %.3f per unit, $%.4f per million units\n",
			g.calls, g.total, g.index, g.index/float64(n), g.index*wru*per)
	}
	fmt.Println()
	return p
}

func itemName(kind string) string {
	switch kind {
	case "C":
		return "(C: profile)"
	case "C/E":
		return "(C/E: timeline chunk)"
	case "C/JR":
		return "(C/JR: run record + its gsi1 keys)"
	case "T":
		return "(T: timers, cursor)"
	case "JSTAT":
		return "(JSTAT: step counters)"
	case "":
		return "(queries, batch calls)"
	}
	return "(" + kind + ")"
}

func printSummary(what string, s summary) {
	f := func(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
	fmt.Printf("  %-40s n %d  min %s  p50 %s  p90 %s  p99 %s  max %s\n", what, s.N, f(s.Min), f(s.P50), f(s.P90), f(s.P99), f(s.Max))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// gsiMeter asks DynamoDB for the index share of every run-record update
// (ReturnConsumedCapacity INDEXES; the total it reports stays what
// benchmeter prices) and sums it.
type gsiMeter struct {
	mu                  sync.Mutex
	calls               int64
	total, table, index float64
}

func (g *gsiMeter) Register(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("BenchGSI", g.call), middleware.Before)
}

func (g *gsiMeter) call(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	askCapacity(in.Parameters)
	u, ok := in.Parameters.(*dynamodb.UpdateItemInput)
	if !ok {
		return next.HandleInitialize(ctx, in)
	}
	sk, _ := u.Key["sk"].(*ddbtypes.AttributeValueMemberS)
	if sk == nil || !strings.HasPrefix(sk.Value, "JR#") {
		return next.HandleInitialize(ctx, in)
	}
	u.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityIndexes
	out, md, err := next.HandleInitialize(ctx, in)
	if o, ok := out.Result.(*dynamodb.UpdateItemOutput); ok && err == nil && o.ConsumedCapacity != nil {
		c := o.ConsumedCapacity
		g.mu.Lock()
		g.calls++
		g.total += aws.ToFloat64(c.CapacityUnits)
		if c.Table != nil {
			g.table += aws.ToFloat64(c.Table.CapacityUnits)
		}
		for _, ix := range c.GlobalSecondaryIndexes {
			g.index += aws.ToFloat64(ix.CapacityUnits)
		}
		g.mu.Unlock()
	}
	return out, md, err
}

// askCapacity asks DynamoDB to report the capacity of a call the store
// makes without asking (the timer wheel's puts, deletes and queries), so
// benchmeter prices what DynamoDB reports instead of nothing.
func askCapacity(in any) {
	total := ddbtypes.ReturnConsumedCapacityTotal
	switch v := in.(type) {
	case *dynamodb.PutItemInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.UpdateItemInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.DeleteItemInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.GetItemInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.QueryInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.BatchGetItemInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.BatchWriteItemInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.TransactWriteItemsInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	}
}

type gsiSnap struct {
	calls               int64
	total, table, index float64
}

func (g *gsiMeter) snapshot() gsiSnap {
	g.mu.Lock()
	defer g.mu.Unlock()
	return gsiSnap{g.calls, g.total, g.table, g.index}
}

func (g *gsiMeter) reset() {
	g.mu.Lock()
	g.calls, g.total, g.table, g.index = 0, 0, 0, 0
	g.mu.Unlock()
}

// logWatch reads the handlers' JSON log lines: it keeps every timer tick
// that fired something (its end time) and counts the bytes of the lines
// (CloudWatch Logs ingestion). Warnings and errors go to stderr.
type logWatch struct {
	mu    sync.Mutex
	n     int64
	tks   []time.Time
	fired []int
}

func (l *logWatch) Write(p []byte) (int, error) {
	var line struct {
		Time  time.Time `json:"timestamp"`
		Msg   string    `json:"message"`
		Level string    `json:"level"`
		Fired int       `json:"fired"`
	}
	if json.Unmarshal(p, &line) == nil {
		if line.Level == "WARN" || line.Level == "ERROR" {
			os.Stderr.Write(p)
		}
		l.mu.Lock()
		l.n += int64(len(p))
		if line.Msg == "timer tick" && line.Fired > 0 {
			l.tks = append(l.tks, line.Time)
			l.fired = append(l.fired, line.Fired)
		}
		l.mu.Unlock()
	}
	return len(p), nil
}

func (l *logWatch) ticks() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]time.Time(nil), l.tks...)
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

func (l *logWatch) tickLine() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var parts []string
	for i, t := range l.tks {
		parts = append(parts, fmt.Sprintf("%s %d", t.UTC().Format("15:04:05"), l.fired[i]))
	}
	return strings.Join(parts, ", ")
}

func (l *logWatch) resetBytes() { l.mu.Lock(); l.n = 0; l.mu.Unlock() }

func (l *logWatch) bytes() int64 { l.mu.Lock(); defer l.mu.Unlock(); return l.n }

// selfCPU is this process's user+system CPU time: every handler, poller
// and the bench itself.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serversCPU is the CPU time of the local DynamoDB and SQS servers'
// process groups, from /proc (clock ticks of 10 ms).
func (b *bench) serversCPU() time.Duration {
	groups := map[int]bool{}
	for _, p := range []*localaws.Process{b.stack.Servers.DynamoDB, b.stack.Servers.SQS} {
		if p != nil {
			groups[p.PID] = true
		}
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, d := range dirs {
		raw, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		s := string(raw)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		// After the command: state ppid pgrp ... utime (14th field of the
		// line, index 11 here) stime (index 12).
		if len(f) < 13 {
			continue
		}
		pgrp, _ := strconv.Atoi(f[2])
		if !groups[pgrp] {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

func loadavg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	return strings.Join(f[:3], " ")
}

func commit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func check(err error) {
	if err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/journeys: "+format+"\n", args...)
	os.Exit(1)
}
