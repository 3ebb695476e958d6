package mail

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/template"
)

// memSends is a send store with the DynamoDB adapter's conditions.
type memSends struct {
	mu   sync.Mutex
	recs map[string]SendState
}

func (m *memSends) GetSend(_ context.Context, id string) (SendState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[id]
	if !ok {
		return SendState{}, ErrSendNotFound
	}
	return r, nil
}

func (m *memSends) SaveSend(_ context.Context, st SendState, prev int64) (SendState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.recs[st.SendID]
	if (prev == 0 && ok) || (prev != 0 && (!ok || cur.Version != prev)) {
		return cur, ErrSendConflict
	}
	st.Version = prev + 1
	m.recs[st.SendID] = st
	return st, nil
}

func (m *memSends) ReleaseSend(_ context.Context, id string, v int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.recs[id]; ok && cur.Version == v && cur.State == Claimed {
		delete(m.recs, id)
	}
	return nil
}

type memCaps struct {
	mu   sync.Mutex
	recs map[string]CapRecord
}

func (m *memCaps) MarketingSends(_ context.Context, id string) (CapRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.recs[id], nil
}

func (m *memCaps) SaveMarketingSends(_ context.Context, id string, rec CapRecord, prev int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs[id].Version != prev {
		return ErrCapConflict
	}
	rec.Version = prev + 1
	m.recs[id] = rec
	return nil
}

type memRate struct {
	mu    sync.Mutex
	count map[int64]int
}

func (m *memRate) TakeRate(_ context.Context, sec int64, want, limit int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	got := min(want, limit-m.count[sec])
	if got < 0 {
		got = 0
	}
	m.count[sec] += got
	return got, nil
}

type fakeRecipients map[string]Recipient

func (f fakeRecipients) Recipient(_ context.Context, id string) (Recipient, error) {
	r, ok := f[id]
	if !ok {
		return Recipient{}, ErrContactNotFound
	}
	return r, nil
}

type noSuppressions map[string]bool

func (n noSuppressions) IsSuppressed(_ context.Context, email string) (bool, error) {
	return n[email], nil
}

// scriptedMailer answers each call with the next error of its script (nil:
// accepted), and records what it was asked to send.
type scriptedMailer struct {
	mu     sync.Mutex
	script []error
	sent   []Message
	calls  int
}

func (m *scriptedMailer) Send(_ context.Context, msg Message) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	var err error
	if len(m.script) > 0 {
		err, m.script = m.script[0], m.script[1:]
	}
	if err != nil {
		return "", err
	}
	m.sent = append(m.sent, msg)
	return "ses-" + msg.Tags[TagSendID], nil
}

type queued struct {
	r     Request
	delay time.Duration
}

type memQueue struct {
	mu  sync.Mutex
	got []queued
}

func (q *memQueue) EnqueueDelayed(_ context.Context, body string, delay time.Duration) error {
	r, err := Decode(body)
	if err != nil {
		return err
	}
	q.mu.Lock()
	q.got = append(q.got, queued{r, delay})
	q.mu.Unlock()
	return nil
}

type staticTemplates map[string]*template.Compiled

func (s staticTemplates) Compiled(_ context.Context, id string) (*template.Compiled, error) {
	c, ok := s[id]
	if !ok {
		return nil, ErrTemplateNotFound
	}
	return c, nil
}

type fixture struct {
	p      *Pipeline
	sends  *memSends
	mailer *scriptedMailer
	queue  *memQueue
	caps   *memCaps
	now    time.Time
}

func newFixture(t *testing.T, script ...error) *fixture {
	f := &fixture{
		sends: &memSends{recs: map[string]SendState{}}, mailer: &scriptedMailer{script: script},
		queue: &memQueue{}, caps: &memCaps{recs: map[string]CapRecord{}},
		now: time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC),
	}
	f.p = &Pipeline{
		Settings: testSettings(), Links: testLinks(t), ConfigSet: "leadflow",
		Sends: f.sends, Suppressions: noSuppressions{"gone@example.com": true}, Caps: f.caps,
		Recipients: fakeRecipients{
			"c_ada":   {Email: "ada@example.com", Status: "subscribed", Timezone: "Europe/Berlin"},
			"c_bo":    {Email: "bo@example.com", Status: "pending"},
			"c_gone":  {Email: "gone@example.com", Status: "subscribed"},
			"c_night": {Email: "night@example.com", Status: "subscribed", Timezone: "Asia/Tokyo"},
		},
		Templates: staticTemplates{"news": compile(t, marketingTemplate), "double-opt-in": compile(t, confirmTemplate)},
		Mailer:    f.mailer, Requeue: f.queue,
		Pacer:           NewPacer(&memRate{count: map[int64]int{}}, 100),
		ConfirmTemplate: "double-opt-in",
		Log:             slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:             func() time.Time { return f.now },
	}
	return f
}

