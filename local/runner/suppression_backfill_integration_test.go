package runner_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/suppression"
)

// waitBackfill polls the backfill's progress until it is done.
func (e *env) waitBackfill() map[string]any {
	e.t.Helper()
	var last map[string]any
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		code, run := e.admin("/v1/suppressions/backfill")
		if code != 200 {
			e.t.Fatalf("GET backfill: %d %v", code, run)
		}
		if last = run; run["state"] == "done" {
			return run
		}
	}
	e.t.Fatalf("backfill never done: %v", last)
	return nil
}

// TestSuppressionBackfillMarksProfiles: addresses on the suppression list
// whose profiles do not say so (suppressed before profiles kept it) are
// marked by the backfill started from the admin API, a segment of
// suppressed contacts follows, the contact not listed is left alone; a
// second run finds nothing to do and records nothing twice.
func TestSuppressionBackfillMarksProfiles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ids := map[string]string{}
	for _, who := range []string{"ada", "bob", "cyd"} {
		e.track(fmt.Sprintf(`{"batch":[{"type":"identify","messageId":"id-%s","anonymousId":"anon-%s","timestamp":"2026-12-01T09:00:00Z","traits":{"email":"%s@backfill.test"}}]}`, who, who, who))
		ids[who] = e.waitContact("anon-"+who, 1)["id"].(string)
	}
	// The list as it was before profiles kept suppressions: items only.
	st := e.linksStore()
	if err := st.Suppress(ctx, "ada@backfill.test", dynamo.SuppressedBounce); err != nil {
		t.Fatal(err)
	}
	if err := st.Suppress(ctx, "BOB@backfill.test", dynamo.SuppressedComplaint); err != nil {
		t.Fatal(err)
	}
	if s := e.putSegment("suppressed", `{"name":"Suppressed","filter":{"status":{"in":["suppressed"]}}}`); s["count"] != float64(0) {
		t.Fatalf("before the backfill the segment has %v members, want 0", s["count"])
	}
	if code, _ := e.admin("/v1/suppressions/backfill"); code != 404 {
		t.Errorf("progress before any run: %d, want 404", code)
	}
	if code, run := e.adminDo("POST", "/v1/suppressions/backfill", ""); code != 202 || run["state"] != "running" {
		t.Fatalf("start: %d %v", code, run)
	}
	run := e.waitBackfill()
	if run["contacts_visited"] != float64(3) || run["contacts_marked"] != float64(2) || run["shards_done"] != float64(dynamo.ContactShards) {
		t.Errorf("run %v: want 3 contacts visited, 2 marked, every shard done", run)
	}
	e.settle()
	for who, want := range map[string]string{"ada": "bounce", "bob": "complaint", "cyd": ""} {
		code, c := e.admin("/v1/contacts/" + ids[who])
		got, _ := c["suppressed"].(string)
		if code != 200 || got != want {
			t.Errorf("%s: %d suppressed %q, want %q", who, code, got, want)
		}
	}
	s := e.waitSegment("suppressed", func(s map[string]any) bool { return s["count"] == float64(2) })
	if members := e.segmentMembers("suppressed"); len(members) != 2 {
		t.Errorf("segment %v members %v, want ada and bob", s["count"], members)
	}

	// Again: nothing left to mark, nothing recorded twice.
	if code, run := e.adminDo("POST", "/v1/suppressions/backfill", ""); code != 202 {
		t.Fatalf("second start: %d %v", code, run)
	}
	if run := e.waitBackfill(); run["contacts_visited"] != float64(3) || run["contacts_marked"] != float64(0) {
		t.Errorf("second run %v: want 3 visited, 0 marked", run)
	}
	e.settle()
	evs, err := st.RecentEvents(ctx, ids["ada"], 50)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range evs {
		if m.Event == suppression.EventBackfilled {
			n++
		}
	}
	if n != 1 {
		t.Errorf("ada's timeline has %d %q events, want 1", n, suppression.EventBackfilled)
	}
}
