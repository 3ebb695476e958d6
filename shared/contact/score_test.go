package contact_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/routing"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

type routeQueue struct {
	mu     sync.Mutex
	bodies []string
}

func (q *routeQueue) Enqueue(_ context.Context, body string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.bodies = append(q.bodies, body)
	return nil
}

func scoredProcessor(t *testing.T, st *contacttest.MemStore, q *routeQueue) *contact.Processor {
	t.Helper()
	m, err := definitions.Scoring()
	if err != nil {
		t.Fatal(err)
	}
	e, err := scoring.NewEngine(m)
	if err != nil {
		t.Fatal(err)
	}
	return contact.NewProcessor(st, quiet(), func() time.Time { return now }).
		WithScoring(func(context.Context) (*scoring.Engine, error) { return e, nil }, q)
}

func pricing(id, anon string, at time.Duration) tracking.Message {
	m := pageAt(id, anon, at)
	m.Context.Page.Path = "/pricing"
	return m
}

func TestScoringStagesAndRouting(t *testing.T) {
	st, q := contacttest.New(), &routeQueue{}
	proc := scoredProcessor(t, st, q)
	id := ident("i1", "buyer", "", "vp@bigco.example", 0)
	id.Traits["title"] = "VP Marketing"
	demo := tracking.Message{Type: tracking.TypeTrack, MessageID: "d1", AnonymousID: "buyer", Event: "Demo Requested", Timestamp: now.Add(3 * time.Minute)}
	batch := []tracking.Message{id, pricing("p1", "buyer", time.Minute), pricing("p2", "buyer", 2*time.Minute), pricing("p3", "buyer", 150*time.Second), demo}
	run(t, proc, batch)

	cid := owner(st, contact.Email, "vp@bigco.example")
	p := st.Profile(cid)
	if p.Stage != scoring.MQL {
		t.Fatalf("stage %q, want mql; history %+v", p.Stage, p.StageHistory)
	}
	if len(p.StageHistory) == 0 || p.StageHistory[len(p.StageHistory)-1].To != scoring.MQL {
		t.Errorf("stage history %+v", p.StageHistory)
	}
	if p.Score.ByRule["pricing-page"] > 20.01 {
		t.Errorf("pricing points %v exceed the weekly cap of 20", p.Score.ByRule["pricing-page"])
	}
	capped := false
	for _, c := range st.Changes[cid] {
		if c.RuleID == "pricing-page" && c.Capped {
			capped = true
		}
	}
	if !capped {
		t.Errorf("the third pricing view must be recorded as capped: %+v", st.Changes[cid])
	}
	if len(q.bodies) != 1 {
		t.Fatalf("routing requests %d, want 1", len(q.bodies))
	}
	r, err := routing.Decode(q.bodies[0])
	if err != nil || r.ContactID != cid || r.Change.To != scoring.MQL {
		t.Fatalf("routing request %+v %v", r, err)
	}

	// Redelivery scores nothing and routes nothing again.
	before := p.Score
	run(t, proc, batch)
	if after := st.Profile(cid).Score; after.Engagement != before.Engagement || len(q.bodies) != 1 {
		t.Errorf("redelivery changed the score (%v -> %v) or routed again (%d)", before.Engagement, after.Engagement, len(q.bodies))
	}
	// Stages only move forward automatically: a careers visit lowers the
	// score but the contact stays an MQL.
	careers := pageAt("c1", "buyer", 10*time.Minute)
	careers.Context.Page.Path = "/careers"
	run(t, proc, []tracking.Message{careers})
	if p := st.Profile(cid); p.Stage != scoring.MQL || p.Score.ByRule["careers-page"] >= 0 {
		t.Errorf("after careers page: stage %q by rule %v", p.Stage, p.Score.ByRule)
	}
}

