// Command campaigns measures a broadcast campaign on the local platform
// (issue 14, BENCHMARKS.md "Campaigns on the local stack"): contacts
// seeded on a list, a campaign scheduled a few seconds ahead through the
// admin API, fired by the runner's Scheduler, fanned out page by page by
// the campaigns function and sent by the production sender to the local
// SES server. It reports
//
//   - the fan-out's enqueue rate (recipients queued per second, schedule
//     fired to the campaign's fan-out done) and the end-to-end time
//     (schedule fired to the last mail in the SES server's store), with
//     the send rate limit raised (-rate);
//
//   - the rate held at a realistic limit (-check-n recipients at
//     -check-rate per second): calls per calendar second and the peak;
//
//   - that every recipient got exactly one message, counted per address in
//     the SES server's own store (GET /store);
//
//   - the AWS requests per 1,000 recipients beyond SES, by function, call
//     and item, priced with bench/prices.json;
//
//   - the modelled time for 1,000,000 recipients at 500/s on AWS from the
//     measured calls of a fan-out page.
//
//     go run ./bench/campaigns -n 100000 -rate 1000 -check-n 2000 -check-rate 14
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/bench/benchmeter"
	"github.com/leadflow/leadflow/bench/benchstack"
	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/fn/senderfn"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/membership"
	"github.com/leadflow/leadflow/shared/template"
)

// list is the audience: a list kept in the repo (definitions/lists).
const list = "newsletter"

func main() {
	n := flag.Int("n", 100000, "recipients of the large run (0: skip it)")
	rate := flag.Int("rate", 1000, "SES_MAX_SEND_RATE of the large run (raised: the local stack is the limit)")
	checkN := flag.Int("check-n", 2000, "recipients of the rate check (0: skip it)")
	checkRate := flag.Int("check-rate", 14, "SES_MAX_SEND_RATE of the rate check")
	stall := flag.Duration("stall", 5*time.Minute, "give up when no mail was sent for this long")
	logPath := flag.String("log", "", "also write every handler's log at info level (the sender's outcome counts per batch) to this file")
	cpuProfile := flag.String("cpuprofile", "", "write the Go process's CPU profile of the large run, firing to last mail, to this file")
	flag.Parse()

	root, err := localaws.RepoRoot()
	check(err)
	prices, err := benchmeter.LoadPrices(benchmeter.PricesPath(root), "lambda_request", "lambda_gb_second", "sqs_request",
		"dynamodb_write_request_unit", "dynamodb_read_request_unit", "ses_email")
	check(err)
	ctx := context.Background()
	if *n > 0 {
		run(ctx, "bcamp", *n, *rate, *stall, prices, true, *cpuProfile, *logPath)
	}
	if *checkN > 0 {
		run(ctx, "bcchk", *checkN, *checkRate, *stall, prices, false, "", "")
	}
}