func (f *fixture) run(t *testing.T, reqs ...Request) []Result {
	t.Helper()
	return f.p.Process(context.Background(), reqs)
}

var news = Request{SendID: "a-news-1", ContactID: "c_ada", TemplateID: "news"}

func TestPipelineSendsOnce(t *testing.T) {
	f := newFixture(t)
	res := f.run(t, news, news) // the same send id twice in one batch
	sent, dup := 0, 0
	for _, r := range res {
		switch r.Outcome {
		case OutcomeSent:
			sent++
		case OutcomeDuplicate:
			dup++
		}
	}
	if sent != 1 || dup != 1 || f.mailer.calls != 1 {
		t.Fatalf("outcomes %+v, %d SES calls", res, f.mailer.calls)
	}
	rec := f.sends.recs[news.SendID]
	if rec.State != Sent || rec.MessageID != "ses-a-news-1" || rec.SentAt.IsZero() {
		t.Errorf("record %+v", rec)
	}
	// A redelivery later finds the record and does nothing.
	if res := f.run(t, news); res[0].Outcome != OutcomeDuplicate || f.mailer.calls != 1 {
		t.Errorf("redelivery: %+v, %d SES calls", res, f.mailer.calls)
	}
}

func TestPipelineOutcomes(t *testing.T) {
	throttled := &SendError{Failure: Throttled, Reason: "TooManyRequestsException"}
	tests := []struct {
		name        string
		req         Request
		script      []error
		before      *SendState
		wantOutcome string
		wantState   string // "" when no record should exist
		wantReason  string
		wantCalls   int
		wantQueued  int
		wantRetry   bool
	}{
		{name: "unsubscribed marketing", req: Request{SendID: "s1", ContactID: "c_bo", TemplateID: "news"},
			wantOutcome: OutcomeSkipped, wantState: Skipped, wantReason: ReasonPending},
		{name: "suppressed address", req: Request{SendID: "s2", ContactID: "c_gone", TemplateID: "news"},
			wantOutcome: OutcomeSkipped, wantState: Skipped, wantReason: ReasonSuppressed},
		{name: "double opt-in to a pending contact", req: Request{SendID: "s3", ContactID: "c_bo", TemplateID: "double-opt-in", Kind: Transactional, Source: Source{Form: "newsletter"}},
			wantOutcome: OutcomeSent, wantState: Sent, wantCalls: 1},
		{name: "contact not written yet: re-queued, no record", req: Request{SendID: "s4", ContactID: "c_nobody", TemplateID: "news"},
			wantOutcome: OutcomeWaiting, wantState: "", wantQueued: 1},
		{name: "unknown contact after waiting", req: Request{SendID: "s4", ContactID: "c_nobody", TemplateID: "news", Attempt: ContactWaitAttempts - 1},
			wantOutcome: OutcomeFailed, wantState: Failed, wantReason: "contact c_nobody not found"},
		{name: "unknown template", req: Request{SendID: "s5", ContactID: "c_ada", TemplateID: "nope"},
			wantOutcome: OutcomeFailed, wantState: Failed, wantReason: "template not found"},
		{name: "marketing template as transactional", req: Request{SendID: "s6", ContactID: "c_bo", TemplateID: "news", Kind: Transactional},
			wantOutcome: OutcomeFailed, wantState: Failed, wantReason: "cannot be sent as transactional"},
		{name: "quiet hours defer", req: Request{SendID: "s7", ContactID: "c_night", TemplateID: "news"},
			wantOutcome: OutcomeDeferred, wantState: Deferred, wantReason: ReasonQuietHours, wantQueued: 1},
		{name: "a recipient-time campaign that opted out of quiet hours is sent at night",
			req:         Request{SendID: "s7q", ContactID: "c_night", TemplateID: "news", IgnoreQuietHours: true, Source: Source{Campaign: "early"}},
			wantOutcome: OutcomeSent, wantState: Sent, wantCalls: 1},
		{name: "throttled: released and re-queued", req: news, script: []error{throttled},
			wantOutcome: OutcomeThrottled, wantState: "", wantCalls: 1, wantQueued: 1},
		{name: "refused", req: news, script: []error{&SendError{Failure: Refused, Reason: "MessageRejected: Email address is not verified"}},
			wantOutcome: OutcomeFailed, wantState: Failed, wantReason: "not verified", wantCalls: 1},
		{name: "server error: in doubt, re-checked later", req: news, script: []error{&SendError{Failure: ServerError, Reason: "InternalFailure"}},
			wantOutcome: OutcomeInDoubt, wantState: InDoubt, wantReason: "InternalFailure", wantCalls: 1, wantQueued: 1},
		{name: "no answer: in doubt for good", req: news, script: []error{&SendError{Failure: NoAnswer, Reason: "EOF"}},
			wantOutcome: OutcomeInDoubt, wantState: InDoubt, wantReason: "EOF", wantCalls: 1},
		{name: "an unclassified error counts as no answer", req: news, script: []error{errors.New("boom")},
			wantOutcome: OutcomeInDoubt, wantState: InDoubt, wantCalls: 1},
		{name: "young claim: another invocation is sending", req: news,
			before:      &SendState{Record: Record{SendID: news.SendID, State: Claimed, ClaimedAt: time.Date(2026, 11, 24, 14, 58, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 11, 24, 14, 58, 0, 0, time.UTC)}, Version: 1},
			wantOutcome: OutcomeRetry, wantState: Claimed, wantRetry: true},
		{name: "expired claim: in doubt, never resent", req: news,
			before:      &SendState{Record: Record{SendID: news.SendID, State: Claimed, ClaimedAt: time.Date(2026, 11, 24, 14, 40, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 11, 24, 14, 40, 0, 0, time.UTC)}, Version: 1},
			wantOutcome: OutcomeInDoubt, wantState: InDoubt, wantReason: "never resent"},
		{name: "in doubt after no answer stays so", req: news,
			before:      &SendState{Record: Record{SendID: news.SendID, State: InDoubt, UpdatedAt: time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)}, Cause: CauseNoAnswer, Version: 2},
			wantOutcome: OutcomeInDoubt, wantState: InDoubt},
		{name: "server error unanswered by events for the window: sent again", req: news,
			before:      &SendState{Record: Record{SendID: news.SendID, State: InDoubt, UpdatedAt: time.Date(2026, 11, 24, 14, 49, 0, 0, time.UTC)}, Cause: CauseServerError, Version: 2},
			wantOutcome: OutcomeSent, wantState: Sent, wantCalls: 1},
		{name: "server error re-check too early waits", req: news,
			before:      &SendState{Record: Record{SendID: news.SendID, State: InDoubt, UpdatedAt: time.Date(2026, 11, 24, 14, 55, 0, 0, time.UTC)}, Cause: CauseServerError, Version: 2},
			wantOutcome: OutcomeWaiting, wantState: InDoubt, wantQueued: 1},
		{name: "settled by an SES event", req: news,
			before:      &SendState{Record: Record{SendID: news.SendID, State: Delivered}, Version: 3},
			wantOutcome: OutcomeDuplicate, wantState: Delivered},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.script...)
			if tc.before != nil {
				f.sends.recs[tc.before.SendID] = *tc.before
			}
			res := f.run(t, tc.req)[0]
			if res.Outcome != tc.wantOutcome || res.Retry != tc.wantRetry {
				t.Errorf("outcome %s retry %v (%v), want %s retry %v", res.Outcome, res.Retry, res.Err, tc.wantOutcome, tc.wantRetry)
			}
			rec, ok := f.sends.recs[tc.req.SendID]
			if tc.wantState == "" && ok {
				t.Errorf("record %+v, want none", rec)
			}
			if tc.wantState != "" && (rec.State != tc.wantState || !strings.Contains(rec.Reason, tc.wantReason)) {
				t.Errorf("record state %q reason %q, want %q containing %q", rec.State, rec.Reason, tc.wantState, tc.wantReason)
			}
			if f.mailer.calls != tc.wantCalls || len(f.queue.got) != tc.wantQueued {
				t.Errorf("%d SES calls, %d re-queued; want %d, %d", f.mailer.calls, len(f.queue.got), tc.wantCalls, tc.wantQueued)
			}
		})
	}
}

