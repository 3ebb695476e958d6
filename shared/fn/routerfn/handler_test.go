package routerfn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/bus"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/fn/routerfn"
	"github.com/leadflow/leadflow/shared/routing"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/webhook"
)

// The fixture's two requests: Ada (VP at a 1,200-person company, so the
// enterprise territory) reached MQL by asking for a demo; Bo (no size
// known, so the default growth territory) by score.
const (
	adaID  = "c_01JDXK7Q3M8V2N4P6R8T0W2Y4A"
	adaReq = "505027fbef9adaa882e375d4a4e7ef16"
	boID   = "c_01JDXM2B5C7D9F1G3H5J7K9L1M"
	boReq  = "e3a67e57b3d8e5447ad5ac7911c33ffe"
)

var changedAt = time.Date(2025, 3, 10, 9, 4, 31, 0, time.UTC)

// store is the in-memory contact store plus the routing items.
type store struct {
	*contacttest.MemStore
	mu       sync.Mutex
	routes   map[string]string // id → "open" | "done"
	counters map[string]int64
	draws    int
}

func newStore() *store {
	return &store{MemStore: contacttest.New(), routes: map[string]string{}, counters: map[string]int64{}}
}

func (s *store) ClaimRoute(_ context.Context, id, _ string, _ time.Time) (dynamo.RouteState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.routes[id] {
	case "done":
		return dynamo.RouteDone, nil
	case "open":
		return dynamo.RouteOpen, nil
	}
	s.routes[id] = "open"
	return dynamo.RouteNew, nil
}

func (s *store) FinishRoute(_ context.Context, id string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[id] = "done"
	return nil
}

func (s *store) NextCounter(_ context.Context, team string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.draws++
	v := s.counters[team]
	s.counters[team]++
	return v, nil
}

type publisher struct {
	events []bus.Event
	err    error
}

func (p *publisher) Publish(_ context.Context, evs ...bus.Event) error {
	if p.err != nil {
		return p.err
	}
	p.events = append(p.events, evs...)
	return nil
}

type queue struct{ bodies []string }

func (q *queue) Enqueue(_ context.Context, body string) error {
	q.bodies = append(q.bodies, body)
	return nil
}

