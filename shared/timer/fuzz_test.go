package timer

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

// FuzzTimer builds timers from any fields. A timer Validate accepts must
// fire: its track event goes through the events queue (EncodeBatches, the
// processor's DecodeBatch) intact, with the id-derived messageId that
// makes firing twice harmless. A timer that cannot fire must be refused
// when scheduled, or it would fail every tick and hold its bucket back.
//
//	go test ./shared/timer/ -run '^$' -fuzz FuzzTimer -fuzztime 20s
func FuzzTimer(f *testing.F) {
	f.Add("run-1/step-2", "c_1", "Journey Wait Elapsed", `{"journey":"onboarding","n":1.5,"tags":["a"]}`, int64(1795000000))
	f.Add("x", "c", "e", `null`, int64(-62135596800))
	f.Add("", "", "", `{}`, int64(0))
	f.Add("x", "c", "e", `{"a":"\u0000\ud800"}`, int64(253402300800))
	f.Add("x", "c", "e", `{}`, int64(-62135596801))
	fired := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, id, contactID, event, props string, due int64) {
		tm := Timer{ID: id, ContactID: contactID, Event: event, Due: time.Unix(due, 0).UTC()}
		_ = json.Unmarshal([]byte(props), &tm.Properties)
		if tm.Validate() != nil {
			return
		}
		m := tm.Message(fired)
		bodies, err := tracking.EncodeBatches(tracking.Batch{RequestID: "tick", SiteKey: "internal", ReceivedAt: fired, Messages: []tracking.Message{m}})
		if err != nil {
			t.Fatalf("a valid timer cannot fire: %v", err)
		}
		if len(bodies) != 1 {
			t.Fatalf("one timer in %d queue bodies", len(bodies))
		}
		b, err := tracking.DecodeBatch(bodies[0])
		if err != nil || len(b.Messages) != 1 {
			t.Fatalf("a fired timer does not decode: %v", err)
		}
		got := b.Messages[0]
		if got.MessageID != MessageIDPrefix+tm.ID || got.ContactID != tm.ContactID || got.Event != tm.Event || !got.Timestamp.Equal(tm.Due) {
			t.Fatalf("fired %+v, processed %+v", m, got)
		}
		if want, have := normalJSON(t, m.Properties), normalJSON(t, got.Properties); want != have && len(m.Properties)+len(got.Properties) > 0 {
			t.Fatalf("properties fired %s, processed %s", want, have)
		}
	})
}

// normalJSON is v as JSON after one trip through it (invalid UTF-8 in a
// property value becomes U+FFFD, as it does in the queue).
func normalJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back any
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	raw, _ = json.Marshal(back)
	return string(raw)
}
