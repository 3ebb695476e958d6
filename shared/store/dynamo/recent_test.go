package dynamo

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

// TestProfileWithRecentEventsRoundTrip: a profile item that keeps events
// (formatJointV1) gives back the profile, the events and their score
// changes exactly, and tools reading the item see the profile JSON alone.
func TestProfileWithRecentEventsRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 30, 0, 123_456_789, time.UTC)
	msgs := session(t, "6f1c2b9e-0d4e-4b7a-9c3e-2f8a7d6b5c41", at)
	p := bigProfile(at)
	p.Recent = msgs
	p.RecentScores = []scoring.Change{{MessageID: msgs[0].MessageID, RuleID: "pricing-page", Kind: "engagement", Points: 10, At: at}}
	// The window holds the kept events' hashes among others: those are
	// stored as references to the events.
	for _, m := range msgs {
		p.Applied = append(p.Applied, contact.Hash(m.MessageID), contact.Hash(m.MessageID+"-group"))
	}
	want := roundTrip(t, p)
	want.Version, want.Applied = p.Version+1, p.Applied
	want.Recent, want.RecentScores = roundTrip(t, msgs), roundTrip(t, p.RecentScores)
	db := &putRecorder{}
	if err := New(db, "t").SaveProfile(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	it := db.items[0]
	if z := bin(it, "dz"); len(z) == 0 || z[0] != formatJointV1 {
		t.Fatalf("stored as dz=%x; want the joint format", z)
	}
	if w, wr := bin(it, "w"), bin(it, "wr"); len(wr) != len(p.Applied) || len(w) != 8*(len(p.Applied)-len(msgs)) {
		t.Fatalf("window stored as %d B of hashes and %d B of references; want the %d kept events' hashes as references", len(w), len(wr), len(msgs))
	}
	got, err := decodeProfile(it)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("profile changed in the store:\n%s", diffJSON(t, got, want))
	}
	raw, err := ProfileJSON(it)
	if err != nil {
		t.Fatal(err)
	}
	var only map[string]any
	if err := json.Unmarshal(raw, &only); err != nil || only["id"] != p.ID {
		t.Fatalf("ProfileJSON = %.80s… (%v), want the profile's JSON alone", raw, err)
	}
	events, err := ProfileEvents(it)
	if err != nil || !reflect.DeepEqual(events, want.Recent) {
		t.Fatalf("ProfileEvents: %d events (%v), want %d", len(events), err, len(want.Recent))
	}
	// With nothing kept, the item is the plain dictionary format.
	p.Recent, p.RecentScores = nil, nil
	if err := New(db, "t").SaveProfile(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if z := bin(db.items[1], "dz"); z[0] != formatDictV1 {
		t.Fatalf("no kept events: format %#x, want formatDictV1", z[0])
	}
	if events, err := ProfileEvents(db.items[1]); err != nil || len(events) != 0 {
		t.Fatalf("no kept events: ProfileEvents = %d (%v)", len(events), err)
	}
}

// BenchmarkCommitEvents is the CPU of CommitEvents's choice: five new
// events on a new contact (first visit), five beside five kept, five
// beside seven kept (puts says how many items it wrote).
func BenchmarkCommitEvents(b *testing.B) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	first := session(b, "6f1c2b9e-0d4e-4b7a-9c3e-2f8a7d6b5c41", at)
	second := session(b, "6f1c2b9e-0d4e-4b7a-9c3e-2f8a7d6b5c41", at.Add(time.Hour))
	third := session(b, "6f1c2b9e-0d4e-4b7a-9c3e-2f8a7d6b5c41", at.Add(2*time.Hour))
	for i := range second {
		second[i].MessageID += "-2"
		third[i].MessageID += "-3"
	}
	for _, tc := range []struct {
		name       string
		kept, msgs []tracking.Message
	}{{"first visit", nil, first}, {"second visit", first, second}, {"third visit", slices.Concat(first, second)[:7], third}} {
		b.Run(tc.name, func(b *testing.B) {
			db := &putRecorder{}
			st := New(db, "t")
			var puts int
			cpu0 := cpuTime(b)
			for b.Loop() {
				p := &contact.Profile{ID: "c_1", AnonymousIDs: []string{"6f1c2b9e"}, FirstSeen: at, LastSeen: at, EventCount: 5, Recent: tc.kept, Version: 1}
				db.items = db.items[:0]
				if err := st.CommitEvents(context.Background(), p, contact.Commit{ID: 7}, tc.msgs, nil); err != nil {
					b.Fatal(err)
				}
				puts = len(db.items)
			}
			b.ReportMetric(float64(puts), "puts")
			b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time: on a shared machine
// wall time mostly measures the wait for a core.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
