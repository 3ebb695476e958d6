package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/template"
)

// SendStore keeps send records. Every write the pipeline makes is
// conditional on the version it read, so of two invocations holding the
// same request only one moves the record on.
type SendStore interface {
	// GetSend returns ErrSendNotFound when there is no record.
	GetSend(ctx context.Context, sendID string) (SendState, error)
	// SaveSend writes st if the record is still at version prev (0: there
	// is no record) and returns it at its new version. When the record
	// moved on it returns the current record and ErrSendConflict.
	SaveSend(ctx context.Context, st SendState, prev int64) (SendState, error)
	// ReleaseSend deletes the record if it is still at version v: a claim
	// SES refused for rate is given back, to be claimed again later.
	ReleaseSend(ctx context.Context, sendID string, v int64) error
}

// Suppressions answers whether an address must never be mailed (hard
// bounce, complaint).
type Suppressions interface {
	IsSuppressed(ctx context.Context, email string) (bool, error)
}

// CapStore keeps each contact's recent marketing sends for the frequency
// caps.
type CapStore interface {
	MarketingSends(ctx context.Context, contactID string) (CapRecord, error)
	// SaveMarketingSends writes the record if it is still at version prev;
	// ErrCapConflict when another send changed it.
	SaveMarketingSends(ctx context.Context, contactID string, rec CapRecord, prev int64) error
}

// CapRecord is a contact's recent marketing sends.
type CapRecord struct {
	Sends   []CapSend
	Version int64
}

// CapSend is one marketing send counted against the caps. SendID makes a
// retried send count once.
type CapSend struct {
	SendID string
	At     time.Time
}

// Recipients looks up a send's contact.
type Recipients interface {
	// Recipient returns ErrContactNotFound for an unknown contact.
	Recipient(ctx context.Context, contactID string) (Recipient, error)
}

// Recipient is what the pipeline needs of a contact.
type Recipient struct {
	Email    string
	Status   string
	Timezone string
	// UnsubscribedTopics are the topics the contact switched off.
	UnsubscribedTopics []string
	// Data is the contact's template data (contact, traits, company,
	// location).
	Data template.Data
}

// Requeue puts a request back on the sends queue after a delay (SQS
// delivery delay, at most 15 minutes; longer waits take several hops).
type Requeue interface {
	EnqueueDelayed(ctx context.Context, body string, delay time.Duration) error
}

// Circuit is the bulk-mail circuit breaker's view of recent sends,
// bounces and complaints.
type Circuit interface {
	// Open reports whether bulk mail must pause, and why.
	Open(ctx context.Context) (bool, string, error)
	// CountSent adds messages SES accepted.
	CountSent(ctx context.Context, n int) error
}

// TemplateSource gives compiled templates (Templates).
type TemplateSource interface {
	Compiled(ctx context.Context, id string) (*template.Compiled, error)
}

// Outcomes of one request in a batch, as the batch log line counts them.
const (
	OutcomeSent      = "sent"
	OutcomeSkipped   = "skipped"
	OutcomeDeferred  = "deferred"
	OutcomeFailed    = "failed"
	OutcomeInDoubt   = "in_doubt"
	OutcomeDuplicate = "duplicate"
	// OutcomeWaiting: the request is early (NotBefore, an in-doubt
	// re-check) and went back on the queue unchanged.
	OutcomeWaiting = "waiting"
	// OutcomeThrottled: SES refused for rate; the claim was released and
	// the request re-queued.
	OutcomeThrottled = "throttled"
	// OutcomePaced: the batch ran out of time for its send rate; the
	// request was re-queued.
	OutcomePaced = "paced"
	// OutcomeRetry: the request could not be handled now (a store error,
	// another invocation holds the send); SQS delivers it again.
	OutcomeRetry = "retry"
)

// Result is what became of one request.
type Result struct {
	SendID    string
	ContactID string
	Outcome   string
	Reason    string
	// Retry asks SQS to deliver the message again (a batch item failure).
	Retry bool
	Err   error
}

