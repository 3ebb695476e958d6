// Command imports measures a CSV import (issue 13) on the local platform:
// the admin API makes an import, the file goes to the local S3 server
// through the presigned URL, the jobs function reads it in pages and hands
// the rows to the processor, which writes the contacts. It reports rows per
// second (file uploaded to every contact written) and prices what one
// million rows cost from the requests counted, with bench/prices.json (and
// S3's request prices below).
//
//	go run ./bench/imports -rows 5000 [-cpuprofile cpu.out]
//
// Counting is bench/benchmeter (calls, SQS billed requests, DynamoDB
// consumed capacity, keyed by function and item kind); the admin API's calls
// (one create, one start, the progress checks) are left out of the bill.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/bench/benchmeter"
	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/site"
)

const (
	siteKey    = "wk_bench_imports_1"
	adminToken = "bench-imports-admin-token"
	// S3 request prices (us-east-1, S3 Standard), noted 2026-12-07 from
	// https://aws.amazon.com/s3/pricing/: PUT, COPY, POST, LIST $0.005 per
	// 1,000; GET and all other requests $0.0004 per 1,000.
	s3WriteRequestUSD = 0.005 / 1000
	s3ReadRequestUSD  = 0.0004 / 1000
)

func main() {
	rows := flag.Int("rows", 5000, "rows in the file (every 50th repeats an earlier email, every 100th has an invalid one)")
	timeout := flag.Duration("timeout", 5*time.Minute, "how long to wait for the import and the contacts")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run (the functions' Go code; DynamoDB Local is a separate JVM) to this file")
	flag.Parse()
	if *rows <= 0 {
		fatalf("-rows must be positive")
	}
	root, err := localaws.RepoRoot()
	if err != nil {
		fatalf("%v", err)
	}
	prices, err := benchmeter.LoadPrices(benchmeter.PricesPath(root), "lambda_request", "lambda_gb_second", "sqs_request", "dynamodb_write_request_unit", "dynamodb_read_request_unit")
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
	prefix := fmt.Sprintf("benchimp%d-", time.Now().UnixNano()%1e9)
	m := benchmeter.New()
	p, err := runner.New(ctx, runner.Options{
		Endpoints: srv.Endpoints(), Table: prefix + "leadflow", QueuePrefix: prefix, AdminToken: adminToken,
		Site:        site.Site{Key: siteKey, Name: "Imports bench", AllowedOrigins: []string{"*"}},
		NoSchedules: true,
		// Longer than a window of 5,000 rows takes on a loaded machine (a
		// redelivery would run it twice), short enough that a failed batch
		// is retried within the run (AWS: jobs 900 s, events 180 s).
		VisibilityTimeout: 2 * time.Minute,
		Log:               benchLog(),
		APIOptions:        []func(*middleware.Stack) error{m.Register},
	})
	if err != nil {
		fatalf("%v", err)
	}
	p.Start(ctx)
	api := httptest.NewServer(p)
	defer api.Close()
	queue := sqs.NewFromConfig(runner.AWSConfig(srv.Endpoints()))
	auth := map[string]string{"Authorization": "Bearer " + adminToken}

	var file strings.Builder
	file.WriteString("Email,First name,Company,Country,Tags,Opt-in\n")
	valid := 0
	for i := 0; i < *rows; i++ {
		email := fmt.Sprintf("lead%07d@company%d.test", i, i%997)
		switch {
		case i%100 == 99:
			email = "not-an-email"
		case i%50 == 49:
			email = fmt.Sprintf("lead%07d@company%d.test", i-1, (i-1)%997)
		default:
			valid++
		}
		fmt.Fprintf(&file, "%s,Lead %d,Company %d,DE,imported;bench,%s\n", email, i, i%997, []string{"yes", "no"}[i%2])
	}
	def := `{"file_name":"bench.csv","columns":{"email":"Email","tags":"Tags","consent":"Opt-in","traits":{"first_name":"First name","company":"Company","country":"Country"}},"list_id":"bench",` +
		`"consent":{"evidence":"bench","purposes":["marketing"]}}`
	code, raw := benchmeter.Do(api.URL, "POST", "/v1/imports", "application/json", def, auth, "")
	var created struct {
		ID        string `json:"id"`
		UploadURL string `json:"upload_url"`
	}
	if code != 201 || json.Unmarshal([]byte(raw), &created) != nil {
		fatalf("create import: %d %s", code, raw)
	}
	m.Reset()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fatalf("%v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatalf("%v", err)
		}
		defer pprof.StopCPUProfile()
	}
	inv0, _, busy0 := p.Stats().SnapshotBusy()
	start := time.Now()
	if code, raw := benchmeter.Do(created.UploadURL, "PUT", "", "text/csv", file.String(), nil, ""); code != 200 {
		fatalf("upload: %d %s", code, raw)
	}
	if code, raw := benchmeter.Do(api.URL, "POST", "/v1/imports/"+created.ID+"/start", "", "", auth, ""); code != 202 {
		fatalf("start: %d %s", code, raw)
	}
	deadline := time.Now().Add(*timeout)
	var imp struct {
		State                              string
		Rows, Imported, Failed, Duplicates int
	}
	for {
		code, raw := benchmeter.Do(api.URL, "GET", "/v1/imports/"+created.ID, "", "", auth, "")
		if code != 200 || json.Unmarshal([]byte(raw), &imp) != nil {
			fatalf("get import: %d %s", code, raw)
		}
		if imp.State == "done" || imp.State == "failed" {
			break
		}
		if time.Now().After(deadline) {
			fatalf("import not done in %s: %s", *timeout, raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	read := time.Since(start)
	if imp.State != "done" || imp.Rows != *rows || imp.Imported != valid || imp.Imported+imp.Failed != *rows {
		fatalf("import %+v; want %d rows, %d imported", imp, *rows, valid)
	}
	benchmeter.Settle(ctx, p, queue)
	wall := time.Since(start) - 3*time.Second // settle waits 3 s of quiet
	// Every valid row is a contact: the last one is found by email.
	last := fmt.Sprintf("lead%07d@company%d.test", *rows-2, (*rows-2)%997)
	if code, raw := benchmeter.Do(api.URL, "GET", "/v1/contacts?email="+last, "", "", auth, ""); code != 200 || !strings.Contains(raw, `"id"`) {
		fatalf("contact %s: %d %s", last, code, raw)
	}
	ops := m.Snapshot()
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	inv1, fail1, busy1 := p.Stats().SnapshotBusy()

	n := float64(*rows)
	fmt.Printf("rows: %d (%d imported, %d failed of which %d duplicates); file read in %s; every contact written after %s: %.0f rows/s\n",
		*rows, imp.Imported, imp.Failed, imp.Duplicates, read.Round(time.Millisecond), wall.Round(time.Millisecond), n/wall.Seconds())
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
		invDesc = append(invDesc, fmt.Sprintf("%s %.4f", k, float64(inv[k])/n))
		if fail1[k] > 0 {
			fmt.Printf("  (%s failures during the run: %d)\n", k, fail1[k])
		}
	}
	var sqsReq, wru, rru, ddbCalls, s3w, s3r float64
	var sqsDesc []string
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\tservice\toperation\titem\tcalls/row\tcondition failed/row\tbilled SQS/row\tWRU/row\tRRU/row\t")
	var keys []benchmeter.Op
	for k := range ops {
		if k.Function != "admin" { // the bench's own create, start and progress checks
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	for _, k := range keys {
		s := ops[k]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.4f\t%.4f\t%.4f\t%.3f\t%.3f\t\n", k.Function, k.Service, k.Operation, k.Item,
			float64(s.Calls)/n, float64(s.CondFailed)/n, float64(s.SQSBilled)/n, s.WRU/n, s.RRU/n)
		switch k.Service {
		case "SQS":
			sqsReq += float64(s.SQSBilled)
			sqsDesc = append(sqsDesc, fmt.Sprintf("%s %s %.4f", k.Function, k.Operation, float64(s.SQSBilled)/n))
		case "DynamoDB":
			ddbCalls += float64(s.Calls)
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
	s3w++ // the browser's upload (one PUT; a file over 5 GB would be a multipart upload)
	items := []struct {
		name, per string
		usd       float64
	}{
		{"Lambda invocations (" + strings.Join(invDesc, ", ") + ")", fmt.Sprintf("%.4f", float64(invocations)/n), float64(invocations) / n * prices.Unit("lambda_request")},
		{"Lambda duration (busy wall time × memory, upper bound)", fmt.Sprintf("%.5f GB-s", gbs/n), gbs / n * prices.Unit("lambda_gb_second")},
		{"SQS requests (" + strings.Join(sqsDesc, ", ") + ")", fmt.Sprintf("%.4f req", sqsReq/n), sqsReq / n * prices.Unit("sqs_request")},
		{fmt.Sprintf("DynamoDB writes (%.2f calls of all kinds per row)", ddbCalls/n), fmt.Sprintf("%.3f WRU", wru/n), wru / n * prices.Unit("dynamodb_write_request_unit")},
		{"DynamoDB reads", fmt.Sprintf("%.3f RRU", rru/n), rru / n * prices.Unit("dynamodb_read_request_unit")},
		{"S3 requests (upload, ranged GETs, report)", fmt.Sprintf("%.5f req", (s3w+s3r)/n), (s3w*s3WriteRequestUSD + s3r*s3ReadRequestUSD) / n},
	}
	var total float64
	for _, it := range items {
		total += it.usd
	}
	fmt.Println()
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "item\tper row\t$ per million rows\tshare")
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.1f%%\n", it.name, it.per, it.usd*1e6, 100*it.usd/total)
	}
	fmt.Fprintf(tw, "TOTAL (CloudWatch Logs and S3 storage for a week not counted)\t\t%.4f\t\n", total*1e6)
	tw.Flush()
}

// benchLog discards the functions' logs unless LEADFLOW_BENCH_LOG is set.
func benchLog() *slog.Logger {
	if os.Getenv("LEADFLOW_BENCH_LOG") != "" {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewJSONHandler(io.Discard, nil))
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "imports bench FAILED: "+format+"\n", args...)
	os.Exit(1)
}
