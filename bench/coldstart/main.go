// Command coldstart measures each function's cold start against a
// hello-world Go Lambda built the same way, side by side in one run.
//
//	go run ./bench/coldstart [-runs 40] [-only ingest,processor] [-baseline DIR] [-extra ./pkg,...] [-inittrace 15]
//
// -baseline DIR also builds every function from DIR (another checkout, for
// example `git archive <commit> | tar -x -C DIR`) and runs those binaries in
// the same interleaved rounds, as "<name>@base": before and after measured
// under the same load.
//
// Every function is built as the stack builds it (linux, CGO off, -tags
// lambda.norpc, -trimpath, -ldflags '-s -w'; for this machine's arch), with
// the environment the catalog gives it. A stub Lambda Runtime API on
// loopback answers the first /next with an error, so the runtime exits
// right after init: the time from exec to exit is the process start, the
// Go runtime and package initialisation, and the function's own init
// (configuration, AWS clients). AWS calls go to the same stub (it answers
// 400 at once), so an init that calls AWS shows as one loopback round trip,
// less than it costs on Lambda. Runs are interleaved (hello, f1, f2, ...,
// hello, f1, ...) so the machine's load hits all alike; the median of each
// and its ratio to hello world are printed.
//
// -inittrace N then starts every binary -runs more times with
// GODEBUG=inittrace=1 and prints, per binary, the total package
// initialisation (clock, bytes, allocations; medians), the part of it in
// the AWS SDK and smithy, and the N packages with the most init clock:
// where a cold start's init goes, attributed by package.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/leadflow/leadflow/shared/catalog"
)

