package runner_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/site"
)

// Issue 8.6: events answered 200 are still processed after the local
// servers die outright (SIGKILL, as when `make dev` is killed: the servers
// get the parent-death signal). The pollers are not started before the
// kill, so every accepted event is still queued when it happens.
func TestAcceptedEventsSurviveASIGKILL(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	const prefix = "crash-"
	opts := func(srv *runner.Servers) runner.Options {
		return runner.Options{
			Endpoints: srv.Endpoints(), Table: prefix + "leadflow", QueuePrefix: prefix, AdminToken: adminToken,
			Site:              site.Site{Key: siteKey, Name: "Crash site", AllowedOrigins: []string{"https://allowed.example"}},
			VisibilityTimeout: time.Second, BatchWindow: 100 * time.Millisecond, NoSchedules: true, Log: testLog(),
		}
	}
	srv, err := runner.StartServers(ctx, runner.ServerOptions{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	before, err := runner.New(ctx, opts(srv))
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	api := httptest.NewServer(before)
	e := &env{t: t, platform: before, api: api, table: prefix + "leadflow"}
	const n = 12
	for i := 0; i < n; i += 3 {
		body := fmt.Sprintf(`{"batch":[{"type":"page","messageId":"c-%d","anonymousId":"crashed"},{"type":"page","messageId":"c-%d","anonymousId":"crashed"},{"type":"page","messageId":"c-%d","anonymousId":"crashed"}]}`, i, i+1, i+2)
		if code, _, _ := e.do("POST", "/v1/batch", body, map[string]string{"X-Site-Key": siteKey}); code != 200 {
			t.Fatalf("batch %d: status %d", i, code)
		}
	}
	api.Close()
	for _, p := range []*localaws.Process{srv.DynamoDB, srv.SQS, srv.SES} {
		if err := syscall.Kill(-p.PID, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.Done()
	}
	srv.Stop() // reports the kills; the processes are gone either way

	srv2, err := runner.StartServers(ctx, runner.ServerOptions{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv2.Stop() })
	pctx, cancel := context.WithCancel(ctx)
	after, err := runner.New(pctx, opts(srv2))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	after.Start(pctx)
	api2 := httptest.NewServer(after)
	t.Cleanup(func() { api2.Close(); cancel(); after.Wait() })
	e = &env{t: t, platform: after, api: api2, table: prefix + "leadflow"}
	c := e.waitContact("crashed", n)
	if got := len(c["events"].([]any)); got != n {
		t.Errorf("after the crash the timeline has %d events, want %d", got, n)
	}
	e.settle()
	if _, c := e.admin("/v1/contacts/" + c["id"].(string)); c["event_count"] != float64(n) {
		t.Errorf("event_count %v after the crash, want %d", c["event_count"], n)
	}
}