// Pipeline sends mail: for each request it checks the record (a send goes
// out at most once), the contact, suppression and the sending rules,
// renders the message, takes a token of the shared send rate, claims the
// send id, calls SES once and records the outcome.
type Pipeline struct {
	Settings Settings
	// SettingsSource, when set, gives the settings in force for each batch
	// (an admin override, cached for a minute); Settings is the fallback
	// when it cannot be read.
	SettingsSource func(context.Context) (Settings, error)
	Links          Links
	ConfigSet      string
	Sends          SendStore
	Suppressions   Suppressions
	Caps           CapStore
	Recipients     Recipients
	// Batch, when set, reads a batch's send records, contacts, caps and
	// suppressions in a few requests (BatchReader); each request still
	// reads what the batch read did not give it.
	Batch     BatchReader
	Templates TemplateSource
	Mailer    Mailer
	Requeue   Requeue
	Pacer     *Pacer
	// Circuit is optional: without it bulk mail never pauses.
	Circuit Circuit
	// Holds, when set, is asked about every campaign send: a paused
	// campaign's queued sends wait, a cancelled one's are skipped.
	Holds Holds
	// ConfirmTemplate is the double opt-in template: its sends get a
	// signed confirmation link.
	ConfirmTemplate string
	// InDoubtAfter overrides Settings.InDoubtAfter (tests); 0 keeps it.
	InDoubtAfter time.Duration
	// RetryBase is the first wait after throttling (doubles per attempt,
	// at most RetryMax).
	RetryBase, RetryMax time.Duration
	// SendTimeout bounds one SES call.
	SendTimeout time.Duration
	Log         *slog.Logger
	Now         func() time.Time
}

// Holds says whether the sends of a source (a campaign) may go now.
type Holds interface {
	Hold(ctx context.Context, src Source) (Hold, error)
}

// Hold is a source's verdict for its queued sends.
type Hold int

const (
	// HoldNone: send.
	HoldNone Hold = iota
	// HoldWait: paused; the request waits on the queue (HoldDelay).
	HoldWait
	// HoldDrop: cancelled; the send is recorded as skipped.
	HoldDrop
)

// HoldDelay is how long a paused campaign's send waits before it asks
// again: with the holds' cache of a few seconds, a resume takes effect
// within a minute.
const HoldDelay = 30 * time.Second

// ReasonCampaignCancelled is a skipped send's reason when its campaign
// was cancelled while the send was queued.
const ReasonCampaignCancelled = "campaign_cancelled"

// ErrHeld: another invocation holds the send's claim; SQS brings the
// request back after its visibility timeout, when that one has finished.
var ErrHeld = errors.New("another invocation holds the send")

// MaxAttempts bounds how often one request is re-queued after throttling
// or a request that never left: beyond it the send fails with the reason,
// visibly, rather than circling forever.
const MaxAttempts = 100

// ContactWaitAttempts is how often a send whose contact is not written yet
// is tried (the backoff doubles from RetryBase: about a minute in all)
// before it fails as sent to an unknown contact.
const ContactWaitAttempts = 6

// recordMargin is what a send needs besides the SES call once the pacer
// lets it go: the claim and the record.
const recordMargin = 2 * time.Second

type job struct {
	r    Request
	kind string
	prev SendState // Version 0: no record yet
	msg  Message
}

func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Pipeline) inDoubtAfter() time.Duration {
	if p.InDoubtAfter > 0 {
		return p.InDoubtAfter
	}
	return p.Settings.InDoubtAfter()
}

func (p *Pipeline) sendTimeout() time.Duration {
	if p.SendTimeout > 0 {
		return p.SendTimeout
	}
	return 8 * time.Second
}

