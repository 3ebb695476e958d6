package bench_test

// Merge cost (issue 3): an anonymous visitor with many events identifies with
// the email of a contact that already exists, and the processor merges the
// visitor into it. shared/contact/merge.go leaves timeline items where they
// are, so the merge should cost the same store calls whatever the number of
// events. BenchmarkMerge measures only the identify batch that merges:
//
//	go test -run 'TestMerge' -bench 'BenchmarkMerge' -benchtime 20x ./bench/

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/tracking"
)

var mergeT0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

const mergeEmail = "ada@acme-widgets.test"

// mergeSetup stores a known contact (device "laptop", identified with
// mergeEmail, one page view) and an anonymous visitor ("phone") with events
// page views posted in batches of 20. It returns the processor, the store and
// the identify batch that merges the visitor into the known contact.
func mergeSetup(tb testing.TB, events int) (*contact.Processor, *contacttest.MemStore, []contact.Input) {
	tb.Helper()
	st := contacttest.New()
	clock := mergeT0.Add(24 * time.Hour)
	proc := contact.NewProcessor(st, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return clock })
	ctx := context.Background()
	process := func(id string, msgs []tracking.Message) {
		out, err := proc.Process(ctx, []contact.Input{{ID: id, Batch: tracking.Batch{SiteKey: "wk_bench", ReceivedAt: clock, Messages: msgs}}})
		if err != nil || len(out.Failed) > 0 {
			tb.Fatalf("batch %s: %v %+v", id, err, out)
		}
	}
	page := func(id, anon string, at time.Time) tracking.Message {
		return tracking.Message{Type: tracking.TypePage, MessageID: id, AnonymousID: anon, Timestamp: at,
			Context: tracking.Context{Page: &tracking.Page{URL: "https://www.acme-widgets.test/pricing", Path: "/pricing", Title: "Pricing"}}}
	}
	identify := func(id, anon string, at time.Time) tracking.Message {
		return tracking.Message{Type: tracking.TypeIdentify, MessageID: id, AnonymousID: anon, Timestamp: at,
			Traits: map[string]any{"email": mergeEmail, "first_name": "Ada"}}
	}

	process("known", []tracking.Message{page("laptop-1", "laptop", mergeT0), identify("laptop-id", "laptop", mergeT0.Add(time.Second))})
	var batch []tracking.Message
	for i := 0; i < events; i++ {
		batch = append(batch, page(fmt.Sprintf("phone-%d", i), "phone", mergeT0.Add(time.Minute+time.Duration(i)*time.Second)))
		if len(batch) == 20 || i == events-1 {
			process(fmt.Sprintf("phone-b%d", i), batch)
			batch = nil
		}
	}
	merge := []contact.Input{{ID: "merge", Batch: tracking.Batch{SiteKey: "wk_bench", ReceivedAt: clock,
		Messages: []tracking.Message{identify("phone-id", "phone", mergeT0.Add(time.Minute+time.Duration(events)*time.Second))}}}}
	return proc, st, merge
}

var mergeWrites = []string{"SaveProfile", "LinkIdentity", "RelinkIdentity", "PutEvents"}
var mergeReads = []string{"LookupIdentities", "GetProfiles", "RecentEvents", "Timeline"}

func sumCalls(st *contacttest.MemStore, names []string) int {
	n := 0
	for _, name := range names {
		n += st.Calls[name]
	}
	return n
}

// TestMergeCounts checks the merge the benchmark times: one contact holds
// every event of both devices, once.
func TestMergeCounts(t *testing.T) {
	for _, events := range []int{10, 1000} {
		t.Run(fmt.Sprint(events), func(t *testing.T) {
			proc, st, merge := mergeSetup(t, events)
			phone := st.Owner(contact.Identity{Kind: contact.AnonymousID, Value: "phone"})
			known := st.Owner(contact.Identity{Kind: contact.Email, Value: mergeEmail})
			if phone == "" || known == "" || phone == known {
				t.Fatalf("before the merge: phone %q, known %q: want two contacts", phone, known)
			}
			st.ResetCalls()
			out, err := proc.Process(context.Background(), merge)
			if err != nil || len(out.Failed) > 0 {
				t.Fatalf("merge: %v %+v", err, out)
			}
			t.Logf("store calls of the merge: %v", st.Calls)
			if got := st.Owner(contact.Identity{Kind: contact.AnonymousID, Value: "phone"}); got != known {
				t.Fatalf("phone owned by %q after the merge, want %q", got, known)
			}
			p := st.Profile(known)
			// laptop: page + identify; phone: events pages + identify.
			if p.PageViews != events+1 || p.EventCount != events+3 || len(p.MergedIDs) != 1 || p.MergedIDs[0] != phone || p.Email != mergeEmail {
				t.Errorf("merged profile: page views %d (want %d), events %d (want %d), merged %v (want [%s]), email %q",
					p.PageViews, events+1, p.EventCount, events+3, p.MergedIDs, phone, p.Email)
			}
			if tomb := st.Profile(phone); tomb == nil || tomb.MergedInto != known {
				t.Errorf("visitor's contact not tombstoned into %s: %+v", known, tomb)
			}
			// The survivor's timeline reads its own partition and the merged one's.
			tl, err := st.Timeline(context.Background(), append([]string{known}, p.MergedIDs...), time.Now().Add(time.Hour), events+10)
			if err != nil || len(tl) != events+3 {
				t.Errorf("timeline of the merged contact: %d events (want %d), %v", len(tl), events+3, err)
			}
		})
	}
}

// BenchmarkMerge times the identify batch that merges a visitor with 10,
// 1,000 and 10,000 anonymous events, and counts its store calls.
func BenchmarkMerge(b *testing.B) {
	for _, events := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("events=%d", events), func(b *testing.B) {
			var writes, reads int
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				proc, st, merge := mergeSetup(b, events)
				st.ResetCalls()
				b.StartTimer()
				out, err := proc.Process(context.Background(), merge)
				b.StopTimer()
				if err != nil || len(out.Failed) > 0 {
					b.Fatalf("merge: %v %+v", err, out)
				}
				writes += sumCalls(st, mergeWrites)
				reads += sumCalls(st, mergeReads)
				b.StartTimer()
			}
			b.ReportMetric(float64(writes)/float64(b.N), "writes/merge")
			b.ReportMetric(float64(reads)/float64(b.N), "reads/merge")
		})
	}
}
