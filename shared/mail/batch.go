package mail

import (
	"context"
	"slices"
)

// BatchReader reads what a batch's checks need in a few requests: the send
// records, the contacts and their frequency-cap records of every request
// in one round, the suppressions of their addresses in a second. Without
// it each request reads its own (four reads a mail); with it a batch of
// ten makes three or four requests in all. Each read is the one the
// request would have made on its own, with the same consistency, at the
// start of the batch instead of a few milliseconds later, and every write
// stays conditional on the version read, so exactly-once, the caps and
// suppression hold as before.
type BatchReader interface {
	// ReadBatch returns the send records that exist among q.SendIDs, the
	// recipients that exist among q.ContactIDs (following merges, as
	// Recipients does) and the cap records of q.CapContactIDs (strongly
	// consistent, a zero record for a contact with none).
	ReadBatch(ctx context.Context, q BatchQuery) (BatchRead, error)
	// SuppressedOf returns, of emails, those that must never be mailed.
	SuppressedOf(ctx context.Context, emails []string) (map[string]bool, error)
}

// BatchQuery is what one batch asks of a BatchReader.
type BatchQuery struct {
	SendIDs       []string
	ContactIDs    []string
	CapContactIDs []string
}

// BatchRead is what a BatchReader found for a batch.
type BatchRead struct {
	Sends      map[string]SendState
	Recipients map[string]Recipient
	Caps       map[string]CapRecord
}

// batchView is a batch's pre-read state, consulted by prepare. A nil view,
// or a key the batch did not ask for, falls back to a read of its own.
type batchView struct {
	sends      map[string]SendState
	recipients map[string]Recipient
	asked      map[string]bool // contact ids whose recipient was read
	caps       map[string]CapRecord
	suppressed map[string]bool
	checked    map[string]bool // emails whose suppression was read
}

func (v *batchView) send(id string) (SendState, bool, bool) {
	if v == nil || v.sends == nil {
		return SendState{}, false, false
	}
	st, found := v.sends[id]
	return st, found, true
}

func (v *batchView) recipient(id string) (Recipient, bool, bool) {
	if v == nil || !v.asked[id] {
		return Recipient{}, false, false
	}
	r, found := v.recipients[id]
	return r, found, true
}

func (v *batchView) capRecord(contactID string) (CapRecord, bool) {
	if v == nil {
		return CapRecord{}, false
	}
	rec, ok := v.caps[contactID]
	return rec, ok
}

func (v *batchView) isSuppressed(email string) (bool, bool) {
	if v == nil || !v.checked[email] {
		return false, false
	}
	return v.suppressed[email], true
}

// readBatch pre-reads the batch's state through p.Batch. A failed read is
// logged and leaves the requests to read their own: the batch reads are an
// economy, never a condition of sending.
func (p *Pipeline) readBatch(ctx context.Context, reqs []Request) *batchView {
	if p.Batch == nil || len(reqs) < 2 {
		return nil
	}
	var q BatchQuery
	seen := map[string]bool{}
	add := func(list *[]string, prefix, id string) {
		if id != "" && !seen[prefix+id] {
			seen[prefix+id] = true
			*list = append(*list, id)
		}
	}
	for _, r := range reqs {
		add(&q.SendIDs, "s:", r.SendID)
		if r.ContactID == SampleContact {
			continue
		}
		add(&q.ContactIDs, "c:", r.ContactID)
		if r.To == "" && p.marketing(ctx, r) {
			add(&q.CapContactIDs, "k:", r.ContactID)
		}
	}
	read, err := p.Batch.ReadBatch(ctx, q)
	if err != nil {
		p.Log.WarnContext(ctx, "batch read of sends, contacts and caps; each send reads its own", "sends", len(reqs), "error", err)
		return nil
	}
	v := &batchView{sends: read.Sends, recipients: read.Recipients, caps: read.Caps, asked: map[string]bool{}, checked: map[string]bool{}}
	if v.sends == nil {
		v.sends = map[string]SendState{}
	}
	for _, id := range q.ContactIDs {
		v.asked[id] = true
	}
	var emails []string
	for _, r := range reqs {
		to := r.To
		if to == "" {
			to = read.Recipients[r.ContactID].Email
		}
		if to != "" && !slices.Contains(emails, to) {
			emails = append(emails, to)
		}
	}
	if len(emails) > 0 {
		sup, err := p.Batch.SuppressedOf(ctx, emails)
		if err != nil {
			p.Log.WarnContext(ctx, "batch read of suppressions; each send reads its own", "sends", len(reqs), "error", err)
			return v
		}
		v.suppressed = sup
		for _, e := range emails {
			v.checked[e] = true
		}
	}
	return v
}

// marketing guesses, before prepare decides, whether a request is a
// marketing send whose caps it will read: only those get a cap record in
// the batch read (a strongly consistent read each). A wrong guess only
// costs a read: prepare reads what the view lacks.
func (p *Pipeline) marketing(ctx context.Context, r Request) bool {
	tpl, err := p.Templates.Compiled(ctx, r.TemplateID)
	if err != nil {
		return false
	}
	kind, err := ResolveKind(r, tpl.Template())
	return err == nil && kind == Marketing
}
