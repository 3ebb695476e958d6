package sesevent

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/engagement"
)

func TestTimeline(t *testing.T) {
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	tags := map[string]string{"send_id": "c-1", "contact_id": "c_1", "campaign_id": "spring"}
	hard := Event{Type: TypeBounce, At: at, MessageID: "m1", FeedbackID: "f1", BounceType: BouncePermanent, BounceSubType: "General", Status: "5.1.1", Tags: tags}
	tests := []struct {
		name  string
		e     Event
		event string
		check func(t *testing.T, props map[string]any)
	}{
		{"hard bounce", hard, "Email Bounced", func(t *testing.T, p map[string]any) {
			if p["permanent"] != true || p["status"] != "5.1.1" || p["send_id"] != "c-1" || p["campaign_id"] != "spring" || p["suppressed"] != "bounce" {
				t.Errorf("%v", p)
			}
		}},
		{"complaint", Event{Type: TypeComplaint, At: at, MessageID: "m2", FeedbackID: "f2", ComplaintType: "abuse", Tags: tags}, "Email Marked as Spam", func(t *testing.T, p map[string]any) {
			if p["unsubscribed"] != true || p["complaint_type"] != "abuse" || p["suppressed"] != "complaint" {
				t.Errorf("%v", p)
			}
		}},
		{"soft bounce: not suppressed", Event{Type: TypeBounce, At: at, MessageID: "m5", BounceType: "Transient", BounceSubType: "MailboxFull", Tags: tags}, "Email Bounced", func(t *testing.T, p map[string]any) {
			if _, ok := p["suppressed"]; ok || p["permanent"] != false {
				t.Errorf("%v", p)
			}
		}},
		{"complaint reversed: not suppressed", Event{Type: TypeComplaint, At: at, MessageID: "m6", ComplaintType: "not-spam", Tags: tags}, "Email Marked as Spam", func(t *testing.T, p map[string]any) {
			if _, ok := p["suppressed"]; ok {
				t.Errorf("%v", p)
			}
		}},
		{"open through Apple's proxy", Event{Type: TypeOpen, At: at, SentAt: at.Add(-time.Hour), MessageID: "m3", IP: "17.1.2.3", UserAgent: "Mozilla/5.0", Tags: tags}, "Email Opened", func(t *testing.T, p map[string]any) {
			if p["machine"] != true || p["proxy"] != "apple" {
				t.Errorf("%v", p)
			}
		}},
		{"click", Event{Type: TypeClick, At: at, SentAt: at.Add(-time.Hour), MessageID: "m4", Link: "https://x.io/a", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/134.0", Tags: tags}, "Email Link Clicked", func(t *testing.T, p map[string]any) {
			if p["machine"] != false || p["url"] != "https://x.io/a" {
				t.Errorf("%v", p)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs := Timeline(tc.e, Decide(tc.e))
			if len(msgs) != 1 || msgs[0].Event != tc.event || msgs[0].ContactID != "c_1" || !msgs[0].Timestamp.Equal(at) {
				t.Fatalf("%+v", msgs)
			}
			tc.check(t, msgs[0].Properties)
		})
	}
	// A soft bounce past the threshold: the handler sets the reason, and
	// the event says so.
	soft := Event{Type: TypeBounce, At: at, MessageID: "m7", BounceType: "Transient", Tags: tags}
	plan := Decide(soft)
	plan.SuppressReason = ReasonSoftBounces
	if p := Timeline(soft, plan)[0].Properties; p["suppressed"] != "soft_bounces" {
		t.Errorf("soft bounce over the threshold: %v", p)
	}
	// A redelivery records the same event.
	if a, b := Timeline(hard, Decide(hard)), Timeline(hard, Decide(hard)); a[0].MessageID != b[0].MessageID {
		t.Error("bounce ids differ")
	}
	// SES's open and Leadflow's pixel share the id.
	open := Event{Type: TypeOpen, At: at, MessageID: "m3", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/134.0", Tags: tags}
	pixel := engagement.Opened(engagement.Target{ContactID: "c_1", SendID: "c-1"}, engagement.Verdict{}, at.Add(time.Minute))
	if Timeline(open, Decide(open))[0].MessageID != pixel.MessageID {
		t.Error("SES open and pixel open have different ids")
	}
	for name, e := range map[string]Event{
		"no contact":     {Type: TypeBounce, MessageID: "m", Tags: map[string]string{"send_id": "x"}},
		"sample contact": {Type: TypeBounce, MessageID: "m", Tags: map[string]string{"contact_id": "_sample"}},
		"own link":       {Type: TypeClick, MessageID: "m", Link: "https://api.example/v1/t/c/tok", Tags: tags},
		"delivery":       {Type: TypeDelivery, MessageID: "m", Tags: tags},
	} {
		if msgs := Timeline(e, Decide(e)); len(msgs) != 0 {
			t.Errorf("%s: %+v", name, msgs)
		}
	}
}