// run seeds n recipients, sends them a campaign at the given rate limit on
// a platform of its own, and reports.
func run(ctx context.Context, tag string, n, rate int, stall time.Duration, prices benchmeter.Prices, large bool, cpuProfile, logPath string) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	check(os.Setenv(senderfn.EnvMaxSendRate, strconv.Itoa(rate)))
	meter := benchmeter.New()
	warnings := &logTail{max: 20}
	stack, err := benchstack.StartWith(ctx, tag, func(o *runner.Options) {
		o.APIOptions = []func(*middleware.Stack) error{meter.Register}
		o.Log = slog.New(slog.NewJSONHandler(warnings, &slog.HandlerOptions{Level: slog.LevelWarn}))
		if logPath != "" {
			f, err := os.Create(logPath)
			check(err)
			// The file takes everything; the tail still only warnings.
			o.Log = slog.New(slog.NewJSONHandler(io.MultiWriter(f, warnOnly{warnings}), &slog.HandlerOptions{Level: slog.LevelInfo}))
		}
	})
	check(err)
	defer stack.Close()
	fmt.Printf("\n==== %d recipients, SES_MAX_SEND_RATE %d/s (table %s) ====\n", n, rate, stack.Table)

	// Recipients: identified, subscribed, in a zone where it is about noon
	// (quiet hours never hold them), on the list.
	runID := strings.TrimSuffix(stack.Table, "-leadflow")
	zone := benchstack.DaytimeZone()
	want := make([]string, n)
	ps := make([]*contact.Profile, n)
	created := time.Now().UTC().Add(-time.Hour)
	for i := range n {
		want[i] = fmt.Sprintf("r%06d.%s@bench.example", i, runID)
		ps[i] = &contact.Profile{ID: fmt.Sprintf("c_%s_%06d", runID, i), Email: want[i], Status: "subscribed", Timezone: zone,
			Lists: []string{list}, Traits: map[string]any{"first_name": "Reader"},
			FirstSeen: created, LastSeen: created, CreatedAt: created, UpdatedAt: created}
	}
	start := time.Now()
	seed(ctx, stack, ps, 1000, 4)
	seeded := time.Since(start)
	fmt.Printf("seeded %d contacts on list %q with Store.SeedContacts (BatchWriteItem, 25 items a call, 4 writers): %s, %.0f contacts/s\n",
		n, list, seeded.Round(time.Millisecond), float64(n)/seeded.Seconds())

	// The campaign, a few seconds ahead.
	tpl := template.Template{
		ID: "bench-news", Name: "Bench news", Kind: template.KindMarketing, Topic: "newsletter",
		From: template.Address{Name: "Leadflow", Address: "hello@example.com"}, Subject: "News for {{ traits.first_name }}",
		HTML: `<html><body><p>Hello {{ traits.first_name }}, this month's news.</p><p><a href="https://example.com/news">Read</a></p>` +
			`<p>{{ sender.address }} <a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>`,
	}
	raw, err := json.Marshal(tpl)
	check(err)
	admin(stack, "PUT", "/v1/templates/bench-news", string(raw), 200, 201)
	id := "bench-" + runID
	at := time.Now().UTC().Add(6 * time.Second).Truncate(time.Second)
	def := fmt.Sprintf(`{"id":%q,"name":"Bench broadcast","audience":{"lists":[%q]},"template":"bench-news","topic":"newsletter",
		"schedule":{"type":"at","at":%q,"zone":"UTC"}}`, id, list, at.Format(campaign.LocalLayoutSeconds))
	admin(stack, "PUT", "/v1/campaigns/"+id, def, 201)
	admin(stack, "POST", "/v1/campaigns/"+id+"/schedule", "", 200)
	meter.Reset()
	inv0, _, busy0 := stack.Platform.Stats().SnapshotBusy()

	// The runner's Scheduler fires at `at` (it looks every 250 ms).
	time.Sleep(time.Until(at))
	fired := at
	stopProfile := startProfile(cpuProfile)
	var fanoutDone time.Time
	lastCount, lastProgress, lastPrint := 0, time.Now(), time.Now()
	for {
		time.Sleep(time.Second)
		if fanoutDone.IsZero() {
			var st struct{ State string }
			admin(stack, "GET", "/v1/campaigns/"+id, "", 200, &st)
			if st.State == string(campaign.Sent) {
				fanoutDone = time.Now()
				fmt.Printf("fan-out done (campaign sent) %.1f s after the firing\n", fanoutDone.Sub(fired).Seconds())
			}
		}
		sent := countAccepted(stack.Platform, id)
		if sent != lastCount {
			lastCount, lastProgress = sent, time.Now()
		}
		if time.Since(lastPrint) > 30*time.Second {
			fmt.Printf("  %s: %d of %d mails sent\n", time.Since(fired).Round(time.Second), sent, n)
			lastPrint = time.Now()
		}
		if sent >= n && !fanoutDone.IsZero() {
			break
		}
		if time.Since(lastProgress) > stall {
			fail("no mail for %s: %d of %d sent (fan-out done: %v); last warnings:\n%s", stall, sent, n, !fanoutDone.IsZero(), warnings)
		}
	}
	stopProfile()
	var times []time.Time
	proxyGot := map[string]int{}
	var lastMail time.Time
	for _, r := range stack.Platform.SESRequests() {
		if r.Accepted && r.Tags[mail.TagCampaign] == id {
			times = append(times, r.At)
			lastMail = later(lastMail, r.At)
			for _, to := range r.To {
				proxyGot[address(to)]++
			}
		}
	}

	// Delivered counters and SES events settle, then the bill.
	waitDelivered(stack, id, n, 10*time.Minute)
	settleCtx, stop := context.WithTimeout(ctx, 5*time.Minute)
	benchmeter.Settle(settleCtx, stack.Platform, sqs.NewFromConfig(runner.AWSConfig(stack.Servers.Endpoints())))
	stop()
	ops := meter.Snapshot()
	inv1, _, busy1 := stack.Platform.Stats().SnapshotBusy()

	// Exactly one message each, in the SES server's own store.
	storeGot, storeLast := sesStore(stack.Servers.Endpoints().SES, fired.Add(-time.Second), runID)
	d := Deliveries(storeGot, want)
	fmt.Printf("\nSES server's store: %d addresses got exactly one message, %d none, %d more than one, %d messages to others; last stored at %s\n",
		d.Once, len(d.Missing), len(d.Duplicate), d.Strangers, storeLast.Format(time.TimeOnly))
	if pd := Deliveries(proxyGot, want); !pd.OK() || !d.OK() {
		fail("delivery check failed: store %+v (first missing %v, duplicates %v); proxy %d once, %d missing, %d duplicates",
			d, first(d.Missing, 5), first(d.Duplicate, 5), pd.Once, len(pd.Missing), len(pd.Duplicate))
	}

	r := RateOf(times)
	fanout := fanoutDone.Sub(fired)
	e2e := lastMail.Sub(fired)
	fmt.Printf("\nfan-out: %d recipients queued in %.1f s (fired to fan-out done): %.0f recipients/s\n", n, fanout.Seconds(), float64(n)/fanout.Seconds())
	fmt.Printf("end to end: fired %s, first mail %s, last mail %s (proxy), %.1f s: %.1f mails/s overall\n",
		fired.Format(time.TimeOnly), times[0].Format("15:04:05.000"), lastMail.Format("15:04:05.000"), e2e.Seconds(), float64(n)/e2e.Seconds())
	fmt.Printf("send rate (limit %d/s): sustained %.2f/s over full seconds, peak second %d\n", rate, r.Sustained, r.Peak)
	if large {
		fmt.Printf("mails per 10 s: %s\n", joinInts(r.Buckets(10)))
	} else {
		fmt.Printf("mails per second: %s\n", joinInts(r.PerSecond))
	}
	if r.Peak > rate {
		fail("a second saw %d SendEmail calls, over the %d/s limit", r.Peak, rate)
	}

	pageCalls := bill(ops, inv0, inv1, busy0, busy1, n, prices)
	if large {
		m := Model{Recipients: 1_000_000, SESRate: 500, PageSize: 500, PageCalls: pageCalls}
		fmt.Printf("\nmodelled on AWS, 1,000,000 recipients at 500/s: a fan-out page %s (%s), fan-out %s, sending %s, end to end %s\n",
			m.PageTime().Round(time.Millisecond), describe(pageCalls), m.FanoutTime().Round(time.Second), m.SendTime().Round(time.Second), m.EndToEnd().Round(time.Second))
	}
	_, failures := stack.Platform.Stats().Snapshot()
	fmt.Printf("\nfailed messages returned to their queue, by function: %v\n", failures)
	if warnings.n.Load() > 0 {
		fmt.Printf("\n%d warnings or errors logged; the first:\n%s", warnings.n.Load(), warnings)
	}
}