func TestStaleScoreIsRecomputedNotAddedTo(t *testing.T) {
	st, q := contacttest.New(), &routeQueue{}
	proc := scoredProcessor(t, st, q)
	run(t, proc, []tracking.Message{ident("i1", "v", "", "a@b.example", 0), pricing("p1", "v", time.Minute)})
	cid := owner(st, contact.Email, "a@b.example")
	// Pretend the stored score came from an older model.
	p := st.Profile(cid)
	p.Score.ModelVersion = "old-model"
	p.Score.Engagement, p.Score.ByRule = 999, map[string]float64{"gone-rule": 999}
	if err := st.SaveProfile(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	run(t, proc, []tracking.Message{pricing("p2", "v", 2*time.Minute)})
	got := st.Profile(cid).Score
	if got.ByRule["gone-rule"] != 0 || got.ByRule["pricing-page"] < 19 || got.ByRule["pricing-page"] > 20.01 {
		t.Errorf("re-scored state %+v: want two pricing views and nothing from the old model", got)
	}
}

type mailQueue struct{ routeQueue }

func TestDoubleOptInRequestsOneConfirmation(t *testing.T) {
	st, q, mq := contacttest.New(), &routeQueue{}, &mailQueue{}
	proc := scoredProcessor(t, st, q).WithMail(mq)
	consentAt := now.Add(time.Minute)
	fill := []tracking.Message{
		{Type: tracking.TypeIdentify, MessageID: "f1", AnonymousID: "v", Traits: map[string]any{"email": "new@x.example"}, Timestamp: consentAt,
			Context: tracking.Context{Leadflow: &tracking.Internal{FormID: "newsletter", DoubleOptIn: true, Consent: &tracking.Consent{Purpose: "newsletter", At: consentAt}}}},
	}
	run(t, proc, fill)
	run(t, proc, fill) // redelivered
	if len(mq.bodies) != 1 {
		t.Fatalf("confirmation requests %d, want 1", len(mq.bodies))
	}
	r, err := mail.Decode(mq.bodies[0])
	if err != nil || r.TemplateID != contact.ConfirmTemplate || r.Kind != mail.Transactional || r.Source.Form != "newsletter" {
		t.Errorf("request %+v %v", r, err)
	}
	if p := st.Profile(r.ContactID); p.Status != "pending" {
		t.Errorf("status %q", p.Status)
	}
	// A single opt-in form sends no confirmation.
	single := []tracking.Message{{Type: tracking.TypeIdentify, MessageID: "f2", AnonymousID: "w", Traits: map[string]any{"email": "other@x.example"}, Timestamp: consentAt,
		Context: tracking.Context{Leadflow: &tracking.Internal{FormID: "demo-request", Consent: &tracking.Consent{Purpose: "marketing", At: consentAt}}}}}
	run(t, proc, single)
	if len(mq.bodies) != 1 {
		t.Errorf("single opt-in sent a confirmation")
	}
}

func TestFillPastTheAddressAllowanceMailsNothing(t *testing.T) {
	// Given a double opt-in fill that ingest marked as past its address's
	// daily allowance of confirmation mails,
	st, q, mq := contacttest.New(), &routeQueue{}, &mailQueue{}
	proc := scoredProcessor(t, st, q).WithMail(mq)
	consentAt := now.Add(time.Minute)
	in := &tracking.Internal{FormID: "newsletter", DoubleOptIn: true, NoConfirmMail: true, Consent: &tracking.Consent{Purpose: "newsletter", At: consentAt}}
	run(t, proc, []tracking.Message{{Type: tracking.TypeIdentify, MessageID: "f1", AnonymousID: "v", Traits: map[string]any{"email": "victim@x.example"}, Timestamp: consentAt,
		Context: tracking.Context{Leadflow: in}}})
	// when it is processed, then no mail is requested, and the contact
	// still waits for a confirmation (the consent is not granted).
	if len(mq.bodies) != 0 {
		t.Errorf("confirmation requests %d, want 0", len(mq.bodies))
	}
	if p := st.Profile(owner(st, contact.Email, "victim@x.example")); p.Status != "pending" {
		t.Errorf("status %q, want pending", p.Status)
	}
}