// Process handles one batch of requests. The checks and rendering run
// concurrently; the sends start as the pacer hands out tokens, each
// second's share at once.
func (p *Pipeline) Process(ctx context.Context, reqs []Request) []Result {
	if p.SettingsSource != nil {
		settings, err := p.SettingsSource(ctx)
		if err == nil {
			// One batch, one set of rules: a copy, so a change never lands
			// halfway through a batch.
			q := *p
			q.Settings, q.SettingsSource = settings, nil
			return q.Process(ctx, reqs)
		}
		p.Log.ErrorContext(ctx, "read sending settings; using the repo's", "error", err)
	}
	results := make([]Result, len(reqs))
	jobs := make([]*job, len(reqs))
	var wg sync.WaitGroup
	first := map[string]bool{}
	var unique []Request
	for _, r := range reqs {
		if !first[r.SendID] {
			first[r.SendID] = true
			unique = append(unique, r)
		}
	}
	view := p.readBatch(ctx, unique)
	clear(first)
	for i, r := range reqs {
		if first[r.SendID] {
			// Another copy in this batch decides for both: whatever becomes
			// of it (sent, deferred, or back on the queue), this one adds
			// nothing.
			results[i] = done(r, OutcomeDuplicate, "in the same batch twice")
			continue
		}
		first[r.SendID] = true
		wg.Go(func() { jobs[i], results[i] = p.prepare(ctx, r, view) })
	}
	wg.Wait()
	var ready []int
	for i, j := range jobs {
		if j != nil {
			ready = append(ready, i)
		}
	}
	deadline := time.Now().Add(time.Hour)
	if d, ok := ctx.Deadline(); ok {
		deadline = d.Add(-p.sendTimeout() - recordMargin)
	}
	for len(ready) > 0 {
		n, sec, err := p.Pacer.Take(ctx, len(ready), deadline)
		if err != nil {
			// The rate counter could not be read: nothing was sent, so the
			// batch comes back in a moment rather than after the queue's
			// visibility timeout.
			p.Log.WarnContext(ctx, "send rate unavailable; sends re-queued", "sends", len(ready), "error", err)
			n = 0
		}
		if n == 0 {
			// This invocation is out of time for its share of the rate: the
			// rest waits in the queue for a moment, not in this Lambda.
			for _, i := range ready {
				results[i] = p.requeue(ctx, jobs[i].r, time.Second+rand.N(2*time.Second), OutcomePaced, "")
			}
			break
		}
		for _, i := range ready[:n] {
			wg.Go(func() { results[i] = p.dispatch(ctx, jobs[i], sec, deadline) })
		}
		ready = ready[n:]
	}
	wg.Wait()
	if p.Circuit != nil {
		sent := 0
		for _, r := range results {
			if r.Outcome == OutcomeSent {
				sent++
			}
		}
		if sent > 0 {
			if err := p.Circuit.CountSent(ctx, sent); err != nil {
				p.Log.WarnContext(ctx, "count sent mail for the circuit breaker", "sent", sent, "error", err)
			}
		}
	}
	return results
}

func (p *Pipeline) retry(r Request, err error) Result {
	return Result{SendID: r.SendID, ContactID: r.ContactID, Outcome: OutcomeRetry, Retry: true, Err: err}
}

func done(r Request, outcome, reason string) Result {
	return Result{SendID: r.SendID, ContactID: r.ContactID, Outcome: outcome, Reason: reason}
}

// requeue puts the request back on the queue after delay; when that fails
// the message itself is retried by SQS.
func (p *Pipeline) requeue(ctx context.Context, r Request, delay time.Duration, outcome, reason string) Result {
	body, err := r.Encode()
	if err == nil {
		err = p.Requeue.EnqueueDelayed(ctx, body, delay)
	}
	if err != nil {
		return p.retry(r, fmt.Errorf("re-queue send %s: %w", r.SendID, err))
	}
	return done(r, outcome, reason)
}

// record builds the record of a request in a state.
func (p *Pipeline) record(r Request, kind, state, reason string, prev SendState) SendState {
	now := p.now().UTC()
	st := SendState{Record: Record{
		SendID: r.SendID, ContactID: r.ContactID, TemplateID: r.TemplateID, Kind: kind, Source: r.Source,
		State: state, Reason: reason, ClaimedAt: prev.ClaimedAt, UpdatedAt: now,
	}, Attempt: r.Attempt, Engagement: prev.Engagement}
	if st.ClaimedAt.IsZero() {
		st.ClaimedAt = now
	}
	return st
}

