// Command console measures each console page's time to data on the local
// platform with many contacts: it seeds -contacts profiles through the
// store (the same writes the processor makes, index keys included) and, for
// one of them, sends and score-bearing events, then times the API calls
// each page makes on first load, run together as the page runs them, with
// the admin token. It prints the median and 95th percentile per page.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"flag"

	"github.com/leadflow/leadflow/bench/benchstack"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/mail"
)

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/console:", err)
		os.Exit(1)
	}
}

func main() {
	n := flag.Int("contacts", 10000, "contacts to seed")
	sends := flag.Int("sends", 30, "sends recorded for the measured contact")
	runs := flag.Int("runs", 30, "loads of each page")
	flag.Parse()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stack, err := benchstack.Start(ctx, "bc")
	check(err)
	defer stack.Close()
	api := stack.API

	st := stack.Store
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	base := time.Now().UTC().Add(-24 * time.Hour)
	for i := range *n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			at := base.Add(time.Duration(i) * time.Second)
			email := fmt.Sprintf("lead%05d@bench.example", i)
			check(st.SaveProfile(ctx, &contact.Profile{
				ID: fmt.Sprintf("c_bench_%05d", i), Email: email, Status: "subscribed", Stage: "lead",
				Traits: map[string]any{"email": email, "title": "Head of Growth"}, Tags: []string{fmt.Sprintf("t%d", i%20)},
				FirstSeen: at, LastSeen: at, CreatedAt: at, UpdatedAt: at,
			}))
		})
	}
	wg.Wait()
	subject := "c_bench_00042"
	for i := range *sends {
		at := base.Add(time.Duration(i) * time.Minute)
		rec := mail.SendState{Record: mail.Record{SendID: fmt.Sprintf("bench-send-%03d", i), ContactID: subject, TemplateID: "welcome",
			Kind: mail.Marketing, State: mail.Delivered, ClaimedAt: at, SentAt: at, UpdatedAt: at}}
		_, err := st.SaveSend(ctx, rec, 0)
		check(err)
	}
	fmt.Printf("seeded %d contacts and %d sends in %s\n", *n, *sends, time.Since(start).Round(time.Millisecond))

	get := func(path string) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", api.URL+path, nil)
		req.Header.Set("Authorization", "Bearer bench")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 {
			return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
		}
		return nil
	}
	// Each page's first-load calls, as the console makes them (in parallel).
	pages := []struct {
		name  string
		calls []string
	}{
		{"contacts (newest 50)", []string{"/v1/contacts?limit=50"}},
		{"contacts (search by email)", []string{"/v1/contacts?email=lead09999%40bench.example&limit=50"}},
		{"contacts (search by tag)", []string{"/v1/contacts?tag=t7&limit=50"}},
		{"contact page", []string{"/v1/contacts/" + subject + "?events=1", "/v1/contacts/" + subject + "/score", "/v1/contacts/" + subject + "/timeline?limit=25", "/v1/contacts/" + subject + "/messages?limit=10"}},
		{"templates", []string{"/v1/templates"}},
		{"audit log", []string{"/v1/audit?limit=50"}},
	}
	fmt.Printf("\n%-30s %10s %10s   (%d loads each, admin token, local platform)\n", "page", "median", "p95", *runs)
	for _, pg := range pages {
		var ds []time.Duration
		for range *runs {
			t0 := time.Now()
			var pw sync.WaitGroup
			errs := make(chan error, len(pg.calls))
			for _, c := range pg.calls {
				pw.Go(func() { errs <- get(c) })
			}
			pw.Wait()
			close(errs)
			for err := range errs {
				check(err)
			}
			ds = append(ds, time.Since(t0))
		}
		slices.Sort(ds)
		fmt.Printf("%-30s %10s %10s\n", pg.name, ds[len(ds)/2].Round(100*time.Microsecond), ds[len(ds)*95/100].Round(100*time.Microsecond))
	}
}
