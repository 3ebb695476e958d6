package seseventsfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/report"
	"github.com/leadflow/leadflow/shared/sesevent"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Ids in the events/ses fixtures.
const (
	bounceSend    = "snd_01jnwc2k8g7b2d4f6h8k0m2p4r"
	bounceContact = "c_01jnw9a3c5e7g9j1k3m5p7r9t1"
	janeSend      = "snd_01jnwc2k8f4m6p9r3t5v7x9z1b" // delivery, open and click
	janeContact   = "c_01jnw8q5r3d9k2m4v6x8z0b2c4"
)

var fixtureNow = time.Date(2025, 3, 10, 14, 0, 0, 0, time.UTC)

// memStore is the DynamoDB store's behaviour in memory: order-safe send
// moves, first-reason suppression, counted-once markers.
type memStore struct {
	mu         sync.Mutex
	sends      map[string]mail.SendState
	profiles   map[string]contact.Profile
	suppressed map[string]string
	soft       map[string][]sesevent.SoftBounce
	seen       map[string]bool
	counts     sesevent.Counts
	calls      []string
	failOn     string
}

func newStore() *memStore {
	return &memStore{sends: map[string]mail.SendState{}, profiles: map[string]contact.Profile{},
		suppressed: map[string]string{}, soft: map[string][]sesevent.SoftBounce{}, seen: map[string]bool{}}
}

func (s *memStore) call(name string) error {
	s.calls = append(s.calls, name)
	if s.failOn == name {
		return errors.New(name + " failed")
	}
	return nil
}

func (s *memStore) GetProfile(_ context.Context, id string) (*contact.Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.profiles[id]
	if !ok {
		return nil, contact.ErrNotFound
	}
	return &p, nil
}

func (s *memStore) SaveProfile(_ context.Context, p *contact.Profile) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("SaveProfile"); err != nil {
		return err
	}
	if s.profiles[p.ID].Version != p.Version {
		return contact.ErrConflict
	}
	p.Version++
	s.profiles[p.ID] = *p
	return nil
}

func (s *memStore) GetSend(_ context.Context, id string) (mail.SendState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.sends[id]
	if !ok {
		return rec, mail.ErrSendNotFound
	}
	return rec, nil
}

var movesFrom = map[string][]string{
	mail.Sent:      {mail.Claimed, mail.InDoubt},
	mail.Delivered: {mail.Claimed, mail.InDoubt, mail.Sent},
	mail.Bounced:   {mail.Claimed, mail.InDoubt, mail.Sent, mail.Delivered},
	mail.Rejected:  {mail.Claimed, mail.InDoubt, mail.Sent},
	mail.Complaint: {mail.Claimed, mail.InDoubt, mail.Sent, mail.Delivered},
}

func (s *memStore) move(id, state, messageID, reason string, from []string) {
	rec, ok := s.sends[id]
	if !ok || !slices.Contains(from, rec.State) {
		return
	}
	rec.State, rec.Reason = state, reason
	if messageID != "" {
		rec.MessageID = messageID
	}
	s.sends[id] = rec
}

func (s *memStore) ResolveInDoubt(_ context.Context, id, messageID, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("ResolveInDoubt"); err != nil {
		return err
	}
	s.move(id, state, messageID, "settled", []string{mail.Claimed, mail.InDoubt})
	return nil
}

func (s *memStore) MarkSend(_ context.Context, id, state, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("MarkSend"); err != nil {
		return err
	}
	s.move(id, state, "", reason, movesFrom[state])
	return nil
}

func (s *memStore) NoteSend(_ context.Context, id, note string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.sends[id]; ok && rec.State == mail.Sent {
		rec.Reason = note
		s.sends[id] = rec
	}
	return s.call("NoteSend")
}

func (s *memStore) Suppress(_ context.Context, email, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("Suppress"); err != nil {
		return err
	}
	if _, ok := s.suppressed[email]; !ok {
		s.suppressed[email] = reason
	}
	return nil
}