func TestThrottledSendIsRetriedNotDropped(t *testing.T) {
	f := newFixture(t, &SendError{Failure: Throttled, Reason: "TooManyRequestsException"}, &SendError{Failure: Throttled, Reason: "TooManyRequestsException"})
	f.run(t, news)
	for i := 0; i < 3 && len(f.queue.got) > 0; i++ {
		q := f.queue.got[0]
		f.queue.got = f.queue.got[1:]
		if q.r.Attempt != i+1 || q.delay < time.Second {
			t.Errorf("retry %d: attempt %d delay %s", i, q.r.Attempt, q.delay)
		}
		f.run(t, q.r)
	}
	if rec := f.sends.recs[news.SendID]; rec.State != Sent || f.mailer.calls != 3 || len(f.mailer.sent) != 1 {
		t.Errorf("record %+v after %d calls, %d accepted", rec, f.mailer.calls, len(f.mailer.sent))
	}
}

func TestFrequencyCapDefersAndCountsOnce(t *testing.T) {
	f := newFixture(t)
	for i, id := range []string{"m1", "m2", "m3"} {
		f.now = f.now.Add(time.Duration(i) * time.Minute)
		f.run(t, Request{SendID: id, ContactID: "c_ada", TemplateID: "news"})
	}
	if f.sends.recs["m1"].State != Sent || f.sends.recs["m2"].State != Sent {
		t.Fatalf("first two: %+v %+v", f.sends.recs["m1"], f.sends.recs["m2"])
	}
	d := f.sends.recs["m3"]
	if d.State != Deferred || d.Reason != ReasonFrequencyCap || len(f.queue.got) != 1 {
		t.Fatalf("third: %+v, queued %v", d, f.queue.got)
	}
	q := f.queue.got[0]
	// The SQS adapter clamps the delay to 15 minutes: a longer wait hops.
	if !q.r.NotBefore.Equal(d.NotBefore) || q.delay != d.NotBefore.Sub(f.now) || q.r.Attempt != 1 {
		t.Errorf("re-queued %+v with %s; record not before %s", q.r, q.delay, d.NotBefore)
	}
	// Back before its time: it waits again, unchanged.
	f.queue.got = nil
	if res := f.run(t, q.r); res[0].Outcome != OutcomeWaiting || len(f.queue.got) != 1 {
		t.Errorf("early: %+v", res)
	}
	// Once the window lets it through (and it is daytime in Berlin) it goes.
	f.now = d.NotBefore
	if res := f.run(t, q.r); res[0].Outcome != OutcomeSent {
		t.Errorf("at not-before: %+v", res)
	}
	// The caps count m1..m3 once each, however often they were looked at.
	if got := len(f.caps.recs["c_ada"].Sends); got != 3 {
		t.Errorf("caps record holds %d sends", got)
	}
}