// finish writes a final record (skipped, failed) in place of prev.
func (p *Pipeline) finish(ctx context.Context, r Request, kind string, prev SendState, state, reason string) Result {
	_, err := p.Sends.SaveSend(ctx, p.record(r, kind, state, reason, prev), prev.Version)
	switch {
	case errors.Is(err, ErrSendConflict):
		return done(r, OutcomeDuplicate, "")
	case err != nil:
		return p.retry(r, fmt.Errorf("record send %s as %s: %w", r.SendID, state, err))
	}
	outcome := OutcomeSkipped
	if state == Failed {
		outcome = OutcomeFailed
	}
	return done(r, outcome, reason)
}

// prepare does everything before the send: the record, the contact, the
// rules and the rendering. A nil job means the request is finished.
func (p *Pipeline) prepare(ctx context.Context, r Request, view *batchView) (*job, Result) {
	now := p.now()
	prev, found, read := view.send(r.SendID)
	var err error
	if !read {
		prev, err = p.Sends.GetSend(ctx, r.SendID)
	} else if !found {
		err = ErrSendNotFound
	}
	switch {
	case errors.Is(err, ErrSendNotFound):
		prev = SendState{}
	case err != nil:
		return nil, p.retry(r, fmt.Errorf("read send %s: %w", r.SendID, err))
	}
	if prev.Version > 0 {
		if res, settled := p.settle(ctx, r, prev, now); settled {
			return nil, res
		}
	}
	if r.NotBefore.After(now) {
		return nil, p.requeue(ctx, r, r.NotBefore.Sub(now), OutcomeWaiting, "")
	}

	tpl, err := p.Templates.Compiled(ctx, r.TemplateID)
	if errors.Is(err, ErrTemplateNotFound) || errors.Is(err, template.ErrInvalid) {
		return nil, p.finish(ctx, r, r.Kind, prev, Failed, err.Error())
	}
	if err != nil {
		return nil, p.retry(r, fmt.Errorf("template for send %s: %w", r.SendID, err))
	}
	kind, err := ResolveKind(r, tpl.Template())
	if err != nil {
		return nil, p.finish(ctx, r, r.Kind, prev, Failed, err.Error())
	}
	test := r.To != ""
	if p.Holds != nil && r.Source.Campaign != "" && !test {
		h, err := p.Holds.Hold(ctx, r.Source)
		if err != nil {
			return nil, p.retry(r, fmt.Errorf("campaign hold of send %s: %w", r.SendID, err))
		}
		switch h {
		case HoldWait:
			return nil, p.requeue(ctx, r, HoldDelay, OutcomeWaiting, "campaign paused")
		case HoldDrop:
			return nil, p.finish(ctx, r, kind, prev, Skipped, ReasonCampaignCancelled)
		}
	}
	var rcpt Recipient
	if r.ContactID == SampleContact && test {
		rcpt = Recipient{Data: template.Sample()}
		rcpt.Data.Links = template.Links{}
	} else {
		var found, read bool
		if rcpt, found, read = view.recipient(r.ContactID); !read {
			rcpt, err = p.Recipients.Recipient(ctx, r.ContactID)
		} else if !found {
			err = fmt.Errorf("contact %s: %w", r.ContactID, ErrContactNotFound)
		}
		if errors.Is(err, ErrContactNotFound) {
			// A form's confirmation mail is queued as the form is accepted,
			// while the processor may not have written the new contact yet:
			// wait for it a few times before calling the contact unknown.
			if r.Attempt+1 < ContactWaitAttempts {
				next := r
				next.Attempt++
				return nil, p.requeue(ctx, next, p.backoff(next.Attempt), OutcomeWaiting, "contact not written yet")
			}
			return nil, p.finish(ctx, r, kind, prev, Failed, "contact "+r.ContactID+" not found")
		}
		if err != nil {
			return nil, p.retry(r, fmt.Errorf("contact of send %s: %w", r.SendID, err))
		}
	}
	to := rcpt.Email
	if test {
		to = r.To
	}
	facts := Facts{Kind: kind, Test: test, Email: to, Status: rcpt.Status, Timezone: rcpt.Timezone, Now: now, Awake: r.Awake || r.IgnoreQuietHours,
		TopicOff: slices.Contains(rcpt.UnsubscribedTopics, tpl.Template().Topic)}
	if to != "" {
		var read bool
		if facts.Suppressed, read = view.isSuppressed(to); !read {
			if facts.Suppressed, err = p.Suppressions.IsSuppressed(ctx, to); err != nil {
				return nil, p.retry(r, fmt.Errorf("suppression of send %s: %w", r.SendID, err))
			}
		}
	}
	marketing := kind == Marketing && !test
	var caps CapRecord
	if marketing {
		var read bool
		if caps, read = view.capRecord(r.ContactID); !read {
			if caps, err = p.Caps.MarketingSends(ctx, r.ContactID); err != nil {
				return nil, p.retry(r, fmt.Errorf("frequency caps of send %s: %w", r.SendID, err))
			}
		}
		for _, s := range caps.Sends {
			if s.SendID != capKey(r.SendID) {
				facts.MarketingSends = append(facts.MarketingSends, s.At)
			}
		}
		if p.Circuit != nil {
			open, why, err := p.Circuit.Open(ctx)
			if err != nil {
				return nil, p.retry(r, fmt.Errorf("circuit breaker for send %s: %w", r.SendID, err))
			}
			if open {
				p.Log.WarnContext(ctx, "bulk mail paused by the circuit breaker", "send_id", r.SendID, "reason", why)
			}
			facts.CircuitOpen = open
		}
	}
	d := p.Settings.Decide(facts)
	switch d.Verdict {
	case VerdictSkip:
		return nil, p.finish(ctx, r, kind, prev, Skipped, d.Reason)
	case VerdictDefer:
		return nil, p.deferSend(ctx, r, kind, prev, d)
	}

	msg, err := p.Settings.Compose(Draft{
		Request: r, Kind: kind, Template: tpl, Data: rcpt.Data, To: to, Now: now,
		Confirm: r.TemplateID == p.ConfirmTemplate || r.Source.Form != "",
	}, p.Links, p.ConfigSet)
	if err != nil {
		return nil, p.finish(ctx, r, kind, prev, Failed, err.Error())
	}
	if marketing {
		if err := p.countAgainstCaps(ctx, r, caps, now); err != nil {
			return nil, p.retry(r, err)
		}
	}
	return &job{r: r, kind: kind, prev: prev, msg: msg}, Result{}
}

