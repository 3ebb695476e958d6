package runner_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/site"
)

// platformOn starts a platform on the given table and queues (a restart
// when another ran on them before) and returns it with its stop function.
func platformOn(t *testing.T, prefix string) (*env, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p, err := runner.New(ctx, runner.Options{
		Endpoints:         servers.Endpoints(),
		Table:             prefix + "leadflow",
		QueuePrefix:       prefix,
		AdminToken:        adminToken,
		Site:              site.Site{Key: siteKey, Name: "Test site"},
		VisibilityTimeout: time.Second,
		BatchWindow:       100 * time.Millisecond,
		NoSchedules:       true,
		Log:               testLog(),
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	p.Start(ctx)
	api := httptest.NewServer(p)
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			api.Close()
			cancel()
			p.Wait()
		}
	}
	t.Cleanup(stop)
	return &env{t: t, platform: p, api: api, table: prefix + "leadflow"}, stop
}

// dedupBatch is a request of the page views late-<i> for each i, i seconds
// after base: what a client sends, and sends again on a retry.
func dedupBatch(base time.Time, ids ...int) string {
	var b strings.Builder
	b.WriteString(`{"batch":[`)
	for n, i := range ids {
		if n > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"page","messageId":"late-%d","anonymousId":"late-visitor","timestamp":%q,"context":{"page":{"url":"https://example.com/p/%d","path":"/p/%d"}}}`,
			i, base.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), i, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

func span(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// dedupCounts returns the visitor's page views and timeline length, once
// the events queue has drained.
func (e *env) dedupCounts() (views, timeline int) {
	e.t.Helper()
	e.settle()
	code, body := e.admin("/v1/contacts?anonymous_id=late-visitor")
	list, _ := body["contacts"].([]any)
	if code != 200 || len(list) != 1 {
		e.t.Fatalf("contacts of late-visitor: %d %v", code, body)
	}
	id := list[0].(map[string]any)["id"].(string)
	code, c := e.admin("/v1/contacts/" + id)
	if code != 200 {
		e.t.Fatalf("contact %s: %d %v", id, code, c)
	}
	ids := []string{id}
	merged, _ := c["merged_ids"].([]any)
	for _, m := range merged {
		ids = append(ids, m.(string))
	}
	evs, err := e.linksStore().Timeline(context.Background(), ids, time.Time{}, 5000)
	if err != nil {
		e.t.Fatal(err)
	}
	return int(c["page_views"].(float64)), len(evs)
}

// A client retry of an event after 1,000 later events, and retries after
// the processor restarted, count once (issue 8.5: the 48-hash window
// counted them twice).
func TestLateRetriesCountOnceAcrossARestart(t *testing.T) {
	prefix := fmt.Sprintf("t%d-dedup-", time.Now().UnixNano()%1e9)
	base := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	e, stop := platformOn(t, prefix)
	e.track(dedupBatch(base, 0))
	for i := 1; i <= 1000; i += 100 {
		e.track(dedupBatch(base, span(i, i+100)...))
	}
	if v, n := e.dedupCounts(); v != 1001 || n != 1001 {
		t.Fatalf("after 1,001 events: page views %d, timeline %d", v, n)
	}

	// The first event again, alone; then beside a new event.
	e.track(dedupBatch(base, 0))
	if v, n := e.dedupCounts(); v != 1001 || n != 1001 {
		t.Errorf("retry of the first event after 1,000 later ones: page views %d, timeline %d; want 1001", v, n)
	}
	e.track(dedupBatch(base, 0, 1001))
	if v, n := e.dedupCounts(); v != 1002 || n != 1002 {
		t.Errorf("retry beside a new event: page views %d, timeline %d; want 1002", v, n)
	}

	// Restart: a fresh platform (processor, caches, everything in memory)
	// over the same table and queues; the client resends what it sent.
	stop()
	e, _ = platformOn(t, prefix)
	e.track(dedupBatch(base, 0))
	e.track(dedupBatch(base, span(401, 501)...))
	e.track(dedupBatch(base, span(950, 1003)...)) // ends with one new event
	if v, n := e.dedupCounts(); v != 1003 || n != 1003 {
		t.Errorf("resent after a restart: page views %d, timeline %d; want 1003", v, n)
	}
}