func (s *memStore) AddSoftBounce(_ context.Context, email string, b sesevent.SoftBounce, _ time.Duration) ([]sesevent.SoftBounce, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.soft[email] = append(s.soft[email], b)
	return slices.Clone(s.soft[email]), s.call("AddSoftBounce")
}

func (s *memStore) CountMailOnce(_ context.Context, key string, _ time.Time, add sesevent.Counts) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("CountMailOnce"); err != nil {
		return false, err
	}
	if s.seen[key] {
		return false, nil
	}
	s.seen[key] = true
	s.counts.Sent += add.Sent
	s.counts.Bounces += add.Bounces
	s.counts.Complaints += add.Complaints
	return true, nil
}

type accountList struct {
	added map[string]string
	err   error
}

func (a *accountList) Suppress(_ context.Context, email, reason string) error {
	if a.err != nil {
		return a.err
	}
	a.added[email] = reason
	return nil
}

type memQueue struct{ bodies []string }

func (q *memQueue) Enqueue(_ context.Context, body string) error {
	q.bodies = append(q.bodies, body)
	return nil
}

func (q *memQueue) messages(t *testing.T) []tracking.Message {
	t.Helper()
	var out []tracking.Message
	for _, b := range q.bodies {
		batch, err := tracking.DecodeBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, batch.Messages...)
	}
	return out
}

type fixture struct {
	h     *Handler
	store *memStore
	list  *accountList
	queue *memQueue
	logs  *bytes.Buffer
}

func newFixture() *fixture {
	f := &fixture{store: newStore(), list: &accountList{added: map[string]string{}}, queue: &memQueue{}, logs: &bytes.Buffer{}}
	f.h = NewWith(Deps{Store: f.store, AccountList: f.list, Events: f.queue, Now: func() time.Time { return fixtureNow }},
		slog.New(slog.NewJSONHandler(f.logs, nil)))
	return f
}

func (f *fixture) sent(id, contactID, state string) {
	f.store.sends[id] = mail.SendState{Record: mail.Record{SendID: id, ContactID: contactID, State: state}}
}

// load reads an events/ses fixture exactly as the function receives it.
func load(t *testing.T, name string) events.EventBridgeEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "ses", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// edit changes a fixture's detail (a soft bounce from the hard one, say).
func edit(t *testing.T, ev events.EventBridgeEvent, change func(d map[string]any)) events.EventBridgeEvent {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		t.Fatal(err)
	}
	change(d)
	raw, _ := json.Marshal(d)
	ev.Detail = raw
	return ev
}

func (f *fixture) handle(t *testing.T, ev events.EventBridgeEvent) Result {
	t.Helper()
	res, err := f.h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return res
}

func TestHardBounceFixture(t *testing.T) {
	f := newFixture()
	f.sent(bounceSend, bounceContact, mail.Sent)
	ev := load(t, "bounce.json")
	for i := 0; i < 2; i++ { // EventBridge delivers twice
		f.handle(t, ev)
	}
	if rec := f.store.sends[bounceSend]; rec.State != mail.Bounced || rec.Reason != "permanent bounce (General) 5.1.1" {
		t.Errorf("send %+v", rec.Record)
	}
	if f.store.suppressed["no-such-user@example.net"] != "bounce" || f.list.added["no-such-user@example.net"] != "bounce" {
		t.Errorf("suppressed %v, SES list %v", f.store.suppressed, f.list.added)
	}
	if f.store.counts != (sesevent.Counts{Bounces: 1}) {
		t.Errorf("counted %+v, want one bounce", f.store.counts)
	}
	msgs := f.queue.messages(t)
	if len(msgs) != 2 || msgs[0].MessageID != msgs[1].MessageID || msgs[0].Event != "Email Bounced" || msgs[0].ContactID != bounceContact ||
		msgs[0].Properties["permanent"] != true || msgs[0].Properties["campaign_id"] != "cmp_spring_launch" {
		t.Errorf("timeline %+v (one id for both deliveries)", msgs)
	}
	// The first delivery's log line is an EMF record with one bounce.
	line := strings.SplitN(f.logs.String(), "\n", 2)[0]
	var rec map[string]any
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["_aws"] == nil || rec["Bounces"] != float64(1) || rec["Sends"] != float64(0) {
		t.Errorf("log line %s", line)
	}
	if strings.Contains(f.logs.String(), "no-such-user@example.net") {
		t.Error("an email address was logged")
	}
}

