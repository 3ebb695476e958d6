package journeyrun_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/journeyrun"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// oneJourney is a registry holding one journey (version 1).
type oneJourney struct{ body string }

func (o oneJourney) List(context.Context, definition.Kind) ([]definition.Definition, error) {
	return []definition.Definition{{Kind: journeyrun.Kind, ID: "bonus", Body: json.RawMessage(o.body), Version: 1}}, nil
}
func (o oneJourney) Version(context.Context, definition.Kind, string, int64) (definition.Definition, definition.VersionInfo, error) {
	return definition.Definition{Kind: journeyrun.Kind, ID: "bonus", Body: json.RawMessage(o.body), Version: 1}, definition.VersionInfo{}, nil
}

// TestUpdateStepScorePoints: an update step's points reach the real
// score (not only the simulator's), through the scoring model, with a
// change on the timeline that says which journey and step gave them; a
// later branch of the same pass sees them; a redelivered event gives them
// no second time.
func TestUpdateStepScorePoints(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC)
	st := contacttest.New()
	if err := st.SaveProfile(ctx, &contact.Profile{ID: "c1", Email: "ada@example.com", Status: "subscribed"}); err != nil {
		t.Fatal(err)
	}
	eng, err := scoring.NewEngine(scoring.Model{HalfLifeDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"id":"bonus","name":"Bonus","status":"live","trigger":{"kind":"event","event":"Trial Started"},"start":"u","steps":[
		{"id":"u","kind":"update","update":{"score":7},"next":"b"},
		{"id":"b","kind":"branch","branch":{"cases":[{"name":"hot","condition":{"score":{"kind":"total","op":"gte","value":7}},"next":"tag"}]}},
		{"id":"tag","kind":"update","update":{"add_tags":["hot"]}}]}`
	w := &world{timers: map[string]timer.Timer{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := journeyrun.NewReactor(journeyrun.NewLibrary(oneJourney{body}, nil), w, w, w, w, log, journeyrun.Options{
		Score: func(_ context.Context, s scoring.State, at time.Time) (scoring.Score, error) {
			return eng.Score(s, at), nil
		},
		Award: func(_ context.Context, s scoring.State, rule string, pts int, msgID string, at time.Time) (scoring.State, scoring.Change, error) {
			st, ch := eng.Award(s, rule, pts, msgID, at)
			return st, ch, nil
		},
		Timeline: st,
	})
	proc := contact.NewProcessor(st, log, func() time.Time { return clock }).WithReactors(r)
	in := contact.Input{ID: "sqs-1", Batch: tracking.Batch{Messages: []tracking.Message{
		{Type: tracking.TypeTrack, MessageID: "m1", ContactID: "c1", Event: "Trial Started", Timestamp: clock, ReceivedAt: clock}}}}
	for range 2 { // delivered, then redelivered
		if out, err := proc.Process(ctx, []contact.Input{in}); err != nil || len(out.Failed) != 0 {
			t.Fatalf("process: %v %+v", err, out)
		}
	}
	p := st.Profile("c1")
	if got := eng.Score(p.Score, clock).Total; got != 7 {
		t.Errorf("total score %d, want 7 (the update step's points, once)", got)
	}
	if len(p.Tags) != 1 || p.Tags[0] != "hot" {
		t.Errorf("tags %v: the branch after the update should have seen the points", p.Tags)
	}
	var journeyChanges []scoring.Change
	for _, c := range st.Changes["c1"] {
		if strings.HasPrefix(c.RuleID, "journey ") {
			journeyChanges = append(journeyChanges, c)
		}
	}
	if len(journeyChanges) != 1 || journeyChanges[0].RuleID != "journey bonus step u" || journeyChanges[0].Points != 7 || journeyChanges[0].Kind != scoring.KindEngagement {
		t.Fatalf("score changes %+v, want one of +7 under journey bonus step u", st.Changes["c1"])
	}
	bd := eng.Breakdown(p.Score, clock)
	if len(bd) != 1 || bd[0].RuleID != "journey bonus step u" || bd[0].Points != 7 {
		t.Errorf("breakdown %+v", bd)
	}
}