// seed writes the contacts in chunks, writers at a time.
func seed(ctx context.Context, stack *benchstack.Stack, ps []*contact.Profile, chunk, writers int) {
	refs := []membership.Ref{{Kind: membership.List, ID: list}}
	at := time.Now().UTC().Add(-time.Hour)
	next := make(chan []*contact.Profile)
	var wg sync.WaitGroup
	var failed atomic.Value
	for range writers {
		wg.Go(func() {
			for part := range next {
				if err := stack.Store.SeedContacts(ctx, part, refs, at); err != nil {
					failed.Store(err)
				}
			}
		})
	}
	for i := 0; i < len(ps); i += chunk {
		next <- ps[i:min(i+chunk, len(ps))]
	}
	close(next)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		fail("seed: %v", err)
	}
}

// countAccepted counts the mails of a campaign the SES proxy saw accepted.
func countAccepted(p *runner.Platform, id string) int {
	c := 0
	for _, r := range p.SESRequests() {
		if r.Accepted && r.Tags[mail.TagCampaign] == id {
			c++
		}
	}
	return c
}

// waitDelivered waits until the campaign's delivered counter has every
// mail: the SES events are handled, so their requests are in the bill.
func waitDelivered(stack *benchstack.Stack, id string, n int, within time.Duration) {
	deadline := time.Now().Add(within)
	for {
		var res struct{ Totals map[string]int64 }
		admin(stack, "GET", "/v1/campaigns/"+id+"/results", "", 200, &res)
		if res.Totals[campaign.CountDelivered] >= int64(n) {
			fmt.Printf("results: %v\n", res.Totals)
			return
		}
		if time.Now().After(deadline) {
			fmt.Printf("results after %s still short of %d delivered: %v\n", within, n, res.Totals)
			return
		}
		time.Sleep(2 * time.Second)
	}
}