func TestComplaintFixture(t *testing.T) {
	f := newFixture()
	ev := load(t, "complaint.json")
	var d struct {
		Mail struct {
			Tags map[string][]string `json:"tags"`
		} `json:"mail"`
	}
	json.Unmarshal(ev.Detail, &d)
	sendID, cid := d.Mail.Tags["send_id"][0], d.Mail.Tags["contact_id"][0]
	f.sent(sendID, cid, mail.Delivered)
	f.store.profiles[cid] = contact.Profile{ID: cid, Email: "sam.lee@example.org", Status: "subscribed", Version: 1}
	res := f.handle(t, ev)
	if !res.Unsubscribed || !res.Counted || res.Suppressed != 1 {
		t.Errorf("result %+v", res)
	}
	if p := f.store.profiles[cid]; p.Status != "unsubscribed" {
		t.Errorf("status %q", p.Status)
	}
	if f.store.suppressed["sam.lee@example.org"] != "complaint" || f.list.added["sam.lee@example.org"] != "complaint" {
		t.Errorf("suppressed %v %v", f.store.suppressed, f.list.added)
	}
	if rec := f.store.sends[sendID]; rec.State != mail.Complaint {
		t.Errorf("send state %s", rec.State)
	}
	if msgs := f.queue.messages(t); len(msgs) != 1 || msgs[0].Event != "Email Marked as Spam" || msgs[0].Properties["unsubscribed"] != true {
		t.Errorf("timeline %+v", msgs)
	}
	if f.store.counts != (sesevent.Counts{Complaints: 1}) {
		t.Errorf("counts %+v", f.store.counts)
	}
}

func TestDeliveryFixtureSettlesASendInDoubt(t *testing.T) {
	tests := []struct {
		start      string
		wantState  string
		wantSettle bool
		wantCalls  []string
	}{
		// The crash case: SES took the message, the sender never learned.
		{mail.InDoubt, mail.Delivered, true, []string{"ResolveInDoubt", "MarkSend"}},
		{mail.Claimed, mail.Delivered, true, []string{"ResolveInDoubt", "MarkSend"}},
		{mail.Sent, mail.Delivered, false, []string{"MarkSend"}},
		{mail.Complaint, mail.Complaint, false, []string{"MarkSend"}}, // order-safe in the store
	}
	for _, tc := range tests {
		t.Run(tc.start, func(t *testing.T) {
			f := newFixture()
			f.sent(janeSend, janeContact, tc.start)
			res := f.handle(t, load(t, "delivery.json"))
			rec := f.store.sends[janeSend]
			if rec.State != tc.wantState || res.Settled != tc.wantSettle || !slices.Equal(f.store.calls, tc.wantCalls) {
				t.Errorf("state %s settled %v calls %v", rec.State, res.Settled, f.store.calls)
			}
			if tc.wantSettle && rec.MessageID != "0100019580f2a6c4-7e1b3d5f-2a4c-4e6b-9d8f-1c3e5a7b9d0f-000000" {
				t.Errorf("message id %q", rec.MessageID)
			}
			if len(f.queue.bodies) != 0 {
				t.Error("a delivery is not a timeline event")
			}
		})
	}
}

