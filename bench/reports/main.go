// Command reports measures the dashboard's time to data: GET
// /v1/reports/overview and /v1/reports/funnel through the real admin
// handler on the local platform (DynamoDB Local), with the report counters
// of every day of the range filled on every shard, as a busy site would
// leave them. See BENCHMARKS.md, "Report counters".
//
//	go run ./bench/reports -days 90 -n 30
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
	"time"

	"github.com/leadflow/leadflow/bench/benchstack"
	"github.com/leadflow/leadflow/shared/report"
	"github.com/leadflow/leadflow/shared/scoring"
)

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "reports bench:", err)
		os.Exit(1)
	}
}

func main() {
	days := flag.Int("days", 90, "days of counters, and the range asked for")
	n := flag.Int("n", 30, "requests per route and range")
	flag.Parse()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stack, err := benchstack.Start(ctx, "br")
	check(err)
	defer stack.Close()
	api := stack.API

	// Every day, every shard, every counter: the most a range can hold.
	st := stack.Store
	today := time.Now().UTC().Truncate(24 * time.Hour)
	counts := report.Counts{}
	for _, s := range report.Series {
		counts[s.Counter] = 1234
	}
	for _, s := range report.Funnel() {
		counts[report.ReachedCounter(s)] = 321
		if s != scoring.Subscriber {
			for _, k := range []int{0, 3, 8, 10, 13, 17} {
				counts[report.VelocityCounter(s, k)] = 12
			}
		}
	}
	fmt.Printf("seeding %d days x %d shards of counters (%d attributes each)...\n", *days, report.Shards, len(counts))
	for d := range *days {
		day := report.DayOf(today.AddDate(0, 0, -d))
		for sh := range report.Shards {
			check(st.AddReportCounts(ctx, day, sh, counts))
		}
	}

	fmt.Printf("\n%-34s %8s %8s %8s %8s\n", "request", "min ms", "median", "p95", "max")
	// Spans longer than the seeded days would find fewer counters than
	// verify expects: ask only for what was seeded.
	var spans []int
	for _, span := range []int{7, 30, *days} {
		if span <= *days && !slices.Contains(spans, span) {
			spans = append(spans, span)
		}
	}
	for _, span := range spans {
		from := report.DayOf(today.AddDate(0, 0, -(span - 1)))
		to := report.DayOf(today)
		for _, route := range []string{"overview", "funnel"} {
			url := fmt.Sprintf("%s/v1/reports/%s?from=%s&to=%s", api.URL, route, from, to)
			var times []float64
			for i := range *n + 1 {
				start := time.Now()
				body := get(url)
				el := float64(time.Since(start).Microseconds()) / 1000
				if i == 0 {
					verify(route, body, span)
					continue // the first call warms the handler's caches
				}
				times = append(times, el)
			}
			slices.Sort(times)
			fmt.Printf("%-34s %8.1f %8.1f %8.1f %8.1f\n", fmt.Sprintf("%s, %d days", route, span),
				times[0], times[len(times)/2], times[len(times)*95/100], times[len(times)-1])
		}
	}
}

func get(url string) []byte {
	req, err := http.NewRequest("GET", url, nil)
	check(err)
	req.Header.Set("Authorization", "Bearer bench")
	resp, err := http.DefaultClient.Do(req)
	check(err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	check(err)
	if resp.StatusCode != 200 {
		check(fmt.Errorf("%s: %d %s", url, resp.StatusCode, body))
	}
	return body
}

// verify checks the answer holds every seeded count, so a fast wrong
// answer cannot pass for a fast one.
func verify(route string, body []byte, span int) {
	if route == "overview" {
		var o report.Overview
		check(json.Unmarshal(body, &o))
		if want := int64(1234 * report.Shards * span); o.Totals["events"] != want {
			check(fmt.Errorf("overview of %d days: %d events, want %d", span, o.Totals["events"], want))
		}
		return
	}
	var f report.FunnelReport
	check(json.Unmarshal(body, &f))
	if want := int64(321 * report.Shards * span); f.Stages[0].Reached != want || f.Stages[0].SamplesToNext != int64(6*12*report.Shards*span) {
		check(fmt.Errorf("funnel of %d days: %+v, want %d reached", span, f.Stages[0], want))
	}
}