// sesStore reads the SES server's store since a time and counts the
// messages of this run's addresses (they contain runID) per address.
func sesStore(endpoint string, since time.Time, runID string) (map[string]int, time.Time) {
	resp, err := http.Get(endpoint + "/store?since=" + strconv.FormatInt(since.Unix(), 10))
	check(err)
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		fail("GET %s/store: %s", endpoint, resp.Status)
	}
	var doc struct {
		Emails []struct {
			Destination struct{ To []string } `json:"destination"`
			At          int64                 `json:"at"`
		} `json:"emails"`
	}
	check(json.NewDecoder(resp.Body).Decode(&doc))
	got := map[string]int{}
	var last time.Time
	for _, e := range doc.Emails {
		for _, to := range e.Destination.To {
			if a := address(to); strings.Contains(a, runID) {
				got[a]++
				last = later(last, time.Unix(e.At, 0))
			}
		}
	}
	return got, last
}

// startProfile writes the process's CPU profile to path until the
// returned function is called (nothing when path is empty).
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	check(err)
	check(pprof.StartCPUProfile(f))
	return func() {
		pprof.StopCPUProfile()
		check(f.Close())
		fmt.Printf("CPU profile of the Go process, firing to last mail: %s (go tool pprof -top %s)\n", path, path)
	}
}

// address is the bare, lower-case address of a To entry ("Name <a@b>").
func address(to string) string {
	if i := strings.LastIndexByte(to, '<'); i >= 0 {
		to = strings.TrimSuffix(to[i+1:], ">")
	}
	return strings.ToLower(strings.TrimSpace(to))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// bill prints the requests per 1,000 recipients by function, call and
// item, the cost by group, and returns the calls of one fan-out page by
// service (for the model).
func bill(ops map[benchmeter.Op]benchmeter.Stats, inv0, inv1 map[string]int, busy0, busy1 map[string]time.Duration, n int, prices benchmeter.Prices) map[string]float64 {
	per := 1000 / float64(n)
	keys := slices.SortedFunc(func(yield func(benchmeter.Op) bool) {
		for k := range ops {
			if k.Function != "admin" && !yield(k) {
				return
			}
		}
	}, func(a, b benchmeter.Op) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	fmt.Printf("\nrequests per 1,000 recipients (failed conditional writes billed; empty receives of the idle pollers left out):\n")
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "group\tfunction\tcall\titem\tcalls\tcond. failed\tWRU\tRRU\tSQS billed\t$\t")
	groups := map[string]float64{}
	var order []string
	pageCalls := map[string]float64{}
	pages := float64(n) / 500
	for _, k := range keys {
		s := ops[k]
		sqsBilled := float64(s.SQSBilled - s.EmptyReceives)
		usd := (s.WRU*prices.Unit("dynamodb_write_request_unit") + s.RRU*prices.Unit("dynamodb_read_request_unit") + sqsBilled*prices.Unit("sqs_request")) * per
		g := group(k)
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] += usd
		if k.Function == "campaigns" {
			pageCalls[k.Service] += float64(s.Calls) / pages
		}
		if s.Calls == s.EmptyReceives {
			continue // idle polling only
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.6f\t\n", g, k.Function, k.Service, k.Operation, strings.TrimPrefix(k.Item, strings.SplitN(k.Item, "-", 2)[0]+"-"),
			float64(s.Calls)*per, float64(s.CondFailed)*per, s.WRU*per, s.RRU*per, sqsBilled*per, usd)
	}
	tw.Flush()
	// Lambda: invocations and busy time × memory (an upper bound: local
	// calls are slower, the machine is shared, and the sender's pacing
	// waits are in it).
	mem := map[string]int{}
	for _, f := range catalog.Load().Functions {
		mem[f.Name] = f.MemoryMB
	}
	fmt.Printf("\nLambda per 1,000 recipients (busy wall time × memory: an upper bound on this loaded machine):\n")
	tw = tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\tinvocations\tGB-s\t$ invocations\t$ duration\t")
	for _, f := range slices.Sorted(func(yield func(string) bool) {
		for f := range inv1 {
			if f != "admin" && inv1[f] > inv0[f] && !yield(f) {
				return
			}
		}
	}) {
		calls := float64(inv1[f]-inv0[f]) * per
		gbs := (busy1[f] - busy0[f]).Seconds() * float64(mem[f]) / 1024 * per
		g := "Lambda " + f
		order = append(order, g)
		groups[g] = calls*prices.Unit("lambda_request") + gbs*prices.Unit("lambda_gb_second")
		fmt.Fprintf(tw, "%s\t%.1f\t%.3f\t%.6f\t%.6f\t\n", f, calls, gbs, calls*prices.Unit("lambda_request"), gbs*prices.Unit("lambda_gb_second"))
	}
	tw.Flush()
	fmt.Printf("\ncost per 1,000 recipients beyond SES ($%.2f), by group:\n", 1000*prices.Unit("ses_email"))
	tw = tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	total := 0.0
	for _, g := range order {
		total += groups[g]
		fmt.Fprintf(tw, "%s\t%.6f\t\n", g, groups[g])
	}
	fmt.Fprintf(tw, "TOTAL (CloudWatch Logs not counted)\t%.6f\t\n", total)
	tw.Flush()
	return pageCalls
}

