// Command forms prices one form fill (issue 3). It runs the production
// handlers on the local platform (HTTP API shape → ingest → SQS → processor →
// DynamoDB Local), posts urlencoded fills of the demo-request form, some from
// visitors who viewed pages first (so the fill merges onto the visitor), waits
// until every contact is found by email through the admin API, and prices
// what the fills caused with bench/prices.json.
//
//	go run ./bench/forms -fills 300
//
// Counting is bench/pipeline's SDK middleware, cut down to calls, SQS billed
// requests and DynamoDB consumed capacity, and keyed by function: the admin
// API's own calls (the bench's progress checks) are left out of the bill.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/form"

	"github.com/leadflow/leadflow/bench/benchmeter"
	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/site"
)

const (
	siteKey    = "wk_bench_forms_7d1e"
	origin     = "https://www.acme-widgets.test"
	adminToken = "bench-forms-admin-token"
	sqsChunk   = 64 * 1024
)

func main() {
	fills := flag.Int("fills", 300, "form fills to post (the per-site limit is 300 a minute)")
	mergeEvery := flag.Int("merge-every", 3, "every n-th fill comes from a visitor who viewed pages first (0: none)")
	views := flag.Int("views", 3, "page views of such a visitor before the fill")
	clients := flag.Int("clients", 4, "concurrent HTTP clients")
	timeout := flag.Duration("timeout", 2*time.Minute, "how long to wait for every contact")
	flag.Parse()
	if *fills <= 0 || *clients <= 0 {
		fatalf("-fills and -clients must be positive")
	}
	root, err := localaws.RepoRoot()
	if err != nil {
		fatalf("%v", err)
	}
	prices, err := benchmeter.LoadPrices(benchmeter.PricesPath(root), "apigw_http_request", "lambda_request", "lambda_gb_second", "sqs_request", "dynamodb_write_request_unit", "dynamodb_read_request_unit")
	if err != nil {
		fatalf("%v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := runner.StartServers(ctx, runner.ServerOptions{Root: root})
	if err != nil {
		fatalf("%v", err)
	}
	defer srv.Stop()
	prefix := fmt.Sprintf("benchforms%d-", time.Now().UnixNano()%1e9)
	m := benchmeter.New()
	p, err := runner.New(ctx, runner.Options{
		Endpoints: srv.Endpoints(), Table: prefix + "leadflow", QueuePrefix: prefix, AdminToken: adminToken,
		Site:              site.Site{Key: siteKey, Name: "Acme Widgets (bench)", AllowedOrigins: []string{origin}},
		VisibilityTimeout: 10 * time.Second,
		NoSchedules:       true,
		Log:               slog.New(slog.NewJSONHandler(io.Discard, nil)),
		APIOptions:        []func(*middleware.Stack) error{m.Register},
	})
	if err != nil {
		fatalf("%v", err)
	}
	p.Start(ctx)
	api := httptest.NewServer(p)
	defer api.Close()
	queue := sqs.NewFromConfig(runner.AWSConfig(srv.Endpoints()))

	// The visitors' page views come first and are not priced.
	type fill struct{ email, anon string }
	list := make([]fill, *fills)
	var visitors []string
	for i := range list {
		list[i].email = fmt.Sprintf("lead%04d@company%d.test", i, i%97)
		if *mergeEvery > 0 && i%*mergeEvery == 0 {
			list[i].anon = fmt.Sprintf("anon-%s%04d", prefix, i)
			visitors = append(visitors, list[i].anon)
		}
	}
	for _, anon := range visitors {
		var batch []string
		for v := 0; v < *views; v++ {
			batch = append(batch, fmt.Sprintf(`{"type":"page","anonymousId":%q,"messageId":"%s-pv%d","context":{"page":{"url":"%s/pricing","path":"/pricing","title":"Pricing"}}}`, anon, anon, v, origin))
		}
		body := `{"writeKey":"` + siteKey + `","batch":[` + strings.Join(batch, ",") + `]}`
		if code, raw := benchmeter.Do(api.URL, "POST", "/v1/batch", "text/plain", body, map[string]string{"Origin": origin}, ""); code != 200 {
			fatalf("page views: %d %s", code, raw)
		}
	}
	benchmeter.Settle(ctx, p, queue)

	// Bind the shipped form to the bench's site, as a deployer would: only a
	// fill from the site's own page subscribes without a confirmation mail.
	repo, err := definitions.Forms()
	if err != nil {
		fatalf("%v", err)
	}
	var demo form.Form
	for _, f := range repo {
		if f.ID == "demo-request" {
			demo = f
		}
	}
	bind, err := json.Marshal(map[string]any{"name": "Demo request (bench)", "site_key": siteKey, "fields": demo.Fields,
		"thank_you_url": demo.ThankYouURL, "consent": demo.Consent, "tags": demo.Tags, "lists": demo.Lists})
	if err != nil {
		fatalf("%v", err)
	}
	if code, raw := benchmeter.Do(api.URL, "PUT", "/v1/forms/demo-request", "application/json", string(bind), map[string]string{"Authorization": "Bearer " + adminToken}, ""); code != 200 && code != 201 {
		fatalf("bind the form: %d %s", code, raw)
	}

	m.Reset()
	inv0, _, busy0 := p.Stats().SnapshotBusy()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(list) {
					return
				}
				f := list[i]
				v := url.Values{"email": {f.email}, "first_name": {"Lead"}, "last_name": {fmt.Sprint(i)}, "company": {fmt.Sprintf("Company %d", i%97)},
					"team_size": {"11-50"}, "message": {"We would like a demo for our marketing team."}, "marketing": {"on"}, "website_url": {""}}
				if f.anon != "" {
					v.Set("anonymous_id", f.anon)
				}
				// A distinct loopback source address per fill: the per-IP
				// limit (5 a minute) would refuse one client's 300 fills.
				ip := fmt.Sprintf("127.1.%d.%d", i/250, i%250+1)
				code, raw := benchmeter.Do(api.URL, "POST", "/v1/forms/demo-request", "application/x-www-form-urlencoded", v.Encode(),
					map[string]string{"Accept": "text/html", "Referer": origin + "/demo", "Origin": origin}, ip)
				if code != http.StatusSeeOther {
					failed.Store(fmt.Sprintf("fill %d: %d %s", i, code, raw))
					return
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f != nil {
		fatalf("%v", f)
	}
	postWall := time.Since(start)

	// Wait until every contact is found by email (admin API: not priced).
	deadline := time.Now().Add(*timeout)
	ids := make([]string, len(list))
	for i, f := range list {
		for {
			var out struct {
				Contacts []struct {
					ID string `json:"id"`
				} `json:"contacts"`
			}
			code, raw := benchmeter.Do(api.URL, "GET", "/v1/contacts?email="+url.QueryEscape(f.email), "", "", map[string]string{"Authorization": "Bearer " + adminToken}, "")
			if code == 200 && json.Unmarshal([]byte(raw), &out) == nil && len(out.Contacts) == 1 {
				ids[i] = out.Contacts[0].ID
				break
			}
			if time.Now().After(deadline) {
				fatalf("contact %s never appeared (%d %s)", f.email, code, raw)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	benchmeter.Settle(ctx, p, queue)
	wall := time.Since(start)
	ops := m.Snapshot()
	inv1, fail1, busy1 := p.Stats().SnapshotBusy()

	// Check the contacts (not priced): every fill is one identify and one
	// track, merged onto the visitor's page views when there was a visitor.
	bad := 0
	for i, f := range list {
		var c struct {
			EventCount int    `json:"event_count"`
			PageViews  int    `json:"page_views"`
			Status     string `json:"status"`
		}
		code, raw := benchmeter.Do(api.URL, "GET", "/v1/contacts/"+ids[i], "", "", map[string]string{"Authorization": "Bearer " + adminToken}, "")
		want, wantViews := 2, 0
		if f.anon != "" {
			want, wantViews = 2+*views, *views
		}
		if code != 200 || json.Unmarshal([]byte(raw), &c) != nil || c.EventCount != want || c.PageViews != wantViews || c.Status != "subscribed" {
			bad++
			if bad <= 3 {
				fmt.Fprintf(os.Stderr, "contact %s (%s): %d events, %d page views, status %q; want %d, %d, subscribed\n", f.email, ids[i], c.EventCount, c.PageViews, c.Status, want, wantViews)
			}
		}
	}
	if bad > 0 {
		fatalf("%d of %d contacts are wrong", bad, len(list))
	}

	n := float64(len(list))
	fmt.Printf("form fills: %d (%d onto a visitor with %d page views), posted in %s, all contacts verified after %s\n",
		len(list), len(visitors), *views, postWall.Round(time.Millisecond), wall.Round(time.Millisecond))
	inv := map[string]int{}
	var invocations int
	var gbs float64
	mem := map[string]int{}
	for _, f := range catalog.Load().Functions {
		mem[f.Name] = f.MemoryMB
	}
	var fns []string
	for k, v := range inv1 {
		if k == "admin" || v-inv0[k] == 0 {
			continue
		}
		inv[k] = v - inv0[k]
		invocations += inv[k]
		gbs += (busy1[k] - busy0[k]).Seconds() * float64(mem[k]) / 1024
		fns = append(fns, k)
	}
	sort.Strings(fns)
	var invDesc []string
	for _, k := range fns {
		invDesc = append(invDesc, fmt.Sprintf("%s %.3f", k, float64(inv[k])/n))
		if fail1[k] > 0 {
			fmt.Printf("  (%s failures during the run: %d)\n", k, fail1[k])
		}
	}

	// Itemise.
	var sqsReq, wru, rru, ddbCalls float64
	var sqsDesc []string
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\tservice\toperation\titem\tcalls/fill\tbilled SQS/fill\tWRU/fill\tRRU/fill\t")
	var keys []benchmeter.Op
	for k := range ops {
		if k.Function != "admin" { // the bench's own progress checks
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	for _, k := range keys {
		s := ops[k]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t\n", k.Function, k.Service, k.Operation, k.Item, float64(s.Calls)/n, float64(s.SQSBilled)/n, s.WRU/n, s.RRU/n)
		if k.Service == "SQS" {
			sqsReq += float64(s.SQSBilled)
			sqsDesc = append(sqsDesc, fmt.Sprintf("%s %s %.3f", k.Function, k.Operation, float64(s.SQSBilled)/n))
		}
		if k.Service == "DynamoDB" {
			ddbCalls += float64(s.Calls)
		}
		wru += s.WRU
		rru += s.RRU
	}
	tw.Flush()

	httpReq := n // one form POST per fill; the page views are not priced
	items := []struct {
		name, per string
		usd       float64
	}{
		{"API Gateway HTTP API requests", fmt.Sprintf("%.3f req", httpReq/n), httpReq / n * prices["apigw_http_request"]},
		{"Lambda invocations (" + strings.Join(invDesc, ", ") + ")", fmt.Sprintf("%.3f", float64(invocations)/n), float64(invocations) / n * prices["lambda_request"]},
		{"Lambda duration (busy wall time × memory, upper bound)", fmt.Sprintf("%.5f GB-s", gbs/n), gbs / n * prices["lambda_gb_second"]},
		{"SQS requests (" + strings.Join(sqsDesc, ", ") + ")", fmt.Sprintf("%.3f req", sqsReq/n), sqsReq / n * prices["sqs_request"]},
		{fmt.Sprintf("DynamoDB writes (%.2f calls of all kinds per fill)", ddbCalls/n), fmt.Sprintf("%.3f WRU", wru/n), wru / n * prices["dynamodb_write_request_unit"]},
		{"DynamoDB reads", fmt.Sprintf("%.3f RRU", rru/n), rru / n * prices["dynamodb_read_request_unit"]},
	}
	var total float64
	for _, it := range items {
		total += it.usd
	}
	fmt.Println()
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "item\tper form fill\t$ per million fills\tshare")
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.1f%%\n", it.name, it.per, it.usd*1e6, 100*it.usd/total)
	}
	fmt.Fprintf(tw, "TOTAL (CloudWatch Logs not counted)\t\t%.4f\t\n", total*1e6)
	tw.Flush()
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "forms bench FAILED: "+format+"\n", args...)
	os.Exit(1)
}