func TestPacingKeepsToTheRate(t *testing.T) {
	f := newFixture(t)
	rate := &memRate{count: map[int64]int{}}
	f.p.Pacer = NewPacer(rate, 3)
	f.p.Recipients = fakeRecipients{}
	var reqs []Request
	recs := fakeRecipients{}
	for i := range 7 {
		id := "c_" + string(rune('a'+i))
		recs[id] = Recipient{Email: id[2:] + "@example.com", Status: "subscribed"}
		reqs = append(reqs, Request{SendID: "p-" + id, ContactID: id, TemplateID: "double-opt-in"})
	}
	f.p.Recipients = recs
	f.p.Now = time.Now // the pacer runs on the clock
	res := f.p.Process(context.Background(), reqs)
	for _, r := range res {
		if r.Outcome != OutcomeSent {
			t.Errorf("%s: %s %v", r.SendID, r.Outcome, r.Err)
		}
	}
	total := 0
	for sec, n := range rate.count {
		if n > 3 {
			t.Errorf("second %d took %d sends, limit 3", sec, n)
		}
		total += n
	}
	if total != 7 || len(rate.count) < 3 {
		t.Errorf("%d tokens over %d seconds", total, len(rate.count))
	}
}

func TestPacerStopsAtTheDeadline(t *testing.T) {
	// The deadline is the last moment a send may start: a second that
	// begins before it still gives its tokens. On the wall clock the count
	// depended on where in a second the test began, so the clock here moves
	// only when the pacer sleeps.
	for _, tc := range []struct {
		name  string
		start time.Duration // into the second
		want  int
	}{
		{"from a second's start", 0, 4},                    // seconds 0 and 1; 2 begins after the deadline
		{"from mid-second", 600 * time.Millisecond, 6},     // seconds 0, 1 and 2 (2.0 < 2.1)
		{"near a second's end", 950 * time.Millisecond, 4}, // 0 is past its edge: 1 and 2
	} {
		t.Run(tc.name, func(t *testing.T) {
			rate := &memRate{count: map[int64]int{}}
			p := NewPacer(rate, 2)
			clock := &steppedClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).Add(tc.start)}
			p.now, p.sleep = clock.now, clock.sleep
			deadline := clock.t.Add(1500 * time.Millisecond)
			got := 0
			for {
				n, _, err := p.Take(context.Background(), 10, deadline)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
				got += n
			}
			if got != tc.want {
				t.Errorf("took %d tokens before a deadline 1.5 s away at 2/s, want %d", got, tc.want)
			}
			for sec, n := range rate.count {
				if n > 2 {
					t.Errorf("second %d gave %d tokens, limit 2", sec, n)
				}
			}
		})
	}
}

