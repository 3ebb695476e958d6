package sesevent

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// fixture reads an events/ses fixture as the function receives it.
func fixture(t *testing.T, name string) events.EventBridgeEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "ses", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, e Event)
	}{
		{"delivery.json", func(t *testing.T, e Event) {
			if e.Type != TypeDelivery || e.SendID() != "snd_01jnwc2k8f4m6p9r3t5v7x9z1b" || e.ContactID() != "c_01jnw8q5r3d9k2m4v6x8z0b2c4" ||
				!slices.Equal(e.Recipients, []string{"jane.doe@example.com"}) || e.At.Format(time.RFC3339Nano) != "2025-03-10T10:00:13.812Z" {
				t.Errorf("%+v", e)
			}
		}},
		{"bounce.json", func(t *testing.T, e Event) {
			if e.Type != TypeBounce || e.BounceType != BouncePermanent || e.BounceSubType != "General" || e.Status != "5.1.1" ||
				e.FeedbackID == "" || !slices.Equal(e.Recipients, []string{"no-such-user@example.net"}) || e.Tags["campaign_id"] != "cmp_spring_launch" {
				t.Errorf("%+v", e)
			}
		}},
		{"complaint.json", func(t *testing.T, e Event) {
			if e.Type != TypeComplaint || e.ComplaintType != "abuse" || !slices.Equal(e.Recipients, []string{"sam.lee@example.org"}) || e.FeedbackID == "" {
				t.Errorf("%+v", e)
			}
		}},
		{"open.json", func(t *testing.T, e Event) {
			if e.Type != TypeOpen || e.IP != "66.249.84.101" || e.UserAgent == "" || e.SentAt.IsZero() {
				t.Errorf("%+v", e)
			}
		}},
		{"click.json", func(t *testing.T, e Event) {
			if e.Type != TypeClick || e.Link == "" || e.UserAgent == "" || OwnLink(e.Link) {
				t.Errorf("%+v", e)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			ev := fixture(t, tc.file)
			e, err := Parse(ev.Detail, ev.Time)
			if err != nil {
				t.Fatal(err)
			}
			if e.MessageID == "" {
				t.Error("no message id")
			}
			tc.check(t, e)
		})
	}
}

func TestParseRejectsBrokenEvents(t *testing.T) {
	for name, raw := range map[string]string{
		"not JSON":         `{`,
		"no message id":    `{"eventType":"Send","mail":{}}`,
		"bounce without":   `{"eventType":"Bounce","mail":{"messageId":"m"}}`,
		"unknown type":     `{"eventType":"Subscription","mail":{"messageId":"m"}}`,
		"click without":    `{"eventType":"Click","mail":{"messageId":"m"}}`,
		"delivery without": `{"eventType":"Delivery","mail":{"messageId":"m"}}`,
	} {
		if _, err := Parse(json.RawMessage(raw), time.Now()); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Parse(json.RawMessage(`{"eventType":"Subscription","mail":{"messageId":"m"}}`), time.Now()); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown type: %v", err)
	}
}

