package dynamo_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
)

// TestJobRunCheckpointsCountEachPageOnceDynamoDB: a page moves its shard's
// cursor on and is counted; the same page again (SQS redelivery) is not;
// the run is done when every shard's last page is in.
func TestJobRunCheckpointsCountEachPageOnceDynamoDB(t *testing.T) {
	_, st := localTable(t, "jobs")
	ctx := t.Context()
	at := time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)
	if err := st.StartRun(ctx, "rescore", "m1", 2, at); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		shard        int
		cursor, next string
		visited      int
		counted      bool
	}{
		{0, "", "k1", 100, true},
		{0, "", "k1", 100, false}, // redelivered first page
		{0, "k1", "", 40, true},   // last page of shard 0
		{0, "k1", "", 40, false},  // redelivered last page
		{1, "", "", 7, true},      // shard 1 in one page
	}
	for i, s := range steps {
		counted, err := st.Checkpoint(ctx, "rescore", "m1", s.shard, s.cursor, s.next, s.visited, s.visited/2, at.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if counted != s.counted {
			t.Errorf("step %d: counted %v, want %v", i, counted, s.counted)
		}
		if i == 2 {
			r, _, _ := st.GetRun(ctx, "rescore", "m1")
			if r.Done() || r.ShardsDone != 1 {
				t.Errorf("after shard 0: %+v, want 1 of 2 shards done", r)
			}
		}
	}
	r, ok, err := st.GetRun(ctx, "rescore", "m1")
	if err != nil || !ok {
		t.Fatalf("GetRun: %v %v", ok, err)
	}
	if r.Visited != 147 || r.Changed != 50+20+3 || r.ShardsDone != 2 || !r.Done() || !r.StartedAt.Equal(at) || !r.UpdatedAt.Equal(at.Add(4*time.Second)) {
		t.Errorf("run %+v, want 147 visited, 73 changed, 2 of 2 shards done", r)
	}
	// A checkpoint of a run never started is refused, not created.
	if counted, err := st.Checkpoint(ctx, "rescore", "never", 0, "", "k", 1, 1, at); err != nil || counted {
		t.Errorf("checkpoint of an unknown run: counted %v, err %v; want not counted", counted, err)
	}
	if _, ok, _ := st.GetRun(ctx, "rescore", "never"); ok {
		t.Errorf("a checkpoint created a run that was never started")
	}
	// Restarting the same model starts from zero.
	if err := st.StartRun(ctx, "rescore", "m1", 2, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := st.GetRun(ctx, "rescore", "m1"); r.Visited != 0 || r.ShardsDone != 0 {
		t.Errorf("restarted run %+v, want zero counts", r)
	}
	if counted, _ := st.Checkpoint(ctx, "rescore", "m1", 0, "", "k1", 5, 0, at); !counted {
		t.Errorf("first page after a restart was not counted")
	}
}

// Identified contacts are counted across the shards; anonymous ones are
// not in the index and a model change does not re-score them.
func TestCountContactsDynamoDB(t *testing.T) {
	_, st := localTable(t, "count")
	n, capped, err := st.CountContacts(t.Context())
	if err != nil || n != 0 || capped {
		t.Fatalf("empty table: %d %v %v", n, capped, err)
	}
	for i := range 25 {
		p := &contact.Profile{ID: fmt.Sprintf("c_%d", i)}
		if i < 20 {
			p.Email = fmt.Sprintf("p%d@acme.test", i)
		}
		if err := st.SaveProfile(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	if n, capped, err := st.CountContacts(t.Context()); err != nil || n != 20 || capped {
		t.Errorf("count %d capped %v err %v, want the 20 identified contacts", n, capped, err)
	}
}