// settle handles a request whose send already has a record. settled is
// false when the request should go on (a deferred send, or one whose
// server error has gone unanswered by SES's events for the whole window).
func (p *Pipeline) settle(ctx context.Context, r Request, prev SendState, now time.Time) (Result, bool) {
	window := p.inDoubtAfter()
	switch {
	case prev.Final():
		return done(r, OutcomeDuplicate, prev.State), true
	case prev.State == Claimed:
		if now.Sub(prev.UpdatedAt) < window {
			// Another invocation is sending it: let SQS bring this copy
			// back once that one has finished.
			return p.retry(r, fmt.Errorf("send %s: %w (claimed %s)", r.SendID, ErrHeld, prev.ClaimedAt.Format(time.RFC3339Nano))), true
		}
		st := prev
		st.State, st.Cause, st.UpdatedAt = InDoubt, CauseClaimExpired, now.UTC()
		st.Reason = "claimed " + prev.ClaimedAt.Format(time.RFC3339) + " with no outcome recorded; settled by SES's events, never resent"
		if _, err := p.Sends.SaveSend(ctx, st, prev.Version); err != nil && !errors.Is(err, ErrSendConflict) {
			return p.retry(r, fmt.Errorf("mark send %s in doubt: %w", r.SendID, err)), true
		}
		p.Log.WarnContext(ctx, "send in doubt: claim expired without an outcome", "send_id", r.SendID, "contact_id", r.ContactID)
		return done(r, OutcomeInDoubt, CauseClaimExpired), true
	case prev.State == InDoubt && prev.Cause == CauseServerError:
		if wait := window - now.Sub(prev.UpdatedAt); wait > 0 {
			return p.requeue(ctx, r, wait, OutcomeWaiting, ""), true
		}
		// No Send event came for the whole window: SES did not take it.
		return Result{}, false
	case prev.State == InDoubt:
		return done(r, OutcomeInDoubt, prev.Cause), true
	case prev.State == Deferred:
		return Result{}, false
	}
	return p.retry(r, fmt.Errorf("send %s has unknown state %q", r.SendID, prev.State)), true
}

