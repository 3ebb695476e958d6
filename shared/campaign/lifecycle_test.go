package campaign

import (
	"errors"
	"testing"
	"time"
)

func TestLifecycleWithApproval(t *testing.T) {
	now := utc("2027-01-01T10:00:00Z")
	st := State{ID: "newsletter"}
	st, err := st.Edited("h1", "mara", true, now)
	if err != nil || st.Status != Draft || st.Author != "mara" {
		t.Fatalf("edit: %+v %v", st, err)
	}
	if st, err = st.Schedule("mara", true, now); err != nil || st.Status != AwaitingApproval {
		t.Fatalf("schedule without approval: %+v %v", st, err)
	}
	if _, err := st.Approve("mara", now); !errors.Is(err, ErrSelfApproval) {
		t.Fatalf("self approval: %v", err)
	}
	if st, err = st.Approve("ada", now); err != nil || st.Status != Scheduled || !st.Approved() {
		t.Fatalf("approve: %+v %v", st, err)
	}
	// A change after approval needs a new approval.
	if st, err = st.Edited("h2", "mara", true, now); err != nil || st.Status != AwaitingApproval || st.Approved() {
		t.Fatalf("edit after approval: %+v %v", st, err)
	}
	if st, err = st.Approve("ada", now); err != nil || st.Status != Scheduled {
		t.Fatalf("re-approve: %+v %v", st, err)
	}
	// Saving the same content again keeps the approval.
	if st, _ = st.Edited("h2", "bob", true, now); !st.Approved() || st.Author != "mara" {
		t.Fatalf("same content: %+v", st)
	}
	if st, err = st.Start(now); err != nil || st.Status != Sending || !st.FirstSendAt.Equal(now) {
		t.Fatalf("start: %+v %v", st, err)
	}
	if _, err := st.Edited("h3", "mara", true, now); !errors.Is(err, ErrLocked) {
		t.Fatalf("edit after first send: %v", err)
	}
	if st, err = st.Pause(now); err != nil || st.Status != Paused {
		t.Fatalf("pause: %+v %v", st, err)
	}
	if _, err := st.Start(now); !errors.Is(err, ErrTransition) {
		t.Fatalf("a paused campaign does not start: %v", err)
	}
	if st, err = st.ResumeFromPause(now); err != nil || st.Status != Sending {
		t.Fatalf("resume: %+v %v", st, err)
	}
	if st, err = st.Finish(false, now); err != nil || st.Status != Sent {
		t.Fatalf("finish: %+v %v", st, err)
	}
	if _, err := st.Cancel(now); !errors.Is(err, ErrTransition) {
		t.Fatalf("cancel a sent campaign: %v", err)
	}
}

func TestLifecycleTransitions(t *testing.T) {
	now := time.Now()
	type op func(State) (State, error)
	ops := map[string]op{
		"schedule": func(s State) (State, error) { return s.Schedule("u", false, now) },
		"pause":    func(s State) (State, error) { return s.Pause(now) },
		"resume":   func(s State) (State, error) { return s.ResumeFromPause(now) },
		"cancel":   func(s State) (State, error) { return s.Cancel(now) },
		"start":    func(s State) (State, error) { return s.Start(now) },
		"finish":   func(s State) (State, error) { return s.Finish(true, now) },
	}
	cases := []struct {
		from Status
		op   string
		want Status // "" = refused
	}{
		{Draft, "schedule", Scheduled},
		{Draft, "pause", ""},
		{Draft, "start", ""},
		{Draft, "cancel", Cancelled},
		{Scheduled, "schedule", ""},
		{Scheduled, "pause", Paused},
		{Scheduled, "start", Sending},
		{Sending, "start", Sending},
		{Sending, "finish", Scheduled},
		{Sending, "cancel", Cancelled},
		{Paused, "resume", Scheduled}, // Resume field empty: back to scheduled
		{Paused, "finish", ""},
		{Cancelled, "resume", ""},
		{Cancelled, "cancel", ""},
		{Sent, "pause", ""},
	}
	for _, tc := range cases {
		got, err := ops[tc.op](State{Status: tc.from})
		switch {
		case tc.want == "" && !errors.Is(err, ErrTransition):
			t.Errorf("%s from %s: want refused, got %s %v", tc.op, tc.from, got.Status, err)
		case tc.want != "" && (err != nil || got.Status != tc.want):
			t.Errorf("%s from %s: got %s %v, want %s", tc.op, tc.from, got.Status, err, tc.want)
		}
	}
}