func TestSendEventSettlesAndCountsAsAMetricOnly(t *testing.T) {
	f := newFixture()
	f.sent(janeSend, janeContact, mail.InDoubt)
	ev := edit(t, load(t, "delivery.json"), func(d map[string]any) {
		d["eventType"] = "Send"
		delete(d, "delivery")
		d["send"] = map[string]any{}
	})
	ev.DetailType = "Email Sent"
	res := f.handle(t, ev)
	if rec := f.store.sends[janeSend]; rec.State != mail.Sent || !res.Settled {
		t.Errorf("state %s", rec.State)
	}
	if f.store.counts != (sesevent.Counts{}) {
		t.Error("sends are counted by the sender, not here")
	}
	if !strings.Contains(f.logs.String(), `"Sends":1`) {
		t.Errorf("no Sends metric in %s", f.logs.String())
	}
}

func TestOpenAndClickFixtures(t *testing.T) {
	f := newFixture()
	f.sent(janeSend, janeContact, mail.Delivered)
	f.handle(t, load(t, "open.json"))
	f.handle(t, load(t, "click.json"))
	msgs := f.queue.messages(t)
	if len(msgs) != 2 {
		t.Fatalf("timeline %+v", msgs)
	}
	open, click := msgs[0], msgs[1]
	if open.Event != "Email Opened" || open.ContactID != janeContact || open.Properties["machine"] != false || open.Properties["proxy"] != "gmail" {
		t.Errorf("open %+v", open)
	}
	if click.Event != "Email Link Clicked" || click.Properties["url"] != "https://www.acme-widgets.com/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=spring_launch&utm_content=hero_button" {
		t.Errorf("click %+v", click)
	}
	if f.store.sends[janeSend].State != mail.Delivered {
		t.Error("an open does not move a delivered send")
	}
}

func TestSoftBouncesSuppressAfterTheThreshold(t *testing.T) {
	f := newFixture()
	base := load(t, "bounce.json")
	for i, fb := range []string{"fb-1", "fb-1", "fb-2", "fb-3"} { // fb-1 redelivered
		ev := edit(t, base, func(d map[string]any) {
			b := d["bounce"].(map[string]any)
			b["bounceType"], b["bounceSubType"], b["feedbackId"] = "Transient", "MailboxFull", fb
		})
		res := f.handle(t, ev)
		wantSuppressed := i == 3
		if _, got := f.store.suppressed["no-such-user@example.net"]; got != wantSuppressed || (res.Suppressed == 1) != wantSuppressed {
			t.Fatalf("after %s (#%d): suppressed %v", fb, i, f.store.suppressed)
		}
	}
	if f.store.suppressed["no-such-user@example.net"] != "soft_bounces" || len(f.list.added) != 0 || f.store.counts != (sesevent.Counts{}) {
		t.Errorf("suppressed %v SES list %v counts %+v: soft bounces go on Leadflow's list only and are not hard-bounce counts",
			f.store.suppressed, f.list.added, f.store.counts)
	}
}

func TestSESListFailureIsBestEffort(t *testing.T) {
	f := newFixture()
	f.list.err = errors.New("NotFound: the local SES server has no suppression API")
	if _, err := f.h.Handle(context.Background(), load(t, "bounce.json")); err != nil {
		t.Fatal(err)
	}
	if f.store.suppressed["no-such-user@example.net"] != "bounce" || !strings.Contains(f.logs.String(), "SES account suppression list not updated") {
		t.Errorf("suppressed %v; logs %s", f.store.suppressed, f.logs.String())
	}
}