func (p *Pipeline) deferSend(ctx context.Context, r Request, kind string, prev SendState, d Decision) Result {
	next := r
	next.NotBefore, next.Attempt = d.NotBefore.UTC(), r.Attempt+1
	res := p.requeue(ctx, next, d.NotBefore.Sub(p.now()), OutcomeDeferred, d.Reason)
	if res.Retry {
		return res
	}
	st := p.record(next, kind, Deferred, d.Reason, prev)
	st.NotBefore = next.NotBefore
	if _, err := p.Sends.SaveSend(ctx, st, prev.Version); err != nil && !errors.Is(err, ErrSendConflict) {
		// The request is queued again and carries its NotBefore; only the
		// record's explanation is missing.
		p.Log.WarnContext(ctx, "record deferred send", "send_id", r.SendID, "contact_id", r.ContactID, "error", err)
	}
	return res
}

// capKey shortens a send id in the caps record; collisions only make a
// cap count one send too few.
func capKey(sendID string) string {
	if len(sendID) > 12 {
		return sendID[:12]
	}
	return sendID
}

// countAgainstCaps records this marketing send in the contact's caps
// before it goes out, so two concurrent sends to one contact cannot both
// pass a cap. A retried send is counted once.
func (p *Pipeline) countAgainstCaps(ctx context.Context, r Request, rec CapRecord, now time.Time) error {
	var keep time.Duration
	for _, c := range p.Settings.FrequencyCaps {
		if w, err := c.Window(); err == nil {
			keep = max(keep, w)
		}
	}
	if keep == 0 {
		return nil
	}
	next := CapRecord{Version: rec.Version}
	for _, s := range rec.Sends {
		if s.SendID == capKey(r.SendID) {
			return nil
		}
		if now.Sub(s.At) < keep {
			next.Sends = append(next.Sends, s)
		}
	}
	next.Sends = append(next.Sends, CapSend{SendID: capKey(r.SendID), At: now.UTC()})
	if err := p.Caps.SaveMarketingSends(ctx, r.ContactID, next, rec.Version); err != nil {
		return fmt.Errorf("count send %s against the caps: %w", r.SendID, err)
	}
	return nil
}