func main() {
	runs := flag.Int("runs", 40, "starts per function")
	only := flag.String("only", "", "comma-separated functions (default: all in the catalog)")
	baseline := flag.String("baseline", "", "also build every function from this source tree and run it alongside, as <name>@base")
	extra := flag.String("extra", "", "comma-separated extra main packages to run alongside (e.g. a hello world that links one SDK package)")
	inittrace := flag.Int("inittrace", 0, "also run each binary with GODEBUG=inittrace=1 and print its N costliest package inits")
	flag.Parse()
	if err := run(*runs, *only, *baseline, *extra, *inittrace); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

type binary struct {
	name, path string
	env        []string
	size       int64
	times      []time.Duration
	// cpu is each start's user + system CPU time: on a loaded machine wall
	// time mostly measures the wait for a core, CPU time does not.
	cpu []time.Duration
}

func run(runs int, only, baseline, extra string, inittrace int) error {
	dir, err := os.MkdirTemp("", "coldstart")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The stub: the Runtime API's /next fails (the runtime exits); anything
	// else, AWS API calls included, gets a 400 at once.
	var nexts atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/runtime/invocation/next") {
			nexts.Add(1)
			http.Error(w, `{"errorMessage":"coldstart bench: exit"}`, http.StatusInternalServerError)
			return
		}
		http.Error(w, `{"__type":"ValidationException","message":"coldstart bench"}`, http.StatusBadRequest)
	}))
	addr := ln.Addr().String()

	res := catalog.Resources{
		Table: "leadflow", QueueURLs: map[string]string{}, AdminTokenHash: strings.Repeat("a", 64),
		EventBusName: "leadflow", SESConfigSet: "leadflow", LogLevel: "INFO",
		WebhookURLs: "https://example.test/hook", WebhookSecret: strings.Repeat("w", 32),
		SigningSecrets: strings.Repeat("s", 32), PublicBaseURL: "https://example.test",
		RateLimitSecret: strings.Repeat("r", 32), Bucket: "leadflow-files",
		ScheduleGroup: "leadflow", SchedulerRoleARN: "arn:aws:iam::000000000000:role/scheduler",
		CampaignsQueueARN: "arn:aws:sqs:us-east-1:000000000000:campaigns", SchedulerDLQARN: "arn:aws:sqs:us-east-1:000000000000:scheduler-dlq",
	}
	cat := catalog.Load()
	for _, q := range cat.Queues {
		res.QueueURLs[q.Name] = "http://" + addr + "/000000000000/" + q.Name
	}
	common := []string{
		"AWS_LAMBDA_RUNTIME_API=" + addr, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDCOLDSTART",
		"AWS_SECRET_ACCESS_KEY=coldstart", "AWS_ENDPOINT_URL=http://" + addr, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_NAME=coldstart", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "HOME=" + dir, "PATH=" + os.Getenv("PATH"),
	}
	bins := []*binary{{name: "hello world", env: common}}
	if err := build(dir, "./bench/coldstart/hello", bins[0]); err != nil {
		return err
	}
	for _, pkg := range strings.Split(extra, ",") {
		if pkg == "" {
			continue
		}
		b := &binary{name: filepath.Base(pkg), env: common}
		if err := build(dir, pkg, b); err != nil {
			return err
		}
		bins = append(bins, b)
	}
	var want []string
	if only != "" {
		want = strings.Split(only, ",")
	}
	for _, f := range cat.Functions {
		if want != nil && !slices.Contains(want, f.Name) {
			continue
		}
		b := &binary{name: f.Name, env: slices.Clone(common)}
		for k, v := range f.Env(res) {
			b.env = append(b.env, k+"="+v)
		}
		if err := build(dir, "./functions/"+f.Name, b); err != nil {
			return err
		}
		bins = append(bins, b)
		if baseline != "" {
			old := &binary{name: f.Name + "@base", env: b.env}
			if err := buildIn(baseline, dir, "./functions/"+f.Name, old); err != nil {
				return err
			}
			bins = append(bins, old)
		}
	}

	fmt.Printf("%d starts each, interleaved, %s/%s, %d cores, load average %s\n", runs, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), loadavg())
	for i := 0; i < runs; i++ {
		for _, b := range bins {
			before := nexts.Load()
			cmd := exec.Command(b.path)
			cmd.Env = b.env
			start := time.Now()
			out, _ := cmd.CombinedOutput() // exits non-zero by design
			took := time.Since(start)
			if nexts.Load() == before {
				return fmt.Errorf("%s exited before asking for an event: %s", b.name, out)
			}
			b.times = append(b.times, took)
			b.cpu = append(b.cpu, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
		}
	}
	base, baseCPU := median(bins[0].times), median(bins[0].cpu)
	fmt.Printf("%-16s %10s %10s %10s %8s %10s %8s %10s\n", "function", "median", "p10", "p90", "× hello", "CPU", "× hello", "binary")
	for _, b := range bins {
		m, c := median(b.times), median(b.cpu)
		fmt.Printf("%-16s %10s %10s %10s %7.2f× %10s %7.2f× %8.1f MB\n", b.name, round(m), round(pct(b.times, 10)), round(pct(b.times, 90)),
			float64(m)/float64(base), round(c), float64(c)/float64(baseCPU), float64(b.size)/1e6)
	}
	fmt.Printf("load average after: %s\n", loadavg())
	if inittrace > 0 {
		return traceInits(bins, runs, inittrace, &nexts)
	}
	return nil
}

func build(dir, pkg string, b *binary) error { return buildIn("", dir, pkg, b) }

// buildIn builds pkg of the source tree src ("": this one) into dir.
func buildIn(src, dir, pkg string, b *binary) error {
	b.path = filepath.Join(dir, strings.ReplaceAll(strings.ReplaceAll(b.name, " ", "-"), "@", "-"))
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", b.path, pkg)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", pkg, err, out)
	}
	st, err := os.Stat(b.path)
	if err != nil {
		return err
	}
	b.size = st.Size()
	return nil
}

func median(ts []time.Duration) time.Duration { return pct(ts, 50) }

func pct(ts []time.Duration, p int) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func round(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
