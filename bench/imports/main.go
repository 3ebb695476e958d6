// Command imports measures a CSV import (issue 13) on the local platform:
// the admin API makes an import, the file goes to the local S3 server
// through the presigned URL, the jobs function reads it in pages and hands
// the rows to the processor, which writes the contacts. It reports rows per
// second (file uploaded to every contact written) and prices what one
// million rows cost from the requests counted, with bench/prices.json (and
// S3's request prices below).
//
//	go run ./bench/imports -rows 5000
//
// Counting is bench/forms' SDK middleware (calls, SQS billed requests,
// DynamoDB consumed capacity, keyed by function); the admin API's calls (one
// create, one start, the progress checks) are left out of the bill.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/site"
)

const (
	siteKey    = "wk_bench_imports_1"
	adminToken = "bench-imports-admin-token"
	sqsChunk   = 64 * 1024
	// S3 request prices (us-east-1, S3 Standard), noted 2026-12-07 from
	// https://aws.amazon.com/s3/pricing/: PUT, COPY, POST, LIST $0.005 per
	// 1,000; GET and all other requests $0.0004 per 1,000.
	s3WriteRequestUSD = 0.005 / 1000
	s3ReadRequestUSD  = 0.0004 / 1000
)

func main() {
	rows := flag.Int("rows", 5000, "rows in the file (every 50th repeats an earlier email, every 100th has an invalid one)")
	timeout := flag.Duration("timeout", 5*time.Minute, "how long to wait for the import and the contacts")
	flag.Parse()
	if *rows <= 0 {
		fatalf("-rows must be positive")
	}
	root, err := localaws.RepoRoot()
	if err != nil {
		fatalf("%v", err)
	}
	prices, err := loadPrices(filepath.Join(root, "bench", "prices.json"))
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
	m := &meter{ops: map[opKey]*opStats{}}
	p, err := runner.New(ctx, runner.Options{
		Endpoints: srv.Endpoints(), Table: prefix + "leadflow", QueuePrefix: prefix, AdminToken: adminToken,
		Site:              site.Site{Key: siteKey, Name: "Imports bench", AllowedOrigins: []string{"*"}},
		VisibilityTimeout: 30 * time.Second, NoSchedules: true,
		Log:        benchLog(),
		APIOptions: []func(*middleware.Stack) error{m.register},
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
	code, raw := do(api.URL, "POST", "/v1/imports", "application/json", def, auth, "")
	var created struct {
		ID        string `json:"id"`
		UploadURL string `json:"upload_url"`
	}
	if code != 201 || json.Unmarshal([]byte(raw), &created) != nil {
		fatalf("create import: %d %s", code, raw)
	}
	m.reset()
	inv0, _, busy0 := p.Stats().SnapshotBusy()
	start := time.Now()
	if code, raw := do(created.UploadURL, "PUT", "", "text/csv", file.String(), nil, ""); code != 200 {
		fatalf("upload: %d %s", code, raw)
	}
	if code, raw := do(api.URL, "POST", "/v1/imports/"+created.ID+"/start", "", "", auth, ""); code != 202 {
		fatalf("start: %d %s", code, raw)
	}
	deadline := time.Now().Add(*timeout)
	var imp struct {
		State                              string
		Rows, Imported, Failed, Duplicates int
	}
	for {
		code, raw := do(api.URL, "GET", "/v1/imports/"+created.ID, "", "", auth, "")
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
	settle(ctx, p, queue)
	wall := time.Since(start) - 3*time.Second // settle waits 3 s of quiet
	// Every valid row is a contact: the last one is found by email.
	last := fmt.Sprintf("lead%07d@company%d.test", *rows-2, (*rows-2)%997)
	if code, raw := do(api.URL, "GET", "/v1/contacts?email="+last, "", "", auth, ""); code != 200 || !strings.Contains(raw, `"id"`) {
		fatalf("contact %s: %d %s", last, code, raw)
	}
	ops := m.snapshot()
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
	fmt.Fprintln(tw, "function\tservice\toperation\tcalls/row\tbilled SQS/row\tWRU/row\tRRU/row\t")
	var keys []opKey
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	for _, k := range keys {
		s := ops[k]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4f\t%.4f\t%.3f\t%.3f\t\n", k.Function, k.Service, k.Operation, float64(s.Calls)/n, float64(s.SQSBilled)/n, s.WCU/n, s.RCU/n)
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
		wru += s.WCU
		rru += s.RCU
	}
	tw.Flush()
	s3w++ // the browser's upload (one PUT; a file over 5 GB would be a multipart upload)
	items := []struct {
		name, per string
		usd       float64
	}{
		{"Lambda invocations (" + strings.Join(invDesc, ", ") + ")", fmt.Sprintf("%.4f", float64(invocations)/n), float64(invocations) / n * prices["lambda_request"]},
		{"Lambda duration (busy wall time × memory, upper bound)", fmt.Sprintf("%.5f GB-s", gbs/n), gbs / n * prices["lambda_gb_second"]},
		{"SQS requests (" + strings.Join(sqsDesc, ", ") + ")", fmt.Sprintf("%.4f req", sqsReq/n), sqsReq / n * prices["sqs_request"]},
		{fmt.Sprintf("DynamoDB writes (%.2f calls of all kinds per row)", ddbCalls/n), fmt.Sprintf("%.3f WRU", wru/n), wru / n * prices["dynamodb_write_request_unit"]},
		{"DynamoDB reads", fmt.Sprintf("%.3f RRU", rru/n), rru / n * prices["dynamodb_read_request_unit"]},
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

// do sends one request, from source address ip when it is set.
func do(base, method, path, contentType, body string, headers map[string]string, ip string) (int, string) {
	tr := &http.Transport{DisableKeepAlives: ip != ""}
	if ip != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
		tr.DialContext = d.DialContext
	}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// settle waits until the queues are empty and no function has been invoked
// for three seconds: everything a post caused has happened.
func settle(ctx context.Context, p *runner.Platform, q *sqs.Client) {
	quiet := time.Now()
	last := ""
	for time.Since(quiet) < 3*time.Second {
		time.Sleep(250 * time.Millisecond)
		inv, _, _ := p.Stats().SnapshotBusy()
		snap := fmt.Sprint(inv)
		busy := false
		for _, qu := range catalog.Load().Queues {
			out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(p.QueueURL(qu.Name)),
				AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
			if err == nil && (out.Attributes["ApproximateNumberOfMessages"] != "0" || out.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0") {
				busy = true
			}
		}
		if snap != last || busy {
			last, quiet = snap, time.Now()
		}
	}
}

// ---------------------------------------------------------------------------
// Counting middleware (a cut-down copy of bench/pipeline's)

type opKey struct{ Function, Service, Operation string }

type opStats struct {
	Calls, SQSBilled int64
	WCU, RCU         float64
}

type meter struct {
	mu  sync.Mutex
	ops map[opKey]*opStats
}

func (m *meter) reset() {
	m.mu.Lock()
	m.ops = map[opKey]*opStats{}
	m.mu.Unlock()
}

func (m *meter) snapshot() map[opKey]opStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[opKey]opStats{}
	for k, v := range m.ops {
		out[k] = *v
	}
	return out
}

func (m *meter) register(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("BenchImportsMeter", m.call), middleware.After)
}

func (m *meter) call(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleInitialize(ctx, in)
	fn := "poller" // the local event source mapping's own SQS calls
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		fn = strings.TrimPrefix(lc.InvokedFunctionArn[strings.LastIndex(lc.InvokedFunctionArn, ":")+1:], "leadflow-")
	}
	if fn == "admin" {
		return out, md, err // the bench's own progress checks
	}
	k := opKey{fn, awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.ops[k]
	if s == nil {
		s = &opStats{}
		m.ops[k] = s
	}
	s.Calls++
	price(s, in.Parameters, out.Result, err)
	return out, md, err
}

func price(s *opStats, input, output any, err error) {
	switch in := input.(type) {
	case *sqs.SendMessageInput:
		s.SQSBilled += chunks(int64(len(aws.ToString(in.MessageBody))), sqsChunk)
		return
	case *sqs.SendMessageBatchInput:
		var n int64
		for _, e := range in.Entries {
			n += int64(len(aws.ToString(e.MessageBody)))
		}
		s.SQSBilled += chunks(n, sqsChunk)
		return
	case *sqs.ReceiveMessageInput:
		var n int64
		if o, ok := output.(*sqs.ReceiveMessageOutput); ok && o != nil {
			for _, msg := range o.Messages {
				n += int64(len(aws.ToString(msg.Body)))
			}
		}
		s.SQSBilled += chunks(n, sqsChunk)
		return
	}
	if strings.HasPrefix(fmt.Sprintf("%T", input), "*sqs.") {
		s.SQSBilled++
		return
	}
	if err != nil {
		// A failed conditional write is billed; DynamoDB reports nothing.
		var ccf *ddbtypes.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			s.WCU++
		}
		return
	}
	var ccs []ddbtypes.ConsumedCapacity
	add := func(c *ddbtypes.ConsumedCapacity) {
		if c != nil {
			ccs = append(ccs, *c)
		}
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
	case *dynamodb.BatchGetItemOutput:
		ccs = append(ccs, o.ConsumedCapacity...)
	case *dynamodb.BatchWriteItemOutput:
		ccs = append(ccs, o.ConsumedCapacity...)
	case *dynamodb.TransactWriteItemsOutput:
		ccs = append(ccs, o.ConsumedCapacity...)
	}
	write := false
	switch input.(type) {
	case *dynamodb.PutItemInput, *dynamodb.UpdateItemInput, *dynamodb.DeleteItemInput,
		*dynamodb.BatchWriteItemInput, *dynamodb.TransactWriteItemsInput:
		write = true
	}
	for _, c := range ccs {
		if write {
			s.WCU += aws.ToFloat64(c.CapacityUnits)
		} else {
			s.RCU += aws.ToFloat64(c.CapacityUnits)
		}
	}
}

func chunks(n, size int64) int64 { return max(1, (n+size-1)/size) }

// loadPrices reads bench/prices.json as dollars per unit.
func loadPrices(path string) (map[string]float64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Prices map[string]struct {
			USD float64 `json:"usd"`
			Per float64 `json:"per"`
		} `json:"prices"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]float64{}
	for k, v := range doc.Prices {
		out[k] = v.USD / v.Per
	}
	return out, nil
}
