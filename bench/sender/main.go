// Command sender measures the send pipeline: how close it gets to the
// configured SES send rate, and what it costs per 1,000 emails beyond SES's
// own $0.10. It runs the production sender on the local platform (sends
// queue → sender → SES proxy → aws-ses-v2-local), enqueues one marketing
// mail per contact, waits until every send record is final, and reads the
// send times from the SES proxy and every AWS request from an SDK
// middleware on the handlers' clients.
//
//	go run ./bench/sender -rate 14 -n 420
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/bench/benchmeter"
	"github.com/leadflow/leadflow/bench/benchstack"
	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/fn/senderfn"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

func main() {
	rate := flag.Int("rate", 14, "configured max send rate (SES_MAX_SEND_RATE), messages per second")
	n := flag.Int("n", 420, "emails to send (one per contact)")
	tpl := flag.String("template", "welcome", "template (welcome: marketing, with caps, tracking and List-Unsubscribe; double-opt-in: transactional)")
	timeout := flag.Duration("timeout", 5*time.Minute, "how long to wait for every send to be final")
	pricesPath := flag.String("prices", "", "price list (default bench/prices.json)")
	flag.Parse()

	root, err := localaws.RepoRoot()
	check(err)
	if *pricesPath == "" {
		*pricesPath = benchmeter.PricesPath(root)
	}
	prices, err := benchmeter.LoadPrices(*pricesPath, "lambda_request", "lambda_gb_second", "sqs_request", "dynamodb_write_request_unit", "dynamodb_read_request_unit", "cloudwatch_logs_ingested_gb", "ses_email")
	check(err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := runner.StartServers(ctx, runner.ServerOptions{Root: root})
	check(err)
	defer srv.Stop()
	check(os.Setenv(senderfn.EnvMaxSendRate, strconv.Itoa(*rate)))

	m := benchmeter.New()
	logs := &logCounter{}
	prefix := fmt.Sprintf("bs%d-", time.Now().Unix()%1e6)
	table := prefix + "leadflow"
	p, err := runner.New(ctx, runner.Options{
		Endpoints: srv.Endpoints(), Table: table, QueuePrefix: prefix, AdminToken: "bench",
		NoSchedules: true, Log: slog.New(slog.NewJSONHandler(logs, nil)),
		APIOptions: []func(*middleware.Stack) error{m.Register},
	})
	check(err)
	p.Start(ctx)

	// Contacts are seeded with an unmetered client: they are the audience,
	// not the pipeline.
	plain := runner.AWSConfig(srv.Endpoints())
	st := dynamo.New(dynamodb.NewFromConfig(plain), table)
	zone := benchstack.DaytimeZone()
	fmt.Printf("seeding %d subscribed contacts (zone %s, so quiet hours never apply)...\n", *n, zone)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range *n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			now := time.Now().UTC()
			email := fmt.Sprintf("reader%05d@bench.example", i)
			check(st.SaveProfile(ctx, &contact.Profile{
				ID: fmt.Sprintf("c_bench_%05d", i), Email: email, Status: "subscribed", Timezone: zone,
				Traits: map[string]any{"email": email, "first_name": "Reader"}, FirstSeen: now, CreatedAt: now, UpdatedAt: now,
			}))
		})
	}
	wg.Wait()
	m.Reset()
	logs.reset()
	invBefore, _, busyBefore := p.Stats().SnapshotBusy()

	// Enqueue as a campaign would: one SendMessage per mail, metered (it is
	// part of every send).
	q := sqs.NewFromConfig(p.AWS())
	url := p.QueueURL(catalog.SendsQueue)
	ids := make([]string, *n)
	start := time.Now()
	for i := range *n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r := mail.Request{SendID: mail.CampaignSendID("bench", strconv.Itoa(i)), ContactID: fmt.Sprintf("c_bench_%05d", i),
				TemplateID: *tpl, Source: mail.Source{Campaign: "bench"}, RequestedAt: time.Now().UTC()}
			body, err := r.Encode()
			check(err)
			_, err = q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
			check(err)
			ids[i] = r.SendID
		})
	}
	wg.Wait()
	fmt.Printf("enqueued %d sends in %s; waiting for every record to be final...\n", *n, time.Since(start).Round(time.Millisecond))

	states := map[string]int{}
	deadline := time.Now().Add(*timeout)
	for _, id := range ids {
		for {
			rec, err := st.GetSend(ctx, id)
			if err == nil && final(rec) {
				states[rec.State]++
				break
			}
			if err != nil && !errors.Is(err, mail.ErrSendNotFound) {
				check(err)
			}
			if time.Now().After(deadline) {
				fatalf("send %s not final after %s (record %+v)", id, *timeout, rec)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	time.Sleep(1500 * time.Millisecond) // let the last batch's deletes land in the meter
	inv, _, busy := p.Stats().SnapshotBusy()
	invocations := inv["sender"] - invBefore["sender"]
	busySender := busy["sender"] - busyBefore["sender"]

	// The rate, from when the SES proxy received each call.
	perSecond := map[int64]int{}
	accepted := 0
	var first, last time.Time
	for _, r := range p.SESRequests() {
		perSecond[r.At.Unix()]++
		if r.Accepted {
			accepted++
		}
		if first.IsZero() || r.At.Before(first) {
			first = r.At
		}
		if r.At.After(last) {
			last = r.At
		}
	}
	secs := make([]int64, 0, len(perSecond))
	for s := range perSecond {
		secs = append(secs, s)
	}
	sort.Slice(secs, func(i, j int) bool { return secs[i] < secs[j] })
	peak, full, inFull := 0, 0, 0
	var counts []string
	for i, s := range secs {
		c := perSecond[s]
		peak = max(peak, c)
		counts = append(counts, strconv.Itoa(c))
		// The first and last seconds are partial (the run starts and ends
		// inside them): the sustained rate is over the full ones between.
		if i > 0 && i < len(secs)-1 {
			full++
			inFull += c
		}
	}
	sustained := float64(inFull) / math.Max(float64(full), 1)

	fmt.Printf("\n== rate (configured %d/s, %d emails, template %s) ==\n", *rate, *n, *tpl)
	fmt.Printf("SES calls %d, accepted %d; records %v\n", len(p.SESRequests()), accepted, states)
	fmt.Printf("first to last SES call: %s over %d calendar seconds; calls per second: %s\n", last.Sub(first).Round(time.Millisecond), len(secs), strings.Join(counts, " "))
	fmt.Printf("sustained rate (full seconds): %.2f/s = %.1f%% of the limit; peak second %d (limit %d)\n", sustained, 100*sustained/float64(*rate), peak, *rate)
	if peak > *rate {
		fatalf("a second saw %d SendEmail calls, over the %d/s limit", peak, *rate)
	}

	// The bill per 1,000 emails.
	per := 1000 / float64(*n)
	ops := m.Snapshot()
	keys := make([]benchmeter.Op, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	fmt.Printf("\n== requests per 1,000 emails, by function ==\n")
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\toperation\tcalls\tcondition failed\tWRU\tRRU\tSQS billed\t")
	type bill struct{ wru, rru, sqs, empty float64 }
	byFn := map[string]*bill{}
	for _, k := range keys {
		o := ops[k]
		op := k.Service + " " + k.Operation
		if k.Item != "" {
			op += " (" + k.Item + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.2f\t%.2f\t%.1f\t\n", k.Function, op, float64(o.Calls)*per, float64(o.CondFailed)*per, o.WRU*per, o.RRU*per, float64(o.SQSBilled)*per)
		b := byFn[k.Function]
		if b == nil {
			b = &bill{}
			byFn[k.Function] = b
		}
		b.wru += o.WRU
		b.rru += o.RRU
		b.sqs += float64(o.SQSBilled)
		b.empty += float64(o.EmptyReceives)
	}
	tw.Flush()
	// The send pipeline is the sender and the sends queue (enqueue,
	// receive, delete, re-queue); the SES events handler and what it
	// queues for contact timelines are reported apart.
	var wru, rru, sqsBilled, emptyReceives float64
	for _, fn := range []string{"sender", "poller"} {
		if b := byFn[fn]; b != nil {
			wru, rru, sqsBilled, emptyReceives = wru+b.wru, rru+b.rru, sqsBilled+b.sqs, emptyReceives+b.empty
		}
	}
	var others []string
	for fn, b := range byFn {
		if fn != "sender" && fn != "poller" {
			others = append(others, fmt.Sprintf("%s: %.0f WRU, %.0f RRU, %.0f SQS requests = $%.5f",
				fn, b.wru*per, b.rru*per, b.sqs*per, per*(b.wru*prices.Unit("dynamodb_write_request_unit")+b.rru*prices.Unit("dynamodb_read_request_unit")+b.sqs*prices.Unit("sqs_request"))))
		}
	}
	sort.Strings(others)
	gbs := busySender.Seconds() * 512.0 / 1024
	lines := []struct {
		item  string
		qty   float64
		unit  string
		price string
	}{
		{"Lambda invocations (sender)", float64(invocations), "invocations", "lambda_request"},
		{"Lambda duration (sender, 512 MB, incl. pacing waits)", gbs, "GB-s", "lambda_gb_second"},
		{"SQS requests (enqueue, receive with messages, delete, re-queue)", sqsBilled - emptyReceives, "requests", "sqs_request"},
		{"DynamoDB writes", wru, "WRU", "dynamodb_write_request_unit"},
		{"DynamoDB reads", rru, "RRU", "dynamodb_read_request_unit"},
		{"CloudWatch Logs (the sender's own lines)", float64(logs.bytes()), "bytes", "cloudwatch_logs_ingested_gb"},
	}
	fmt.Printf("\n== cost per 1,000 emails beyond SES ==\n")
	tw = tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "item\tper 1,000 emails\t$ per 1,000\t")
	total := 0.0
	for _, l := range lines {
		usd := l.qty * per * prices.Unit(l.price)
		total += usd
		fmt.Fprintf(tw, "%s\t%.2f %s\t%.5f\t\n", l.item, l.qty*per, l.unit, usd)
	}
	fmt.Fprintf(tw, "total beyond SES\t\t%.5f\t\n", total)
	fmt.Fprintf(tw, "SES itself\t1,000 emails\t%.5f\t\n", 1000*prices.Unit("ses_email"))
	tw.Flush()
	fmt.Printf("SES events and their timeline entries, per 1,000 emails (not in the total above; Lambda time not included):\n  %s\n", strings.Join(others, "\n  "))
	fmt.Printf("(idle: %d empty receives by the local pollers, which poll every second; Lambda's pollers long-poll 20 s)\n", int(emptyReceives))
	fmt.Printf("(sender invocations %d, %.1f emails each; busy %s)\n", invocations, float64(*n)/math.Max(float64(invocations), 1), busySender.Round(time.Millisecond))
}

func final(r mail.SendState) bool {
	switch r.State {
	case mail.Sent, mail.Delivered, mail.Failed, mail.Skipped, mail.Bounced, mail.Complaint, mail.Rejected:
		return true
	case mail.InDoubt:
		return r.Cause != mail.CauseServerError
	}
	return false
}

// logCounter counts the bytes of the sender's log lines (the JSON handler
// writes one line per Write).
type logCounter struct {
	mu sync.Mutex
	n  int64
}

func (l *logCounter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`"level":"WARN"`)) || bytes.Contains(p, []byte(`"level":"ERROR"`)) {
		os.Stderr.Write(p) // a problem is worth seeing, not just counting
	}
	if bytes.Contains(p, []byte(`"function":"sender"`)) {
		l.mu.Lock()
		l.n += int64(len(p))
		l.mu.Unlock()
	}
	return len(p), nil
}

func (l *logCounter) reset() { l.mu.Lock(); l.n = 0; l.mu.Unlock() }

func (l *logCounter) bytes() int64 { l.mu.Lock(); defer l.mu.Unlock(); return l.n }

var _ io.Writer = (*logCounter)(nil)

func check(err error) {
	if err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/sender: "+format+"\n", args...)
	os.Exit(1)
}