func TestAFailedStepFailsTheInvocation(t *testing.T) {
	for _, step := range []string{"Suppress", "MarkSend", "CountMailOnce"} {
		t.Run(step, func(t *testing.T) {
			f := newFixture()
			f.sent(bounceSend, bounceContact, mail.Sent)
			f.store.failOn = step
			if _, err := f.h.Handle(context.Background(), load(t, "bounce.json")); err == nil {
				t.Fatal("no error: Lambda would not retry")
			}
			// The retry (step healed) completes and counts once.
			f.store.failOn = ""
			f.handle(t, load(t, "bounce.json"))
			if f.store.counts != (sesevent.Counts{Bounces: 1}) || f.store.suppressed["no-such-user@example.net"] != "bounce" {
				t.Errorf("after the retry: counts %+v suppressed %v", f.store.counts, f.store.suppressed)
			}
		})
	}
}

func TestUnreadableEventsAreDropped(t *testing.T) {
	f := newFixture()
	for _, detail := range []string{`{"eventType":"Subscription","mail":{"messageId":"m"}}`, `not json`} {
		ev := events.EventBridgeEvent{ID: "e1", DetailType: "Email Subscription", Source: "aws.ses", Detail: json.RawMessage(detail)}
		if _, err := f.h.Handle(context.Background(), ev); err != nil {
			t.Errorf("%s: %v", detail, err)
		}
	}
	if len(f.store.calls) != 0 || len(f.queue.bodies) != 0 {
		t.Errorf("calls %v", f.store.calls)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"TABLE_NAME": "t", "QUEUE_URL_EVENTS": "http://q"}
	c, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || c.SoftBounces.Threshold != 3 {
		t.Errorf("%+v %v", c, err)
	}
	if _, err := ConfigFromEnv(func(string) string { return "" }); err == nil {
		t.Error("no error without a table")
	}
}

// staleStore reads a send as claimed while the sender has already recorded
// it as sent (the race between SES's events and the sender's own write).
type staleStore struct{ *memStore }

func (s staleStore) GetSend(ctx context.Context, id string) (mail.SendState, error) {
	rec, err := s.memStore.GetSend(ctx, id)
	rec.State = mail.Claimed
	return rec, err
}

func TestABounceRacingTheSendersOwnWriteStillLands(t *testing.T) {
	f := newFixture()
	f.sent(bounceSend, bounceContact, mail.Sent)
	f.h = NewWith(Deps{Store: staleStore{f.store}, AccountList: f.list, Events: f.queue, Now: func() time.Time { return fixtureNow }}, slog.New(slog.NewJSONHandler(f.logs, nil)))
	f.handle(t, load(t, "bounce.json"))
	if rec := f.store.sends[bounceSend]; rec.State != mail.Bounced {
		t.Errorf("state %s: the resolve was a no-op and nothing marked the bounce", rec.State)
	}
}

// reportWrites records the dashboard counts the handler writes.
type reportWrites struct{ sum report.Tally }

func (r *reportWrites) AddReportCounts(_ context.Context, day string, _ int, c report.Counts) error {
	for k, n := range c {
		r.sum.Add(day, k, n)
	}
	return nil
}

func TestDeliveriesCountOnTheDashboardAndNothingElseDoes(t *testing.T) {
	f := newFixture()
	w := &reportWrites{sum: report.Tally{}}
	f.h = NewWith(Deps{Store: f.store, AccountList: f.list, Events: f.queue, Reports: w, Now: func() time.Time { return fixtureNow }},
		slog.New(slog.NewJSONHandler(f.logs, nil)))
	f.sent(janeSend, janeContact, mail.Sent)
	f.handle(t, load(t, "delivery.json"))
	// Bounces, complaints, opens and clicks are counted by the processor
	// from their timeline events, not here.
	for _, name := range []string{"bounce.json", "complaint.json", "open.json", "click.json"} {
		f.handle(t, load(t, name))
	}
	var delivered int64
	for day, c := range w.sum {
		if len(c) != 1 || c[report.Delivered] != 1 {
			t.Fatalf("day %s counts %v, want one delivery only", day, c)
		}
		delivered += c[report.Delivered]
	}
	if delivered != 1 {
		t.Fatalf("%d deliveries counted, want 1", delivered)
	}
}
