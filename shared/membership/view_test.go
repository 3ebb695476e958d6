package membership

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/engagement"
	"github.com/leadflow/leadflow/shared/segment"
	"github.com/leadflow/leadflow/shared/sesevent"
	"github.com/leadflow/leadflow/shared/tracking"
)

func parseFilter(t *testing.T, filter string) segment.Filter {
	t.Helper()
	var f segment.Filter
	if err := json.Unmarshal([]byte(filter), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func compile(t *testing.T, filter string) *segment.Program {
	t.Helper()
	p, err := segment.Compile(segment.Segment{ID: "s", Name: "S", Filter: parseFilter(t, filter)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The contact's status as segments see it, from what the producers record:
// an SES bounce or complaint that suppressed the address makes the contact
// "suppressed" (and nothing else), from the profile alone.
func TestStatusSuppressedFromSESEvents(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tags := map[string]string{"send_id": "snd-1", "contact_id": "c1", "template_id": "welcome"}
	tests := []struct {
		name string
		ev   sesevent.Event
		want string
	}{
		{"hard bounce", sesevent.Event{Type: sesevent.TypeBounce, At: at, MessageID: "m1", BounceType: sesevent.BouncePermanent, Tags: tags}, "suppressed"},
		{"complaint", sesevent.Event{Type: sesevent.TypeComplaint, At: at, MessageID: "m2", ComplaintType: "abuse", Tags: tags}, "suppressed"},
		{"soft bounce", sesevent.Event{Type: sesevent.TypeBounce, At: at, MessageID: "m3", BounceType: "Transient", Tags: tags}, "subscribed"},
		{"complaint reversed", sesevent.Event{Type: sesevent.TypeComplaint, At: at, MessageID: "m4", ComplaintType: "not-spam", Tags: tags}, "subscribed"},
		{"open", sesevent.Event{Type: sesevent.TypeOpen, At: at, MessageID: "m5", Tags: tags}, "subscribed"},
	}
	statuses := segment.Statuses
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &contact.Profile{ID: "c1", Email: "a@example.com", Status: "subscribed"}
			p.Apply(sesevent.Timeline(tc.ev, sesevent.Decide(tc.ev)), at)
			v := ViewOf(p)
			for _, st := range statuses {
				got := compile(t, `{"status":{"in":["`+st+`"]}}`).Eval(v, at)
				if got != (st == tc.want) {
					t.Errorf("status %s matched %v, want only %s", st, got, tc.want)
				}
			}
		})
	}
}

// "Opened or clicked a given template in the last N days": opens and
// clicks carry the template (SES's tag, the link's token) into the
// contact's counters, which the filter reads; windows at their edges, and
// machine opens only when asked.
func TestEmailEngagementWithATemplate(t *testing.T) {
	now := time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
	human := engagement.Verdict{}
	machine := engagement.Verdict{Machine: true, Reason: "apple"}
	welcome := engagement.Target{ContactID: "c1", SendID: "snd-1", Template: "welcome"}
	other := engagement.Target{ContactID: "c1", SendID: "snd-2", Template: "newsletter"}
	ses := func(typ string, daysAgo int) tracking.Message {
		e := sesevent.Event{Type: typ, At: now.AddDate(0, 0, -daysAgo), MessageID: "m", Link: "https://x.io/a",
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/134.0", Tags: map[string]string{"send_id": "snd-3", "contact_id": "c1", "template_id": "welcome"}}
		return sesevent.Timeline(e, sesevent.Decide(e))[0]
	}
	opened := `{"email":{"action":"opened","template":"welcome","within_days":7}}`
	clicked := `{"email":{"action":"clicked","template":"welcome","within_days":7}}`
	either := `{"email":{"action":"any","template":"welcome","within_days":7}}`
	withMachine := `{"email":{"action":"opened","template":"welcome","within_days":7,"include_machine":true}}`
	tests := []struct {
		name   string
		filter string
		msgs   []tracking.Message
		want   bool
	}{
		{"pixel open of the template", opened, []tracking.Message{engagement.Opened(welcome, human, now.AddDate(0, 0, -1))}, true},
		{"open of another template", opened, []tracking.Message{engagement.Opened(other, human, now.AddDate(0, 0, -1))}, false},
		{"open without a template (old link)", opened, []tracking.Message{engagement.Opened(engagement.Target{ContactID: "c1", SendID: "snd-9"}, human, now)}, false},
		{"open 6 days ago: in", opened, []tracking.Message{engagement.Opened(welcome, human, now.AddDate(0, 0, -6))}, true},
		{"open 7 days ago: out", opened, []tracking.Message{engagement.Opened(welcome, human, now.AddDate(0, 0, -7))}, false},
		{"click is not an open", opened, []tracking.Message{engagement.Clicked(welcome, "https://x.io", human, now)}, false},
		{"click of the template", clicked, []tracking.Message{engagement.Clicked(welcome, "https://x.io", human, now)}, true},
		{"opened or clicked: click", either, []tracking.Message{engagement.Clicked(welcome, "https://x.io", human, now)}, true},
		{"machine open not counted", opened, []tracking.Message{engagement.Opened(welcome, machine, now)}, false},
		{"machine open when asked", withMachine, []tracking.Message{engagement.Opened(welcome, machine, now)}, true},
		{"SES open event of the template", opened, []tracking.Message{ses(sesevent.TypeOpen, 2)}, true},
		{"SES click event of the template", clicked, []tracking.Message{ses(sesevent.TypeClick, 2)}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prog := compile(t, tc.filter)
			p := &contact.Profile{ID: "c1"}
			fresh := p.Apply(tc.msgs, now)
			for _, m := range fresh {
				p.SegmentCounters.Record(m, prog.Needs(), segment.Day(now))
			}
			if got := prog.Eval(ViewOf(p), now); got != tc.want {
				t.Errorf("matched %v, want %v (counters %v)", got, tc.want, p.SegmentCounters)
			}
		})
	}
}