// steppedClock stands still until the one goroutine using it sleeps, so
// pacing is tested by what it decides, not by how busy the machine is.
type steppedClock struct{ t time.Time }

func (c *steppedClock) now() time.Time { return c.t }

func (c *steppedClock) sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.t = c.t.Add(d)
	}
	return ctx.Err()
}

type brokenRate struct{}

func (brokenRate) TakeRate(context.Context, int64, int, int) (int, error) {
	return 0, errors.New("DynamoDB unavailable")
}

func TestUnreadableRateRequeuesInsteadOfWaitingForTheVisibilityTimeout(t *testing.T) {
	f := newFixture(t)
	f.p.Pacer = NewPacer(brokenRate{}, 10)
	res := f.run(t, news)
	if res[0].Outcome != OutcomePaced || res[0].Retry || len(f.queue.got) != 1 || f.mailer.calls != 0 {
		t.Errorf("%+v, %d queued, %d SES calls", res[0], len(f.queue.got), f.mailer.calls)
	}
	if _, ok := f.sends.recs[news.SendID]; ok {
		t.Error("a record was written for a send that never started")
	}
}

func TestASlowClaimTakesATokenOfALaterSecond(t *testing.T) {
	f := newFixture(t)
	rate := &memRate{count: map[int64]int{}}
	f.p.Pacer = NewPacer(rate, 5)
	s := time.Now().Truncate(time.Second) // Process's deadline is on the real clock
	// Take reads the clock once (0.2 s into second s); the claim then takes
	// until 1.3 s, past the token's second; the second Take runs then.
	clock := []time.Time{s.Add(200 * time.Millisecond), s.Add(1300 * time.Millisecond)}
	f.p.Pacer.now = func() time.Time {
		t := clock[0]
		if len(clock) > 1 {
			clock = clock[1:]
		}
		return t
	}
	f.p.Pacer.sleep = func(context.Context, time.Duration) error { return nil }
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
	defer cancel()
	res := f.p.Process(ctx, []Request{news})
	if res[0].Outcome != OutcomeSent {
		t.Fatalf("%+v", res[0])
	}
	if rate.count[s.Unix()] != 1 || rate.count[s.Unix()+1] != 1 {
		t.Errorf("tokens %v: one wasted in the first second, the send's in the next", rate.count)
	}
}

func TestPacerInTime(t *testing.T) {
	s := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	p := NewPacer(&memRate{count: map[int64]int{}}, 5)
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{{0, true}, {850 * time.Millisecond, true}, {950 * time.Millisecond, false}, {1200 * time.Millisecond, false}} {
		p.now = func() time.Time { return s.Add(tc.at) }
		if got := p.InTime(s); got != tc.want {
			t.Errorf("InTime at +%s = %v", tc.at, got)
		}
	}
}

type holdsOf map[string]Hold

func (h holdsOf) Hold(_ context.Context, src Source) (Hold, error) { return h[src.Campaign], nil }

func TestCampaignHolds(t *testing.T) {
	f := newFixture(t)
	f.p.Holds = holdsOf{"paused": HoldWait, "cancelled": HoldDrop}
	paused := Request{SendID: "c-1", ContactID: "c_ada", TemplateID: "news", Source: Source{Campaign: "paused"}}
	cancelled := Request{SendID: "c-2", ContactID: "c_ada", TemplateID: "news", Source: Source{Campaign: "cancelled"}}
	live := Request{SendID: "c-3", ContactID: "c_ada", TemplateID: "news", Source: Source{Campaign: "live"}}
	res := f.run(t, paused, cancelled, live)
	if res[0].Outcome != OutcomeWaiting || len(f.queue.got) != 1 || f.queue.got[0].delay != HoldDelay || f.queue.got[0].r.SendID != "c-1" {
		t.Errorf("paused: %+v, queued %+v", res[0], f.queue.got)
	}
	if _, ok := f.sends.recs["c-1"]; ok {
		t.Error("a paused send left a record")
	}
	if rec := f.sends.recs["c-2"]; res[1].Outcome != OutcomeSkipped || rec.State != Skipped || rec.Reason != ReasonCampaignCancelled {
		t.Errorf("cancelled: %+v record %+v", res[1], rec)
	}
	if res[2].Outcome != OutcomeSent || f.mailer.calls != 1 {
		t.Errorf("live: %+v, %d SES calls", res[2], f.mailer.calls)
	}
}