// dispatch claims the send id, calls SES once and records what happened.
// sec is the second its rate token is for.
func (p *Pipeline) dispatch(ctx context.Context, j *job, sec, deadline time.Time) Result {
	r := j.r
	claim := p.record(r, j.kind, Claimed, "", SendState{})
	claimed, err := p.Sends.SaveSend(ctx, claim, j.prev.Version)
	if errors.Is(err, ErrSendConflict) {
		switch {
		case claimed.Final():
			return done(r, OutcomeDuplicate, claimed.State)
		case claimed.State == InDoubt:
			return done(r, OutcomeInDoubt, claimed.Cause)
		}
		return p.retry(r, fmt.Errorf("claim send %s: %w (now %s)", r.SendID, ErrHeld, claimed.State))
	}
	if err != nil {
		return p.retry(r, fmt.Errorf("claim send %s: %w", r.SendID, err))
	}

	if !p.Pacer.InTime(sec) {
		// The claim took the token's second: take one of a later second.
		n, next, err := p.Pacer.Take(ctx, 1, deadline)
		if err != nil || n == 0 {
			if err := p.Sends.ReleaseSend(ctx, r.SendID, claimed.Version); err != nil {
				return p.retry(r, fmt.Errorf("release send %s that ran out of time: %w", r.SendID, err))
			}
			return p.requeue(ctx, r, time.Second+rand.N(2*time.Second), OutcomePaced, "")
		}
		sec = next
	}
	sctx, cancel := context.WithTimeout(ctx, p.sendTimeout())
	messageID, sendErr := p.Mailer.Send(sctx, j.msg)
	cancel()
	if sendErr == nil {
		st := claimed
		st.State, st.MessageID, st.Reason, st.Cause = Sent, messageID, "", ""
		st.SentAt = p.now().UTC()
		st.UpdatedAt = st.SentAt
		if _, err := p.Sends.SaveSend(ctx, st, claimed.Version); err != nil && !errors.Is(err, ErrSendConflict) {
			// SES has the message; the claim stays and SES's Send event
			// settles it. Never a reason to send again.
			p.Log.ErrorContext(ctx, "record sent mail; SES's events will settle it", "send_id", r.SendID, "contact_id", r.ContactID, "error", err)
		}
		return done(r, OutcomeSent, "")
	}

	failure, reason := FailureOf(sendErr)
	switch failure {
	case Throttled, NotSent:
		if err := p.Sends.ReleaseSend(ctx, r.SendID, claimed.Version); err != nil {
			return p.retry(r, fmt.Errorf("release throttled send %s: %w", r.SendID, err))
		}
		if r.Attempt+1 >= MaxAttempts {
			return p.finish(ctx, r, j.kind, SendState{}, Failed, fmt.Sprintf("not accepted after %d attempts: %s", r.Attempt+1, reason))
		}
		next := r
		next.Attempt++
		return p.requeue(ctx, next, p.backoff(next.Attempt), OutcomeThrottled, reason)
	case Refused:
		st := claimed
		st.State, st.Reason, st.UpdatedAt = Failed, reason, p.now().UTC()
		if _, err := p.Sends.SaveSend(ctx, st, claimed.Version); err != nil && !errors.Is(err, ErrSendConflict) {
			return p.retry(r, fmt.Errorf("record refused send %s: %w", r.SendID, err))
		}
		return done(r, OutcomeFailed, reason)
	}
	// The message may be on its way: record the doubt and never send
	// blindly. SES's Send event settles it; after a 5xx, silence for the
	// whole window settles it the other way (see settle).
	cause := CauseNoAnswer
	if failure == ServerError {
		cause = CauseServerError
	}
	st := claimed
	st.State, st.Cause, st.Reason, st.UpdatedAt = InDoubt, cause, reason, p.now().UTC()
	if _, err := p.Sends.SaveSend(ctx, st, claimed.Version); err != nil && !errors.Is(err, ErrSendConflict) {
		// The claim stays and becomes in doubt when it expires.
		p.Log.ErrorContext(ctx, "record send in doubt", "send_id", r.SendID, "contact_id", r.ContactID, "error", err)
		return done(r, OutcomeInDoubt, cause)
	}
	p.Log.WarnContext(ctx, "send in doubt", "send_id", r.SendID, "contact_id", r.ContactID, "cause", cause, "reason", reason)
	if cause == CauseServerError {
		next := r
		next.Attempt++
		return p.requeue(ctx, next, p.inDoubtAfter(), OutcomeInDoubt, cause)
	}
	return done(r, OutcomeInDoubt, cause)
}

// backoff is the wait before try number attempt after throttling: it
// doubles from RetryBase up to RetryMax, with jitter so re-queued sends do
// not come back together.
func (p *Pipeline) backoff(attempt int) time.Duration {
	base, most := p.RetryBase, p.RetryMax
	if base <= 0 {
		base = time.Second
	}
	if most <= 0 {
		most = 15 * time.Minute
	}
	d := base << min(attempt-1, 20)
	if d > most || d <= 0 {
		d = most
	}
	return d + rand.N(base)
}
