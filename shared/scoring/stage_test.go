package scoring

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

func TestNextStage(t *testing.T) {
	e := testEngine(t)
	// engaged: 50 fit + 30 demo + 10 pricing = 90 total.
	engaged, _ := e.ScoreEvents(State{}, corporateVP(), []tracking.Message{
		track("d", "Demo Requested", t0, nil), page("p", "/pricing", t0),
	})
	pricingOnly, _ := e.ScoreEvent(State{}, Facts{Email: "x@y.example"}, page("p", "/pricing", t0))
	freshVP, _ := e.ScoreEvent(State{}, corporateVP(), page("a", "/about", t0))
	competitor := corporateVP()
	competitor.Tags = []string{"competitor"}
	subscribed := Facts{Status: "subscribed"}
	demo := track("d2", "Demo Requested", t0, nil)
	demoForm := track("f", "Form Submitted", t0, map[string]any{"form_id": "demo"})
	otherForm := track("f2", "Form Submitted", t0, map[string]any{"form_id": "ebook"})
	meeting := track("m", "Meeting Booked", t0, nil)
	order := track("o", "Order Completed", t0, nil)

	tests := []struct {
		name    string
		current Stage
		facts   Facts
		state   State
		msg     *tracking.Message
		want    Stage
		by      string
	}{
		{"nothing holds", StageNone, Facts{}, State{}, nil, StageNone, ""},
		{"profile condition", StageNone, subscribed, State{}, nil, Subscriber, "rule:sub"},
		{"score with email", Subscriber, Facts{Email: "x@y.example"}, pricingOnly, nil, Lead, "rule:lead-email"},
		{"score without email", Subscriber, Facts{}, pricingOnly, nil, StageNone, ""},
		{"furthest stage wins, skipping lead", StageNone, corporateVP(), engaged, nil, MQL, "rule:mql-score"},
		{"event", Lead, Facts{}, State{}, &demo, MQL, "rule:mql-demo"},
		{"event with matching filter", Lead, Facts{}, State{}, &demoForm, MQL, "rule:mql-form"},
		{"event with other filter", Lead, Facts{}, State{}, &otherForm, StageNone, ""},
		{"event criterion needs a message", Lead, Facts{}, State{}, nil, StageNone, ""},
		{"event and min fit", MQL, corporateVP(), freshVP, &meeting, SQL, "rule:sql-meeting"},
		{"event but fit too low", MQL, Facts{}, State{}, &meeting, StageNone, ""},
		{"never backwards", SQL, corporateVP(), engaged, &demo, StageNone, ""},
		{"same stage is no move", MQL, corporateVP(), engaged, nil, StageNone, ""},
		{"disqualification vetoes", Lead, competitor, engaged, &demo, Disqualified, "rule:dq"},
		{"disqualified stays", Disqualified, corporateVP(), engaged, &order, StageNone, ""},
		{"customer stays", Customer, competitor, engaged, nil, StageNone, ""},
		{"forward to customer", Opportunity, Facts{}, State{}, &order, Customer, "rule:won"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := t0.Add(time.Hour)
			ch, moved := e.NextStage(tc.current, tc.facts, tc.state, tc.msg, now)
			if tc.want == StageNone {
				if moved {
					t.Errorf("moved to %s (%s), want no move", ch.To, ch.Reason)
				}
				return
			}
			if !moved || ch.To != tc.want || ch.From != tc.current || ch.By != tc.by {
				t.Fatalf("got %+v moved=%v, want %s by %s", ch, moved, tc.want, tc.by)
			}
			if ch.Reason == "" {
				t.Error("a move without a reason")
			}
			wantAt := now
			if tc.msg != nil {
				wantAt = tc.msg.Timestamp
			}
			if !ch.At.Equal(wantAt) {
				t.Errorf("dated %v, want %v", ch.At, wantAt)
			}
			if err := Move(ch.From, ch.To, false); err != nil {
				t.Errorf("NextStage made a move Move refuses: %v", err)
			}
		})
	}
}

func TestNextStageReason(t *testing.T) {
	e := testEngine(t)
	s, _ := e.ScoreEvents(State{}, corporateVP(), []tracking.Message{track("d", "Demo Requested", t0, nil)})
	ch, _ := e.NextStage(Lead, corporateVP(), s, nil, t0)
	if ch.Reason != `total 80 >= 60, email exists` {
		t.Errorf("reason %q", ch.Reason)
	}
	form := track("f", "Form Submitted", t0, map[string]any{"form_id": "demo"})
	ch, _ = e.NextStage(Lead, Facts{}, State{}, &form, t0)
	if ch.Reason != `event "Form Submitted", properties.form_id eq "demo"` {
		t.Errorf("reason %q", ch.Reason)
	}
}

