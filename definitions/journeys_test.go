package definitions_test

import (
	"encoding/json"
	"github.com/leadflow/leadflow/shared/definition"
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

// TestJourneyOldConditionSyntax: a journey the admin API stored in the old
// condition syntax still passes the kind's one check (stored back in the
// new syntax), and reading it reports each migrated condition.
func TestJourneyOldConditionSyntax(t *testing.T) {
	old := `{"id":"old","name":"Old","status":"live","trigger":{"kind":"event","event":"Signed Up"},"start":"m","steps":[` +
		`{"id":"m","kind":"email","email":{"template":"welcome"},"next":"b"},` +
		`{"id":"b","kind":"branch","branch":{"cases":[{"name":"hot","condition":{"all":[{"score":{"gte":50}},{"subscribed":true}]},"next":""}],"else":""}}]}`
	var spec definition.Spec
	for _, s := range definitions.Specs() {
		if s.Kind == definitions.KindJourneys {
			spec = s
		}
	}
	checked, err := spec.Check([]byte(old))
	if err != nil {
		t.Fatalf("old syntax refused: %v", err)
	}
	if !strings.Contains(string(checked), `{"all":[{"score":{"kind":"total","op":"gte","value":50}},{"status":{"in":["subscribed"]}}]}`) {
		t.Fatalf("checked body keeps the old syntax: %s", checked)
	}
	if spec.Present == nil {
		t.Fatal("journeys present nothing")
	}
	got, _ := json.Marshal(spec.Present(json.RawMessage(old)))
	want := `{"migrated":[{"step":"b","where":"case \"hot\"","from":{"all":[{"score":{"gte":50}},{"subscribed":true}]},"to":{"all":[{"score":{"kind":"total","op":"gte","value":50}},{"status":{"in":["subscribed"]}}]}}]}`
	if string(got) != want {
		t.Fatalf("present = %s\nwant %s", got, want)
	}
	if p := spec.Present(checked); len(p) != 0 {
		t.Fatalf("a journey in the new syntax presents %v", p)
	}
	bad := strings.Replace(old, `{"subscribed":true}`, `{"trait":"plan","exists":false}`, 1)
	if _, err := spec.Check([]byte(bad)); err == nil || !strings.Contains(err.Error(), `step b: case "hot": old condition {"exists":false,"trait":"plan"} cannot be migrated`) {
		t.Fatalf("untranslatable old form: err = %v", err)
	}
}
