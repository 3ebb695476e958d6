package definitions

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/enrich"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

func TestRepoScoringIsValid(t *testing.T) {
	m, err := Scoring()
	if err != nil {
		t.Fatal(err)
	}
	if m.Version == "" || m.Version != m.Fingerprint() {
		t.Errorf("version %q is not the content hash %q", m.Version, m.Fingerprint())
	}
	if len(m.Engagement) < 10 || len(m.Fit) < 5 || len(m.Stages.Transitions) == 0 || !m.Routing.Enabled() {
		t.Errorf("definitions/scoring.json looks truncated: %d engagement, %d fit rules", len(m.Engagement), len(m.Fit))
	}
	if _, err := scoring.NewEngine(m); err != nil {
		t.Fatal(err)
	}
}

// TestRepoScoringScoresAJourney walks one plausible buyer through the repo's
// model, so a rule edit that breaks the funnel fails here, not in production.
func TestRepoScoringScoresAJourney(t *testing.T) {
	m, err := Scoring()
	if err != nil {
		t.Fatal(err)
	}
	e, err := scoring.NewEngine(m)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	pageAt := func(id, path string, at time.Time) tracking.Message {
		return tracking.Message{Type: tracking.TypePage, MessageID: id, Timestamp: at,
			Context: tracking.Context{Page: &tracking.Page{Path: path}}}
	}
	facts := scoring.Facts{
		Email:    "ann@acme.example",
		Status:   "subscribed",
		Traits:   map[string]any{"title": "Director of Marketing", "employees": 2500.0},
		Company:  &enrich.Company{Domain: "acme.example", EmailType: "corporate"},
		Location: &tracking.Location{Country: "DE"},
	}
	msgs := []tracking.Message{
		pageAt("1", "/blog/lead-scoring", t0),
		pageAt("2", "/pricing", t0.Add(time.Hour)),
		pageAt("3", "/pricing", t0.Add(2*time.Hour)),
		pageAt("4", "/pricing/enterprise", t0.Add(3*time.Hour)), // over the weekly cap
	}
	s, changes := e.ScoreEvents(scoring.State{}, facts, msgs)
	capped := false
	for _, c := range changes {
		capped = capped || (c.RuleID == "pricing-page" && c.Capped)
	}
	if !capped {
		t.Error("the third pricing view in a week was not capped")
	}
	// Fit: director 20 + enterprise 20 + country 10 + corporate 10 = 60;
	// engagement: blog 2 + pricing 20 = 22.
	if sc := e.Score(s, t0.Add(3*time.Hour)); sc.Fit != 60 || sc.Engagement != 22 {
		t.Errorf("score %+v", sc)
	}
	ch, moved := e.NextStage(scoring.Subscriber, facts, s, &msgs[3], t0.Add(3*time.Hour))
	if !moved || ch.To != scoring.MQL {
		t.Fatalf("82 points with a corporate email should be an MQL: %+v", ch)
	}
	if !m.Routing.Triggers(ch.From, ch.To) {
		t.Fatal("reaching mql does not trigger routing")
	}
	a, err := m.Routing.Assign(facts, func(string) (int64, error) { return 7, nil })
	if err != nil || a.Team != "enterprise" || a.Owner != "ben@leadflow.example" {
		t.Errorf("assignment %+v, %v", a, err)
	}

	unsub := tracking.Message{Type: tracking.TypeTrack, MessageID: "5", Event: "Unsubscribed", Timestamp: t0.Add(4 * time.Hour)}
	s2, _ := e.ScoreEvent(s, facts, unsub)
	if e.Score(s2, unsub.Timestamp).Engagement >= e.Score(s, unsub.Timestamp).Engagement {
		t.Error("unsubscribing did not lower engagement")
	}
}