func engine(t *testing.T) *scoring.Engine {
	t.Helper()
	m, err := definitions.Scoring()
	if err != nil {
		t.Fatal(err)
	}
	e, err := scoring.NewEngine(m)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func seed(t *testing.T, st *store, e *scoring.Engine) {
	t.Helper()
	for _, p := range []*contact.Profile{
		{ID: adaID, Email: "ada@acme-widgets.com", Traits: map[string]any{"title": "VP Marketing", "employees": 1200.0},
			Stage: scoring.MQL, Score: scoring.State{
				ModelVersion: e.Version(), Fit: 30, FitBreakdown: map[string]int{"senior-title": 20, "corporate-email": 10},
				Engagement: 30, AsOf: changedAt, ByRule: map[string]float64{"demo-requested": 30},
			}},
		{ID: boID, Email: "bo@example.org", Stage: scoring.MQL},
	} {
		if err := st.SaveProfile(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
}

// fixture reads testdata/routing-batch.json as the Lambda runtime decodes it.
func fixture(t *testing.T) events.SQSEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "routing-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

type rig struct {
	st   *store
	pub  *publisher
	q    *queue
	h    *routerfn.Handler
	logs *bytes.Buffer
}

var urls = []string{"https://crm.acme-widgets.com/hooks/leadflow", "https://hooks.example.net/services/T0001/B0002/XyZsecretPathToken"}

func newRig(t *testing.T) *rig {
	e := engine(t)
	r := &rig{st: newStore(), pub: &publisher{}, q: &queue{}, logs: &bytes.Buffer{}}
	seed(t, r.st, e)
	r.h = routerfn.NewWith(r.st, func(context.Context) (*scoring.Engine, error) { return e, nil }, r.pub, r.q, urls,
		slog.New(slog.NewJSONHandler(r.logs, nil)), func() time.Time { return changedAt.Add(2 * time.Second) })
	return r
}

func (r *rig) handle(t *testing.T, ev events.SQSEvent) []string {
	t.Helper()
	resp, err := r.h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

func TestFixtureBodiesAreWhatTheProcessorQueues(t *testing.T) {
	for _, rec := range fixture(t).Records {
		req, err := routing.Decode(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		q := &queue{}
		if err := routing.Send(context.Background(), q, req); err != nil {
			t.Fatal(err)
		}
		if q.bodies[0] != rec.Body {
			t.Errorf("fixture body is stale; routing.Send now queues:\n%s", q.bodies[0])
		}
		if want := scoring.QualifiedID(req.ContactID, req.Change.To, req.Change.At); req.ID != want {
			t.Errorf("fixture id %s, want QualifiedID %s", req.ID, want)
		}
	}
}

func TestRoutesAssignsPublishesAndQueuesWebhooks(t *testing.T) {
	r := newRig(t)
	if failed := r.handle(t, fixture(t)); len(failed) != 0 {
		t.Fatalf("failed %v; logs:\n%s", failed, r.logs)
	}
	ada, bo := r.st.Profile(adaID), r.st.Profile(boID)
	// Round-robin starts at each team's first member.
	if ada.Team != "enterprise" || ada.Owner != "ava@leadflow.example" || ada.RoutedID != adaReq {
		t.Errorf("ada: team %q owner %q routed %q", ada.Team, ada.Owner, ada.RoutedID)
	}
	if bo.Team != "growth" || bo.Owner != "chloe@leadflow.example" || bo.RoutedID != boReq {
		t.Errorf("bo: team %q owner %q routed %q", bo.Team, bo.Owner, bo.RoutedID)
	}
	if len(r.pub.events) != 2 {
		t.Fatalf("%d events published, want 2", len(r.pub.events))
	}
	ev := r.pub.events[0]
	var q scoring.QualifiedEvent
	if err := json.Unmarshal(ev.Detail.(json.RawMessage), &q); err != nil {
		t.Fatal(err)
	}
	if ev.DetailType != "lead.qualified" || len(ev.Resources) != 1 || ev.Resources[0] != adaID {
		t.Errorf("event %s resources %v", ev.DetailType, ev.Resources)
	}
	if q.ID != adaReq || q.Type != "lead.qualified" || q.ContactID != adaID || q.Email != "ada@acme-widgets.com" ||
		q.Stage != scoring.MQL || q.PreviousStage != scoring.Lead || q.StageReason != `Asked for a demo: event "Demo Requested"` ||
		q.Team != "enterprise" || q.Owner != "ava@leadflow.example" || !strings.HasPrefix(q.RoutingReason, `territory "Enterprise"`) {
		t.Errorf("lead.qualified %+v", q)
	}
	if q.Score != (scoring.Score{Total: 60, Fit: 30, Engagement: 30}) || len(q.Breakdown) != 3 {
		t.Errorf("score %+v breakdown %+v", q.Score, q.Breakdown)
	}
	// One delivery per endpoint per lead, each carrying the published body.
	if len(r.q.bodies) != 4 {
		t.Fatalf("%d webhook deliveries, want 4", len(r.q.bodies))
	}
	for i, raw := range r.q.bodies[:2] {
		d, err := webhook.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if d.ID != adaReq+"/"+string(rune('0'+i)) || d.URL != urls[i] || d.Attempt != 1 || d.Event != "lead.qualified" {
			t.Errorf("delivery %d: %+v", i, d)
		}
		detail, _ := json.Marshal(ev.Detail)
		if string(d.Body) != string(detail) {
			t.Errorf("delivery %d body differs from the published detail", i)
		}
	}
	if r.st.routes[adaReq] != "done" || r.st.routes[boReq] != "done" {
		t.Errorf("routes not finished: %v", r.st.routes)
	}
	if strings.Contains(r.logs.String(), "XyZsecretPathToken") {
		t.Errorf("logs leak a webhook URL path:\n%s", r.logs)
	}
}

func TestARedeliveredRequestAfterFinishingDoesNothing(t *testing.T) {
	r := newRig(t)
	r.handle(t, fixture(t))
	draws, events, deliveries := r.st.draws, len(r.pub.events), len(r.q.bodies)
	if failed := r.handle(t, fixture(t)); len(failed) != 0 {
		t.Fatalf("failed %v", failed)
	}
	if r.st.draws != draws || len(r.pub.events) != events || len(r.q.bodies) != deliveries {
		t.Errorf("redelivery drew %d turns, published %d, queued %d; want none",
			r.st.draws-draws, len(r.pub.events)-events, len(r.q.bodies)-deliveries)
	}
	if p := r.st.Profile(adaID); p.Owner != "ava@leadflow.example" {
		t.Errorf("owner changed to %q", p.Owner)
	}
}

func TestACrashAfterAssigningRedoesTheRestWithTheSameOwner(t *testing.T) {
	r := newRig(t)
	// The first delivery assigned and then failed to publish.
	r.pub.err = errors.New("eventbridge throttled")
	ev := fixture(t)
	ev.Records = ev.Records[:1]
	if failed := r.handle(t, ev); len(failed) != 1 {
		t.Fatalf("failed %v, want the record back for a retry", failed)
	}
	if r.st.routes[adaReq] != "open" || len(r.q.bodies) != 0 {
		t.Fatalf("after the crash: route %q, %d deliveries", r.st.routes[adaReq], len(r.q.bodies))
	}
	draws := r.st.draws
	r.pub.err = nil
	if failed := r.handle(t, ev); len(failed) != 0 {
		t.Fatalf("retry failed %v; logs:\n%s", failed, r.logs)
	}
	if r.st.draws != draws {
		t.Errorf("the retry drew another round-robin turn")
	}
	p := r.st.Profile(adaID)
	var q scoring.QualifiedEvent
	json.Unmarshal(r.pub.events[0].Detail.(json.RawMessage), &q)
	if p.Owner != "ava@leadflow.example" || q.Owner != p.Owner || !strings.HasPrefix(q.RoutingReason, `territory "Enterprise"`) {
		t.Errorf("owner %q, event owner %q reason %q", p.Owner, q.Owner, q.RoutingReason)
	}
	if len(r.q.bodies) != 2 || r.st.routes[adaReq] != "done" {
		t.Errorf("%d deliveries, route %q", len(r.q.bodies), r.st.routes[adaReq])
	}
}

func TestAConcurrentWriteKeepsTheDrawnTurn(t *testing.T) {
	r := newRig(t)
	// The processor writes Ada's profile between the router's read and save.
	r.st.BeforeSave = func(p *contact.Profile) {
		r.st.BeforeSave = nil
		other := r.st.Profile(p.ID)
		other.PageViews++
		if err := r.st.SaveProfile(context.Background(), other); err != nil {
			t.Error(err)
		}
	}
	ev := fixture(t)
	ev.Records = ev.Records[:1]
	if failed := r.handle(t, ev); len(failed) != 0 {
		t.Fatalf("failed %v; logs:\n%s", failed, r.logs)
	}
	p := r.st.Profile(adaID)
	if r.st.draws != 1 || p.Owner != "ava@leadflow.example" || p.PageViews != 1 {
		t.Errorf("draws %d owner %q page views %d; want one draw, the owner, and the processor's write kept", r.st.draws, p.Owner, p.PageViews)
	}
}

func TestAMergedContactIsRoutedAsItsSurvivor(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	// Ada was merged into a contact created later, after the request queued.
	survivor := r.st.Profile(adaID)
	survivor.ID, survivor.Version, survivor.MergedIDs = "c_survivor", 0, []string{adaID}
	if err := r.st.SaveProfile(ctx, survivor); err != nil {
		t.Fatal(err)
	}
	tomb := r.st.Profile(adaID)
	tomb.MergedInto = "c_survivor"
	if err := r.st.SaveProfile(ctx, tomb); err != nil {
		t.Fatal(err)
	}
	ev := fixture(t)
	ev.Records = ev.Records[:1]
	if failed := r.handle(t, ev); len(failed) != 0 {
		t.Fatalf("failed %v; logs:\n%s", failed, r.logs)
	}
	var q scoring.QualifiedEvent
	json.Unmarshal(r.pub.events[0].Detail.(json.RawMessage), &q)
	if q.ContactID != "c_survivor" || q.ID != adaReq || r.pub.events[0].Resources[0] != "c_survivor" {
		t.Errorf("event contact %s id %s; want the survivor and the request's id", q.ContactID, q.ID)
	}
	if p := r.st.Profile("c_survivor"); p.Owner == "" || p.RoutedID != adaReq {
		t.Errorf("survivor owner %q routed %q", p.Owner, p.RoutedID)
	}
	if p := r.st.Profile(adaID); p.Owner != "" {
		t.Errorf("the tombstone got an owner")
	}
}

func TestBadRequestsFailAlone(t *testing.T) {
	r := newRig(t)
	ev := fixture(t)
	ev.Records = append(ev.Records, events.SQSMessage{MessageId: "garbage", Body: "not a request"},
		events.SQSMessage{MessageId: "nobody", Body: `{"id":"x","contact_id":"c_nobody","change":{"from":"lead","to":"mql","at":"2025-03-10T09:04:31Z"}}`})
	failed := r.handle(t, ev)
	if strings.Join(failed, ",") != "garbage,nobody" {
		t.Errorf("failed %v, want garbage,nobody", failed)
	}
	if len(r.pub.events) != 2 {
		t.Errorf("%d published; the good records must still go out", len(r.pub.events))
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		catalog.EnvTableName:                       "leadflow",
		catalog.EnvEventBusName:                    "leadflow",
		catalog.QueueURLEnv(catalog.WebhooksQueue): "https://sqs.us-east-1.amazonaws.com/123456789012/webhooks",
		catalog.EnvWebhookURLs:                     " https://a.example/x ,https://b.example/y",
	}
	c, err := routerfn.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || len(c.WebhookURLs) != 2 || c.WebhookURLs[0] != "https://a.example/x" {
		t.Fatalf("%+v, %v", c.WebhookURLs, err)
	}
	env[catalog.EnvWebhookURLs] = ""
	if c, err := routerfn.ConfigFromEnv(func(k string) string { return env[k] }); err != nil || len(c.WebhookURLs) != 0 {
		t.Errorf("no webhooks: %v, %v", c.WebhookURLs, err)
	}
	env[catalog.EnvWebhookURLs] = "http://crm.example.com/hook"
	if _, err := routerfn.ConfigFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("plain http to a remote host accepted")
	}
	env[catalog.EnvWebhookURLs] = ""
	env[catalog.EnvEventBusName] = ""
	if _, err := routerfn.ConfigFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("missing bus accepted")
	}
}