func TestDecide(t *testing.T) {
	hard := Event{Type: TypeBounce, MessageID: "m1", FeedbackID: "f1", BounceType: BouncePermanent, BounceSubType: "General", Status: "5.1.1", Recipients: []string{"a@x.io"}}
	soft := Event{Type: TypeBounce, MessageID: "m2", FeedbackID: "f2", BounceType: BounceTransient, BounceSubType: "MailboxFull", Recipients: []string{"b@x.io"}}
	complaint := Event{Type: TypeComplaint, MessageID: "m3", FeedbackID: "f3", ComplaintType: "abuse", Recipients: []string{"c@x.io"}}
	tests := []struct {
		name string
		e    Event
		want Plan
	}{
		{"send settles a doubt", Event{Type: TypeSend}, Plan{Accepted: true, SendState: "sent"}},
		{"delivery", Event{Type: TypeDelivery}, Plan{Accepted: true, SendState: "delivered"}},
		{"hard bounce suppresses and counts", hard, Plan{Accepted: true, SendState: "bounced", Reason: "permanent bounce (General) 5.1.1",
			Suppress: []string{"a@x.io"}, SuppressReason: "bounce", Timeline: "Email Bounced", Count: Counts{Bounces: 1}, CountKey: "Bounce#f1"}},
		{"soft bounce is counted per address, not suppressed", soft, Plan{Accepted: true, SendState: "bounced", Reason: "transient bounce (MailboxFull)",
			SoftBounce: []string{"b@x.io"}, Timeline: "Email Bounced"}},
		{"complaint suppresses, unsubscribes, counts", complaint, Plan{Accepted: true, SendState: "complaint", Reason: "complaint (abuse)",
			Suppress: []string{"c@x.io"}, SuppressReason: "complaint", Unsubscribe: true, Timeline: "Email Marked as Spam", Count: Counts{Complaints: 1}, CountKey: "Complaint#f3"}},
		{"a not-spam report suppresses nothing", Event{Type: TypeComplaint, ComplaintType: "not-spam", Recipients: []string{"c@x.io"}},
			Plan{Accepted: true, SendState: "complaint", Reason: "complaint (not-spam)", Timeline: "Email Marked as Spam"}},
		{"reject", Event{Type: TypeReject, Reason: "Bad content"}, Plan{SendState: "rejected", Reason: "rejected by SES: Bad content"}},
		{"rendering failure", Event{Type: TypeRenderingFailure, Reason: "missing var"}, Plan{SendState: "rejected", Reason: "rendering failure: missing var"}},
		{"delivery delay is a note", Event{Type: TypeDeliveryDelay, Reason: "MailboxFull"}, Plan{Accepted: true, Note: "delivery delayed (MailboxFull)"}},
		{"open", Event{Type: TypeOpen}, Plan{Accepted: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.e)
			if got.SendState != tc.want.SendState || got.Reason != tc.want.Reason || got.Accepted != tc.want.Accepted || got.Note != tc.want.Note ||
				!slices.Equal(got.Suppress, tc.want.Suppress) || got.SuppressReason != tc.want.SuppressReason ||
				!slices.Equal(got.SoftBounce, tc.want.SoftBounce) || got.Unsubscribe != tc.want.Unsubscribe ||
				got.Timeline != tc.want.Timeline || got.Count != tc.want.Count || got.CountKey != tc.want.CountKey {
				t.Errorf("Decide =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestSoftBouncePolicy(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	b := func(ago time.Duration, id string) SoftBounce { return SoftBounce{At: now.Add(-ago), ID: id} }
	tests := []struct {
		name    string
		bounces []SoftBounce
		want    bool
	}{
		{"none", nil, false},
		{"two", []SoftBounce{b(day, "a"), b(2*day, "b")}, false},
		{"three within thirty days", []SoftBounce{b(day, "a"), b(10*day, "b"), b(29*day, "c")}, true},
		{"three, one too old", []SoftBounce{b(day, "a"), b(10*day, "b"), b(31*day, "c")}, false},
		{"a redelivered event counts once", []SoftBounce{b(day, "a"), b(day, "a"), b(2*day, "b")}, false},
		{"four", []SoftBounce{b(day, "a"), b(2*day, "b"), b(3*day, "c"), b(4*day, "d")}, true},
	}
	for _, tc := range tests {
		if got := DefaultSoftBounces.Exceeded(tc.bounces, now); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

func TestOwnLink(t *testing.T) {
	for link, want := range map[string]bool{
		"https://api.example.com/v1/t/c/abc.def":        true,
		"https://api.example.com/v1/unsubscribe/abc":    true,
		"https://api.example.com/v1/preferences/abc":    true,
		"https://www.example.com/pricing?utm_source=em": false,
	} {
		if OwnLink(link) != want {
			t.Errorf("%s: %v", link, !want)
		}
	}
}
