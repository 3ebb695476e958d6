package definitions_test

import (
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/journey"
)

// repoRefs is what the repo defines, for journey.CheckRefs.
func repoRefs(t *testing.T) journey.Refs {
	t.Helper()
	r := journey.Refs{Templates: map[string]bool{}, Topics: map[string]bool{}, Forms: map[string]bool{}}
	ts, err := definitions.Templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ts {
		r.Templates[x.ID] = true
	}
	tops, err := definitions.Topics()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range tops {
		r.Topics[x.ID] = true
	}
	fs, err := definitions.Forms()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range fs {
		r.Forms[x.ID] = true
	}
	return r
}

func TestJourneysReferToWhatExists(t *testing.T) {
	js, err := definitions.Journeys()
	if err != nil {
		t.Fatal(err)
	}
	if len(js) == 0 {
		t.Fatal("no journeys in the repo")
	}
	refs := repoRefs(t)
	for _, j := range js {
		if err := journey.CheckRefs(j, refs); err != nil {
			t.Errorf("journey %s: %v", j.ID, err)
		}
	}
}

// TestWelcomeJourney runs the repo's welcome journey in the simulator: the
// journey kept in the repo has its own test in CI.
func TestWelcomeJourney(t *testing.T) {
	js, err := definitions.Journeys()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := journey.NewFixed(js...)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC) // a Monday
	confirmed := journey.Happening{Event: "Subscription Confirmed"}
	high := 80
	tests := []struct {
		name  string
		later []journey.Happening
		sends string
	}{
		{"did not click: tips", nil, "welcome-mail:welcome,tips-mail:welcome-tips"},
		{"clicked: no tips", []journey.Happening{{After: journey.Duration(time.Hour), Clicked: "welcome-mail"}}, "welcome-mail:welcome"},
		{"high scorer: tips, then the demo nudge", []journey.Happening{{After: journey.Duration(time.Hour), Score: &high}}, "welcome-mail:welcome,tips-mail:welcome-tips,demo-nudge:demo-nudge"},
		{"requested a demo: converted, nothing more", []journey.Happening{{After: journey.Duration(time.Hour), Event: "Form Submitted", Properties: map[string]any{"form_id": "demo-request"}}}, "welcome-mail:welcome"},
		{"confirmed twice: one welcome", []journey.Happening{{After: journey.Duration(3 * 24 * time.Hour), Event: "Subscription Confirmed"}, {After: journey.Duration(time.Hour), Clicked: "welcome-mail"}}, "welcome-mail:welcome"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tl := journey.Timeline{Start: start, Contact: journey.Contact{ID: "c1", Status: "subscribed", Timezone: "America/New_York"},
				Entries: append([]journey.Happening{confirmed}, tc.later...)}
			r, err := journey.Simulate(&journey.Engine{Lib: lib}, tl)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(r.Sends, ","); got != tc.sends {
				t.Errorf("sends %s, want %s\n%s", got, tc.sends, journey.FormatPath(r.Path))
			}
		})
	}
}
