package suppression

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/job"
)

// memCheckpoints moves each shard's cursor once, as the DynamoDB adapter's
// conditional update does.
type memCheckpoints struct {
	cursor           map[int]string
	visited, changed int
}

func (m *memCheckpoints) StartRun(context.Context, string, string, int, time.Time) error { return nil }
func (m *memCheckpoints) GetRun(context.Context, string, string) (job.Run, bool, error) {
	return job.Run{Visited: m.visited, Changed: m.changed}, true, nil
}
func (m *memCheckpoints) Checkpoint(_ context.Context, _, _ string, shard int, cursor, next string, visited, changed int, _ time.Time) (bool, error) {
	if m.cursor[shard] != cursor {
		return false, nil
	}
	m.cursor[shard] = next
	if next == "" {
		m.cursor[shard] = "~done"
	}
	m.visited += visited
	m.changed += changed
	return true, nil
}

type memData struct {
	ids      []string
	profiles map[string]*contact.Profile
	listed   map[string]Entry
	applied  []string
}

func (d *memData) ContactsPage(_ context.Context, _ int, cursor string, limit int) ([]string, string, error) {
	start := 0
	if cursor != "" {
		start = int(cursor[0] - '0')
	}
	end := min(start+limit, len(d.ids))
	next := ""
	if end < len(d.ids) {
		next = string(rune('0' + end))
	}
	return d.ids[start:end], next, nil
}
func (d *memData) GetProfiles(_ context.Context, ids []string) (map[string]*contact.Profile, error) {
	out := map[string]*contact.Profile{}
	for _, id := range ids {
		if p, ok := d.profiles[id]; ok {
			c := *p
			out[id] = &c
		}
	}
	return out, nil
}
func (d *memData) SuppressedAmong(_ context.Context, emails []string) (map[string]Entry, error) {
	out := map[string]Entry{}
	for _, e := range emails {
		if en, ok := d.listed[e]; ok {
			out[e] = en
		}
	}
	return out, nil
}

// Process marks as the processor does: the event's reason on the profile.
func (d *memData) Process(_ context.Context, in []contact.Input) (contact.Outcome, error) {
	var out contact.Outcome
	for _, m := range in[0].Batch.Messages {
		d.applied = append(d.applied, m.MessageID)
		d.profiles[m.ContactID].Suppressed = m.Properties[contact.PropSuppressed].(string)
		out.Applied++
	}
	return out, nil
}

type memJobs struct{ sent []string }

func (q *memJobs) Enqueue(_ context.Context, body string) error {
	q.sent = append(q.sent, body)
	return nil
}

// A page marks only listed, unmarked, unmerged contacts; a redelivered
// page is not counted twice and queues no second continuation.
func TestBackfillPages(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d := &memData{
		ids: []string{"c1", "c2", "c3", "c4", "c5"},
		profiles: map[string]*contact.Profile{
			"c1": {ID: "c1", Email: "a@x.test"},
			"c2": {ID: "c2", Email: "b@x.test", Suppressed: "complaint"}, // marked already
			"c3": {ID: "c3", Email: "c@x.test"},                          // not listed
			"c4": {ID: "c4", Email: "a@x.test", MergedInto: "c1"},        // merged away
			"c5": {ID: "c5", Email: "e@x.test"},
		},
		listed: map[string]Entry{"a@x.test": {Reason: "bounce", At: at}, "b@x.test": {Reason: "bounce"}, "e@x.test": {Reason: "soft_bounces"}},
	}
	cp := &memCheckpoints{cursor: map[int]string{}}
	jobs := &memJobs{}
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	b := &Backfill{Pages: d, Profiles: d, List: d, Apply: d, Checkpoints: cp, Jobs: jobs, PageSize: 3,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}
	first := job.Job{Kind: job.SuppressionBackfill, ID: RunID, Shard: 0}
	if err := b.RunPage(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := b.RunPage(ctx, first); err != nil { // redelivered
		t.Fatal(err)
	}
	if len(jobs.sent) != 1 {
		t.Fatalf("continuations %v, want one", jobs.sent)
	}
	next, err := job.Decode(jobs.sent[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := b.RunPage(ctx, next); err != nil {
		t.Fatal(err)
	}
	if cp.visited != 5 || cp.changed != 2 || cp.cursor[0] != "~done" || len(jobs.sent) != 1 {
		t.Errorf("visited %d changed %d cursor %q, %d jobs: want 5, 2, done, 1", cp.visited, cp.changed, cp.cursor[0], len(jobs.sent))
	}
	if d.profiles["c1"].Suppressed != "bounce" || d.profiles["c5"].Suppressed != "soft_bounces" || d.profiles["c3"].Suppressed != "" || d.profiles["c2"].Suppressed != "complaint" {
		t.Errorf("profiles %+v %+v %+v %+v", d.profiles["c1"], d.profiles["c2"], d.profiles["c3"], d.profiles["c5"])
	}
	if len(d.applied) != 2 || d.applied[0] != "supbf-c1" {
		t.Errorf("applied %v: the redelivered page must find c1 marked", d.applied)
	}
	m := Message("c1", Entry{Reason: "bounce", At: at}, now)
	if !m.Timestamp.Equal(at) || !m.ReceivedAt.Equal(now) || m.Properties[contact.PropSuppressed] != "bounce" {
		t.Errorf("message %+v: dated when suppressed, received now, with the reason", m)
	}
}
