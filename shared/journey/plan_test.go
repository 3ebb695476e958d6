package journey

import (
	"encoding/json"
	"testing"
)

// TestMaySendOnWake: what the calendar counts as a journey's planned mail
// is decided from the step a run wakes at.
func TestMaySendOnWake(t *testing.T) {
	var j Journey
	if err := json.Unmarshal([]byte(`{"id": "j", "steps": [
		{"id": "wait-to-mail", "kind": "wait", "wait": {"for": "1d"}, "next": "tag"},
		{"id": "tag", "kind": "update", "update": {"add_tags": ["x"]}, "next": "note"},
		{"id": "note", "kind": "notify", "notify": {"event": "journey.x"}, "next": "mail"},
		{"id": "mail", "kind": "email", "email": {"template": "t"}, "next": "wait-to-wait"},
		{"id": "wait-to-wait", "kind": "wait", "wait": {"for": "1d"}, "next": "wait-to-branch"},
		{"id": "wait-to-branch", "kind": "wait", "wait": {"for": "1d"}, "next": "branch"},
		{"id": "branch", "kind": "branch", "branch": {"cases": [{"name": "a", "condition": {}, "next": "end"}], "else": "mail"}},
		{"id": "wait-to-end", "kind": "wait", "wait": {"for": "1d"}, "next": "end"},
		{"id": "end", "kind": "exit"},
		{"id": "event-timeout-mail", "kind": "wait", "wait": {"event": "Clicked", "timeout": "2d", "timeout_next": "mail"}, "next": "end"},
		{"id": "event-timeout-end", "kind": "wait", "wait": {"event": "Clicked", "timeout": "2d", "timeout_next": "end"}, "next": "mail"},
		{"id": "loop-a", "kind": "branch", "branch": {"cases": [{"name": "a", "condition": {}, "next": "loop-b"}], "else": "loop-b"}},
		{"id": "loop-b", "kind": "update", "update": {"add_tags": ["y"]}, "next": "loop-a"},
		{"id": "wait-to-loop", "kind": "wait", "wait": {"for": "1d"}, "next": "loop-a"}
	]}`), &j); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		step string
		want bool
	}{
		{"wait-to-mail", true},       // through an update and a notify
		{"wait-to-wait", false},      // rests again first
		{"wait-to-branch", true},     // one arm sends: an upper bound
		{"wait-to-end", false},       // ends
		{"event-timeout-mail", true}, // the timeout's way, not the event's
		{"event-timeout-end", false}, // the event's way would send; the timeout ends
		{"mail", true},               // a timed retry of the email step itself
		{"wait-to-loop", false},      // a loop without a send terminates
		{"no-such-step", false},
	} {
		if got := j.MaySendOnWake(tc.step); got != tc.want {
			t.Errorf("MaySendOnWake(%q) = %v, want %v", tc.step, got, tc.want)
		}
	}
}
