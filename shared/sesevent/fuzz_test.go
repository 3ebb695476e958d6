package sesevent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/tracking"
)

// FuzzParse feeds SES event records (the EventBridge detail) to the parser
// and the plan it leads to. An accepted event has a message id, a known
// type and a time; the plan only ever suppresses the event's own
// recipients and counts a bounce or complaint under a key; the timeline
// events it records belong to the tagged contact, never store one of
// Leadflow's own tokened links, and survive the events queue.
//
//	go test ./shared/sesevent/ -run '^$' -fuzz FuzzParse -fuzztime 20s
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../../events/ses/*.json")
	if len(files) == 0 {
		f.Fatal("no events/ses fixtures")
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var env struct{ Detail json.RawMessage }
		if err := json.Unmarshal(raw, &env); err != nil {
			f.Fatalf("%s: %v", name, err)
		}
		f.Add([]byte(env.Detail))
	}
	for _, s := range []string{
		`{"eventType":"Send","mail":{"messageId":"m1","timestamp":"2026-11-24T10:00:00Z","tags":{"send_id":["s1"],"contact_id":["c_1"]}}}`,
		`{"eventType":"Click","mail":{"messageId":"m1","tags":{"contact_id":["c_1"]}},"click":{"link":"https://api.example.com/v1/unsubscribe/tok","userAgent":""}}`,
		`{"eventType":"Bounce","mail":{"messageId":"m1","destination":["a@x.example"]},"bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":""},{"emailAddress":"b@x.example"}]}}`,
		`{"eventType":"Complaint","mail":{"messageId":"m1","tags":{"contact_id":[]}},"complaint":{"complaintFeedbackType":"not-spam"}}`,
		`{"eventType":"Subscription","mail":{"messageId":"m1"}}`, `{"eventType":"Open","mail":{}}`, `null`, `{"mail":{"timestamp":"0001-01-01T00:00:00Z"}}`,
	} {
		f.Add([]byte(s))
	}
	published := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	types := []string{TypeSend, TypeDelivery, TypeBounce, TypeComplaint, TypeReject, TypeDeliveryDelay, TypeOpen, TypeClick, TypeRenderingFailure}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := Parse(raw, published)
		if err != nil {
			return
		}
		if e.MessageID == "" || !slices.Contains(types, e.Type) || e.At.IsZero() {
			t.Fatalf("accepted %+v", e)
		}
		p := Decide(e)
		for _, a := range append(slices.Clone(p.Suppress), p.SoftBounce...) {
			if !slices.Contains(e.Recipients, a) || a == "" {
				t.Fatalf("plan suppresses %q, not a recipient of %v", a, e.Recipients)
			}
		}
		if len(p.Suppress) > 0 && p.SuppressReason == "" {
			t.Fatal("suppression without a reason")
		}
		if (p.Count != Counts{}) != (p.CountKey != "") {
			t.Fatalf("count %+v under key %q", p.Count, p.CountKey)
		}
		if p.SendState != "" && !slices.Contains([]string{mail.Sent, mail.Delivered, mail.Bounced, mail.Complaint, mail.Rejected}, p.SendState) {
			t.Fatalf("send state %q", p.SendState)
		}
		msgs := Timeline(e, p)
		for _, m := range msgs {
			if m.MessageID == "" || m.ContactID != e.ContactID() || m.ContactID == "" || m.Event == "" {
				t.Fatalf("timeline event %+v for contact %q", m, e.ContactID())
			}
			if link, _ := m.Properties["url"].(string); OwnLink(link) {
				t.Fatalf("a tokened link on the timeline: %q", link)
			}
		}
		if len(msgs) == 0 {
			return
		}
		bodies, err := tracking.EncodeBatches(tracking.Batch{RequestID: "r", SiteKey: "internal", ReceivedAt: published, Messages: msgs})
		if err != nil {
			t.Fatalf("timeline events do not encode: %v", err)
		}
		var n int
		for _, b := range bodies {
			got, err := tracking.DecodeBatch(b)
			if err != nil {
				t.Fatalf("timeline events do not decode: %v", err)
			}
			n += len(got.Messages)
		}
		if n != len(msgs) {
			t.Fatalf("%d timeline events queued, %d came out", len(msgs), n)
		}
	})
}
