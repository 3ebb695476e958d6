package mail

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// memBatch reads a batch from the fixture's stores and counts its calls.
type memBatch struct {
	f                  *fixture
	recipients         fakeRecipients
	suppressed         noSuppressions
	mu                 sync.Mutex
	reads, suppression int
	asked              BatchQuery
}

func (b *memBatch) ReadBatch(ctx context.Context, q BatchQuery) (BatchRead, error) {
	b.mu.Lock()
	b.reads++
	b.asked = q
	b.mu.Unlock()
	out := BatchRead{Sends: map[string]SendState{}, Recipients: map[string]Recipient{}, Caps: map[string]CapRecord{}}
	for _, id := range q.SendIDs {
		if st, err := b.f.sends.GetSend(ctx, id); err == nil {
			out.Sends[id] = st
		}
	}
	for _, id := range q.ContactIDs {
		if r, ok := b.recipients[id]; ok {
			out.Recipients[id] = r
		}
	}
	for _, id := range q.CapContactIDs {
		out.Caps[id], _ = b.f.caps.MarketingSends(ctx, id)
	}
	return out, nil
}

func (b *memBatch) SuppressedOf(_ context.Context, emails []string) (map[string]bool, error) {
	b.mu.Lock()
	b.suppression++
	b.mu.Unlock()
	out := map[string]bool{}
	for _, e := range emails {
		if b.suppressed[e] {
			out[e] = true
		}
	}
	return out, nil
}

// noSingleReads fails the test when a request reads on its own what the
// batch read gave it.
type noSingleReads struct{ t *testing.T }

func (n noSingleReads) GetSend(context.Context, string) (SendState, error) {
	n.t.Error("a send record read on its own")
	return SendState{}, errors.New("unexpected")
}
func (n noSingleReads) Recipient(context.Context, string) (Recipient, error) {
	n.t.Error("a contact read on its own")
	return Recipient{}, errors.New("unexpected")
}
func (n noSingleReads) IsSuppressed(context.Context, string) (bool, error) {
	n.t.Error("a suppression read on its own")
	return false, errors.New("unexpected")
}

type singleSendsForbidden struct {
	noSingleReads
	*memSends
}

func (s singleSendsForbidden) GetSend(ctx context.Context, id string) (SendState, error) {
	return s.noSingleReads.GetSend(ctx, id)
}

// TestBatchReadsDecideAsSingleReads: a batch read through the
// BatchReader (one read of records, contacts and caps, one of
// suppressions) gives every request the outcome it gets with a read of
// its own: consent, suppression, the caps, an unknown contact, quiet
// hours, a send already settled, and the sends that go out once.
func TestBatchReadsDecideAsSingleReads(t *testing.T) {
	capped := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	batch := []Request{
		{SendID: "b-pending", ContactID: "c_bo", TemplateID: "news"},
		{SendID: "b-suppressed", ContactID: "c_gone", TemplateID: "news"},
		{SendID: "b-confirm", ContactID: "c_bo", TemplateID: "double-opt-in", Kind: Transactional, Source: Source{Form: "newsletter"}},
		{SendID: "b-nobody", ContactID: "c_nobody", TemplateID: "news"},
		{SendID: "b-night", ContactID: "c_night", TemplateID: "news"},
		{SendID: "b-capped", ContactID: "c_capped", TemplateID: "news"},
		{SendID: "b-settled", ContactID: "c_ada", TemplateID: "news"},
		{SendID: "b-ada", ContactID: "c_ada", TemplateID: "news"},
		{SendID: "b-ada", ContactID: "c_ada", TemplateID: "news"}, // twice in the batch
	}
	prepare := func(f *fixture) {
		f.p.Recipients.(fakeRecipients)["c_capped"] = Recipient{Email: "capped@example.com", Status: "subscribed", Timezone: "Europe/Berlin"}
		f.caps.recs["c_capped"] = CapRecord{Sends: []CapSend{{SendID: "earlier-1", At: capped}, {SendID: "earlier-2", At: capped.Add(time.Hour)}}, Version: 2}
		f.sends.recs["b-settled"] = SendState{Record: Record{SendID: "b-settled", State: Delivered}, Version: 3}
	}
	single := newFixture(t)
	prepare(single)
	want := map[string]string{}
	for _, r := range single.run(t, batch...) {
		want[r.SendID+"/"+r.Outcome] = r.Reason
	}

	f := newFixture(t)
	prepare(f)
	b := &memBatch{f: f, recipients: f.p.Recipients.(fakeRecipients), suppressed: f.p.Suppressions.(noSuppressions)}
	f.p.Batch = b
	strict := noSingleReads{t}
	f.p.Sends, f.p.Recipients, f.p.Suppressions = singleSendsForbidden{strict, f.sends}, strict, strict
	got := map[string]string{}
	for _, r := range f.run(t, batch...) {
		got[r.SendID+"/"+r.Outcome] = r.Reason
		if r.Err != nil {
			t.Errorf("%s: %v", r.SendID, r.Err)
		}
	}
	if len(got) != len(want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	for k, reason := range want {
		if r, ok := got[k]; !ok || r != reason {
			t.Errorf("%s: got %q (present %v), want %q", k, r, ok, reason)
		}
	}
	for _, k := range []string{"b-pending/" + OutcomeSkipped, "b-suppressed/" + OutcomeSkipped, "b-confirm/" + OutcomeSent, "b-nobody/" + OutcomeWaiting,
		"b-night/" + OutcomeDeferred, "b-capped/" + OutcomeDeferred, "b-settled/" + OutcomeDuplicate, "b-ada/" + OutcomeSent, "b-ada/" + OutcomeDuplicate} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %s among %v", k, got)
		}
	}
	if b.reads != 1 || b.suppression != 1 {
		t.Errorf("%d batch reads and %d suppression reads, want one each", b.reads, b.suppression)
	}
	// Caps are read (strongly consistent) only for marketing sends; the
	// transactional confirmation adds none (c_bo is asked for b-pending).
	if len(b.asked.SendIDs) != 8 || len(b.asked.ContactIDs) != 6 || len(b.asked.CapContactIDs) != 6 {
		t.Errorf("asked %+v", b.asked)
	}
	if f.mailer.calls != 2 || single.mailer.calls != 2 {
		t.Errorf("SES calls %d batched, %d single; want 2 each", f.mailer.calls, single.mailer.calls)
	}
}