func TestNextStageIsDatedNotBeforeTheState(t *testing.T) {
	e := testEngine(t)
	s, _ := e.ScoreEvent(State{}, Facts{}, page("p", "/pricing", t0.Add(day)))
	late := track("d", "Demo Requested", t0, nil)
	ch, _ := e.NextStage(Lead, Facts{}, s, &late, t0.Add(2*day))
	if !ch.At.Equal(t0.Add(day)) {
		t.Errorf("a late event's move dated %v, want the state's AsOf %v", ch.At, t0.Add(day))
	}
}

func TestMove(t *testing.T) {
	tests := []struct {
		from, to Stage
		explicit bool
		want     error
	}{
		{StageNone, Subscriber, false, nil},
		{Subscriber, MQL, false, nil},
		{Lead, Customer, false, nil},
		{MQL, Lead, false, ErrBackward},
		{MQL, Lead, true, nil},
		{MQL, MQL, true, ErrSameStage},
		{MQL, "hot", true, ErrUnknownStage},
		{MQL, StageNone, true, ErrUnknownStage},
		{SQL, Disqualified, false, nil},
		{Disqualified, Lead, false, ErrStageLocked},
		{Disqualified, Lead, true, nil},
		{Customer, Disqualified, false, ErrStageLocked},
		{Customer, Opportunity, false, ErrStageLocked},
		{Customer, Opportunity, true, nil},
	}
	for _, tc := range tests {
		err := Move(tc.from, tc.to, tc.explicit)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("Move(%q, %q, explicit=%v) = %v, want %v", tc.from, tc.to, tc.explicit, err, tc.want)
		}
	}
}

func TestStageOrder(t *testing.T) {
	funnel := Stages()[:6]
	for i, a := range funnel {
		for j, b := range funnel {
			if a.Before(b) != (i < j) {
				t.Errorf("%s.Before(%s) = %v", a, b, a.Before(b))
			}
		}
		if a.Before(Disqualified) || Disqualified.Before(a) {
			t.Errorf("disqualified is ordered against %s", a)
		}
		if !StageNone.Before(a) || !a.Valid() {
			t.Errorf("%s: no stage should come first and %s be valid", a, a)
		}
	}
	if StageNone.Valid() || Stage("MQL").Valid() || !Disqualified.Valid() {
		t.Error("Valid is wrong")
	}
}

func TestStageValidation(t *testing.T) {
	tests := []struct {
		name string
		tr   []Transition
		want string
	}{
		{"unknown stage", []Transition{{ID: "x", To: "hot", When: Criteria{MinTotal: intp(1)}}}, "is not a stage"},
		{"no criteria", []Transition{{ID: "x", To: MQL}}, "at least one"},
		{"filters without event", []Transition{{ID: "x", To: MQL, When: Criteria{Filters: []Condition{{Field: "event", Op: OpExists}}}}}, "filters need an event"},
		{"profile condition on a message field", []Transition{{ID: "x", To: MQL, When: Criteria{Profile: []Condition{{Field: "page.path", Op: OpExists}}}}}, "unknown profile field"},
		{"threshold out of range", []Transition{{ID: "x", To: MQL, When: Criteria{MinTotal: intp(1 << 30)}}}, "outside"},
		{"inverted ladder", []Transition{
			{ID: "a", To: MQL, When: Criteria{MinTotal: intp(60)}},
			{ID: "b", To: SQL, When: Criteria{MinTotal: intp(40)}},
		}, "thresholds must rise"},
		{"duplicate id", []Transition{
			{ID: "a", To: MQL, When: Criteria{MinTotal: intp(60)}},
			{ID: "a", To: SQL, When: Criteria{MinTotal: intp(80)}},
		}, "also used by"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := testModel()
			m.Stages.Transitions = tc.tr
			err := m.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want mention of %q", err, tc.want)
			}
		})
	}
	// A lower bar is fine when the later stage also needs an event.
	m := testModel()
	m.Stages.Transitions = []Transition{
		{ID: "a", To: MQL, When: Criteria{MinTotal: intp(60)}},
		{ID: "b", To: SQL, When: Criteria{MinTotal: intp(40), Event: "Meeting Booked"}},
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
}