// group names what a call is for.
func group(k benchmeter.Op) string {
	queue := ""
	if k.Service == "SQS" {
		queue = k.Item[strings.IndexByte(k.Item, '-')+1:]
	}
	switch {
	case strings.Contains(k.Item, "CSTAT"):
		return "result counters"
	case k.Function == "campaigns" || queue == catalog.CampaignsQueue:
		return "fan-out"
	case k.Function == "sender" || queue == catalog.SendsQueue:
		return "send pipeline"
	case k.Function == "sesevents":
		return "SES events"
	}
	return "other (" + k.Function + ")"
}

func describe(calls map[string]float64) string {
	var parts []string
	for _, svc := range slices.Sorted(func(yield func(string) bool) {
		for s := range calls {
			if !yield(s) {
				return
			}
		}
	}) {
		parts = append(parts, fmt.Sprintf("%.1f %s calls", calls[svc], svc))
	}
	return strings.Join(parts, ", ")
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, " ")
}

func first(xs []string, n int) []string { return xs[:min(n, len(xs))] }

// admin calls the admin API and fails unless the status is one of ok;
// a last argument that is not an int receives the JSON answer.
func admin(stack *benchstack.Stack, method, path, body string, okAndOut ...any) {
	req, err := http.NewRequest(method, stack.API.URL+path, strings.NewReader(body))
	check(err)
	req.Header.Set("Authorization", "Bearer bench")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	check(err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	check(err)
	good := false
	for _, a := range okAndOut {
		switch v := a.(type) {
		case int:
			good = good || v == resp.StatusCode
		default:
			if err := json.Unmarshal(raw, v); err != nil {
				fail("%s %s: %v: %s", method, path, err, raw)
			}
		}
	}
	if !good {
		fail("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
}

// logTail keeps the first few log lines it is given and counts them all.
type logTail struct {
	max   int
	n     atomic.Int64
	mu    sync.Mutex
	lines []string
}

func (l *logTail) Write(p []byte) (int, error) {
	l.n.Add(1)
	l.mu.Lock()
	if len(l.lines) < l.max {
		l.lines = append(l.lines, string(p))
	}
	l.mu.Unlock()
	return len(p), nil
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "")
}

// warnOnly passes on the log lines of level WARN and above.
type warnOnly struct{ w io.Writer }

func (w warnOnly) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`"level":"WARN"`)) || bytes.Contains(p, []byte(`"level":"ERROR"`)) {
		return w.w.Write(p)
	}
	return len(p), nil
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "campaigns bench FAILED: "+format+"\n", args...)
	os.Exit(1)
}
