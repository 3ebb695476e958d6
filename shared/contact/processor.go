package contact

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/interest"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/routing"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Input is one queued batch (one SQS message) to process.
type Input struct {
	ID    string
	Batch tracking.Batch
}

// Outcome reports what Process did, for logs and metrics (one line per
// invocation, never one per event).
type Outcome struct {
	Inputs, Messages, Applied, Duplicates, Contacts, NewContacts, Conflicts int
	// Failed lists the Input IDs that must be retried.
	Failed []string
	// Deferred counts contacts not applied because the invocation was
	// near its deadline (their inputs are in Failed).
	Deferred int
}

// FlushShare is the share of an invocation's time kept for flushing the
// reactors after the contacts are applied (at least MinFlushReserve).
const (
	FlushShare      = 4 // a quarter
	MinFlushReserve = 3 * time.Second
)

// flushReserve is the time after which no new contact is applied, so the
// reactors' flush still fits before ctx's deadline; bounded is false
// without a deadline.
func flushReserve(ctx context.Context, now time.Time) (stopAt time.Time, bounded bool) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return time.Time{}, false
	}
	reserve := max(deadline.Sub(now)/FlushShare, MinFlushReserve)
	return deadline.Add(-reserve), true
}

// Processor turns queued tracking batches into contact profiles and timelines.
type Processor struct {
	store Store
	now   func() time.Time
	log   *slog.Logger
	// Parallel bounds concurrent contact updates within one invocation.
	parallel  int
	interests func(context.Context) (interest.Rules, error)
	engine    func(context.Context) (*scoring.Engine, error)
	routes    routing.Queue
	mail      mail.Queue
	reactors  []Reactor
}

// WithInterests sets where interest rules come from (read once per batch).
func (p *Processor) WithInterests(rules func(context.Context) (interest.Rules, error)) *Processor {
	p.interests = rules
	return p
}

// WithParallel sets how many contacts one invocation updates at once
// (default 8). The processor raises it: an import's batch is 1,000
// contacts, and a store that group-commits its writes (dynamo.GroupWrites)
// shares round trips only between contacts written at the same time.
func (p *Processor) WithParallel(n int) *Processor {
	if n > 0 {
		p.parallel = n
	}
	return p
}

// NewProcessor builds a Processor. now may be nil (time.Now).
func NewProcessor(store Store, log *slog.Logger, now func() time.Time) *Processor {
	if now == nil {
		now = time.Now
	}
	return &Processor{store: store, now: now, log: log, parallel: 8}
}

const maxConflictRetries = 5

// Process applies every input. All events of one contact across the inputs
// become one timeline write and one profile write. An input whose contact
// could not be written is reported in Outcome.Failed, and only it is retried;
// the de-duplication window makes its redelivery harmless for the contacts
// that did succeed.
func (p *Processor) Process(ctx context.Context, inputs []Input) (Outcome, error) {
	out := Outcome{Inputs: len(inputs)}
	type item struct {
		msg   tracking.Message
		input string
	}
	var items []item
	for _, in := range inputs {
		for _, m := range in.Batch.Messages {
			items = append(items, item{m, in.ID})
		}
	}
	out.Messages = len(items)
	if len(items) == 0 {
		return out, nil
	}
	env, err := p.env(ctx)
	if err != nil {
		return out, err
	}

	// 1. Resolve every identity in one lookup, then walk messages in order so
	// an identify earlier in the batch routes later events to the same contact.
	// A message addressed to its contact (an import's rows, timers) resolves
	// nothing (see resolve), so its identities are not looked up: an import
	// page of 1,000 rows would read 1,000 links for nothing.
	var unaddressed []item
	for _, it := range items {
		if it.msg.ContactID == "" {
			unaddressed = append(unaddressed, it)
		}
	}
	idents := identitiesOf(unaddressed, func(i item) tracking.Message { return i.msg })
	owners := map[Identity]string{}
	if len(idents) > 0 {
		if owners, err = p.store.LookupIdentities(ctx, idents); err != nil {
			return out, fmt.Errorf("look up identities: %w", err)
		}
	}
	// An anonymous id with no link belongs to the contact derived from it:
	// a new visitor costs no identity write. Links exist only for anonymous
	// ids that a merge or a device switch moved elsewhere.
	for _, id := range idents {
		if _, ok := owners[id]; !ok && id.Kind == AnonymousID {
			owners[id] = AnonymousContactID(id.Value)
		}
	}
	failed := map[string]bool{}
	redirect := map[string]string{}
	fresh := map[string]bool{}
	// known holds the contacts identified by an earlier message of this
	// batch, with the device of the unverified call that did it ("" once a
	// verified call did).
	known := map[string]string{}
	type routed struct {
		cid   string
		msg   tracking.Message
		input string
	}
	var routes []routed
	for _, it := range items {
		cid, created, err := p.resolve(ctx, it.msg, owners, redirect, fresh, known)
		if err != nil {
			p.log.ErrorContext(ctx, "resolve contact", "input", it.input, "message_id", it.msg.MessageID, "error", err)
			failed[it.input] = true
			continue
		}
		if created {
			fresh[cid] = true
		}
		routes = append(routes, routed{cid, it.msg, it.input})
	}

	// 2. One read of all profiles. Contacts merged away (in this batch, or
	// earlier by another invocation) hand their events to the survivor.
	// A contact an import just created (tracking.Internal.NewContact) is
	// not read: it has no profile unless a tracked event wrote one since,
	// and then its conditional creation fails and the conflict retry reads
	// it (applyContact). An import's page of new contacts reads nothing.
	var ids []string
	for _, r := range routes {
		cid := follow(redirect, r.cid)
		if lf := r.msg.Context.Leadflow; lf != nil && lf.NewContact && r.msg.ContactID == cid {
			continue // read if another message of the batch needs it
		}
		ids = append(ids, cid)
	}
	profiles := map[string]*Profile{}
	if len(ids) > 0 {
		if profiles, err = p.store.GetProfiles(ctx, dedupe(ids)); err != nil {
			return out, fmt.Errorf("read %d profiles: %w", len(ids), err)
		}
	}
	for id, prof := range profiles {
		if prof.MergedInto != "" {
			survivor, err := p.profile(ctx, prof.MergedInto)
			if err != nil {
				return out, err
			}
			to := prof.MergedInto
			if survivor != nil {
				to = survivor.ID
				profiles[to] = survivor
			}
			redirect[id] = to
		}
	}
	byContact := map[string][]tracking.Message{}
	inputsOf := map[string]map[string]bool{}
	var order []string
	for _, r := range routes {
		cid := follow(redirect, r.cid)
		if _, ok := byContact[cid]; !ok {
			order = append(order, cid)
			inputsOf[cid] = map[string]bool{}
		}
		byContact[cid] = append(byContact[cid], r.msg)
		inputsOf[cid][r.input] = true
	}
	out.Contacts = len(order)
	for _, cid := range order {
		if profiles[cid] == nil {
			out.NewContacts++
		}
	}

	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, p.parallel)
	// The deadline is wall-clock time, whatever clock p.now is.
	stopAt, bounded := flushReserve(ctx, time.Now())
	for _, cid := range order {
		sem <- struct{}{}
		if bounded && !time.Now().Before(stopAt) {
			// Too close to the deadline to apply another contact and still
			// flush the reactors of those applied: a contact written but
			// never flushed would lose its journey history and counters
			// for good (its redelivery is a duplicate). The rest go back to
			// the queue.
			<-sem
			mu.Lock()
			out.Deferred++
			for in := range inputsOf[cid] {
				failed[in] = true
			}
			mu.Unlock()
			continue
		}
		wg.Add(1)
		go func(cid string) {
			defer wg.Done()
			defer func() { <-sem }()
			applied, dups, conflicts, err := p.applyContact(ctx, cid, profiles[cid], byContact[cid], env)
			mu.Lock()
			defer mu.Unlock()
			out.Applied += applied
			out.Duplicates += dups
			out.Conflicts += conflicts
			if err != nil {
				p.log.ErrorContext(ctx, "apply events", "contact_id", cid, "events", len(byContact[cid]), "error", err)
				for in := range inputsOf[cid] {
					failed[in] = true
				}
			}
		}(cid)
	}
	wg.Wait()
	if err := p.flush(ctx); err != nil {
		// The profiles are committed: a retry would find only duplicates
		// and not react again, so failing the batch cannot restore buffered
		// counts. Flushed reactors are at most once; say so loudly.
		p.log.ErrorContext(ctx, "flush reactors", "error", err)
	}
	for _, in := range inputs {
		if failed[in.ID] {
			out.Failed = append(out.Failed, in.ID)
		}
	}
	return out, nil
}

// applyContact writes the timeline then the profile (Store.CommitEvents).
// A timeline chunk's write is idempotent (its key derives from the commit),
// so a crash between the two writes is repaired by redelivery; the profile
// write is the commit point.
func (p *Processor) applyContact(ctx context.Context, cid string, prof *Profile, msgs []tracking.Message, env batchEnv) (applied, dups, conflicts int, err error) {
	for attempt := 0; ; attempt++ {
		if prof == nil {
			prof = &Profile{ID: cid}
		}
		working := prof.clone()
		seen, err := p.history(ctx, working, msgs)
		if err != nil {
			return 0, 0, conflicts, err
		}
		fresh := working.ApplyChecked(msgs, p.now(), env.rules, seen)
		if len(fresh) == 0 {
			return 0, len(msgs), conflicts, nil
		}
		if working.MergedInto != "" {
			return 0, 0, conflicts, fmt.Errorf("apply to %s: %w", cid, errRedirect{working.MergedInto})
		}
		changes, routes, err := p.score(ctx, env.engine, working, fresh)
		if err != nil {
			return 0, 0, conflicts, err
		}
		// A chunk written for this commit names it and the last one, so
		// de-duplication can tell it from a chunk whose profile write never
		// happened (CommitEvents moves LastCommit when it writes one).
		commit := Commit{ID: commitID(fresh), Parent: working.LastCommit}
		// Routing requests go out before the profile write commits the stage
		// move: if the write then fails, the retry derives the same request
		// ids and the router de-duplicates; the other order could lose one.
		for _, r := range routes {
			if p.routes == nil {
				break
			}
			if err := routing.Send(ctx, p.routes, r); err != nil {
				return 0, 0, conflicts, err
			}
		}
		// Same reasoning for confirmation mail: its send id is stable, and
		// the sender never delivers a send id twice.
		if err := p.requestConfirmations(ctx, working, fresh); err != nil {
			return 0, 0, conflicts, err
		}
		var change *Change
		if len(p.reactors) > 0 {
			var before *Profile
			if prof.Version > 0 {
				before = prof
			}
			change = &Change{Before: before, After: working, Events: fresh, Scores: changes, Commit: commit, Now: p.now()}
			if err := p.react(ctx, change); err != nil {
				return 0, 0, conflicts, err
			}
		}
		// The chunk goes after the reactors, so what they record (segment
		// entries) rides in it instead of a chunk of its own.
		chunk := fresh
		if change != nil && len(change.Timeline) > 0 {
			chunk = append(slices.Clip(fresh), change.Timeline...)
		}
		err = p.store.CommitEvents(ctx, working, commit, chunk, changes)
		if err == nil {
			if change != nil {
				p.committed(ctx, change)
			}
			return len(fresh), len(msgs) - len(fresh), conflicts, nil
		}
		if !errors.Is(err, ErrConflict) || attempt >= maxConflictRetries {
			return 0, 0, conflicts, fmt.Errorf("commit %d events of %s: %w", len(chunk), cid, err)
		}
		conflicts++
		reread, err := p.store.GetProfiles(ctx, []string{cid})
		if err != nil {
			return 0, 0, conflicts, fmt.Errorf("re-read profile %s: %w", cid, err)
		}
		prof = reread[cid]
		if prof != nil && prof.MergedInto != "" {
			// Merged while we worked: the events belong to the survivor.
			survivor, err := p.profile(ctx, prof.MergedInto)
			if err != nil {
				return 0, 0, conflicts, err
			}
			if survivor == nil {
				survivor = &Profile{ID: prof.MergedInto}
			}
			cid, prof = survivor.ID, survivor
		}
	}
}

// resolve finds the contact a message belongs to, creating, linking and
// merging as its identities require. owners is updated in place and
// redirect records contacts merged away during this batch.
//
// The rules, in the order of precedence user id > email > anonymous id:
//   - nothing known: a new contact owns every identity;
//   - the top identity is known: that contact wins; another contact holding
//     one of the message's lower identities is merged into it if it is
//     anonymous, and if it is a different known person only the anonymous
//     id (the device) moves over;
//   - only a lower identity is known (a visitor identifies for the first
//     time): its contact adopts the new identity, unless it already belongs
//     to a different known person, in which case the new identity gets a new
//     contact and the device moves to it.
//
// An unverified message (see tracking.Message.Verified) never gives a known
// contact a new user id or email: anyone can send one, and an email linked
// to someone else's contact would receive their mail. It still reaches the
// contact its identities name and attaches its device (anonymous id) there,
// the accepted limit of every Segment-spec tool; merges it causes are
// unverified folds (see Profile.Fold).
func (p *Processor) resolve(ctx context.Context, m tracking.Message, owners map[Identity]string, redirect map[string]string, fresh map[string]bool, known map[string]string) (cid string, created bool, err error) {
	if m.ContactID != "" {
		return m.ContactID, false, nil
	}
	ids := messageIdentities(m)
	defer func() {
		if err == nil && cid != "" {
			for _, id := range ids {
				if id.Kind != AnonymousID && owners[id] == cid {
					dev, seen := known[cid]
					switch {
					case m.Verified:
						known[cid] = ""
					case !seen:
						known[cid] = m.AnonymousID
					default:
						known[cid] = dev
					}
				}
			}
		}
	}()
	top := -1
	for i, id := range ids {
		if c, ok := owners[id]; ok {
			cid, top = follow(redirect, c), i
			break
		}
	}
	// guarded: this message may not add identities to cid, a known contact
	// (found by the message's user id or email, or identified before).
	guarded := !m.Verified && top == 0 && ids[0].Kind != AnonymousID
	switch {
	case top == -1:
		cid, created = NewID(), true
		owner, err := p.store.LinkIdentity(ctx, ids[0], cid, p.now())
		if err != nil {
			return "", false, fmt.Errorf("link %s: %w", ids[0].Kind, err)
		}
		if owner != cid {
			cid, created = owner, false // another invocation created this visitor first
			guarded = !m.Verified && ids[0].Kind != AnonymousID
		}
		owners[ids[0]] = cid
		top = 0
	case top > 0:
		var held *Profile
		if !fresh[cid] { // a contact created in this batch has no stored profile yet
			if held, err = p.profile(ctx, cid); err != nil {
				return "", false, err
			}
		}
		if held != nil && conflicts(held, ids[:top]) {
			// A different known person on the same device.
			old := cid
			cid, created = NewID(), true
			for _, id := range ids[:top] {
				owner, err := p.store.LinkIdentity(ctx, id, cid, p.now())
				if err != nil {
					return "", false, fmt.Errorf("link %s: %w", id.Kind, err)
				}
				owners[id] = owner
				if id == ids[0] && owner != cid {
					cid, created = owner, false
				}
			}
			for _, id := range ids[top:] {
				if id.Kind == AnonymousID && owners[id] == old {
					if err := p.store.RelinkIdentity(ctx, id, old, cid); err != nil {
						return "", false, err
					}
					owners[id] = cid
				}
			}
			return cid, created, nil
		}
		if _, inBatch := known[cid]; !m.Verified && (inBatch || (held != nil && held.Known())) {
			complete := true
			for _, id := range ids[:top] {
				ok, err := p.completes(m, cid, id, held, owners, known)
				if err != nil {
					return "", false, err
				}
				complete = complete && ok
			}
			if !complete {
				// Route the events to the known contact, link nothing new.
				guarded = true
				break
			}
		}
		top = 0
		for _, id := range ids[:1] {
			owner, err := p.store.LinkIdentity(ctx, id, cid, p.now())
			if err != nil {
				return "", false, fmt.Errorf("link %s: %w", id.Kind, err)
			}
			owners[id] = owner
			if owner != cid {
				cid = owner // linked concurrently elsewhere: that contact wins
			}
		}
	}
	for _, id := range ids[top+1:] {
		other, ok := owners[id]
		if ok {
			other = follow(redirect, other)
		} else {
			if guarded && id.Kind != AnonymousID {
				held, err := p.profile(ctx, cid)
				if err != nil {
					return "", false, err
				}
				if ok, err := p.completes(m, cid, id, held, owners, known); err != nil || !ok {
					if err != nil {
						return "", false, err
					}
					continue
				}
			}
			owner, err := p.store.LinkIdentity(ctx, id, cid, p.now())
			if err != nil {
				return "", false, fmt.Errorf("link %s: %w", id.Kind, err)
			}
			other = owner
		}
		owners[id] = other
		if other == cid {
			continue
		}
		if err := p.reconcile(ctx, id, other, cid, m.Verified, owners, redirect); err != nil {
			return "", false, err
		}
	}
	return cid, created, nil
}

// completes reports whether unverified m, routed to the known contact cid,
// may still link id, an identity nobody owns (see Profile.Completes): m
// comes from the device that identified cid without proof, and cid has no
// identity of id's kind. held is cid's stored profile (nil if it has none);
// the contact may have been identified earlier in this batch, which held
// does not show yet but known and owners do.
func (p *Processor) completes(m tracking.Message, cid string, id Identity, held *Profile, owners map[Identity]string, known map[string]string) (bool, error) {
	if m.Verified || m.AnonymousID == "" || id.Kind == AnonymousID {
		return false, nil
	}
	device, inBatch := known[cid]
	if held != nil && held.Known() {
		if inBatch && device == "" {
			return false, nil // a verified call of this batch backs the identity
		}
		device = held.IdentifiedBy
	}
	if device != m.AnonymousID {
		return false, nil
	}
	if held != nil && ((id.Kind == UserID && held.UserID != "") || (id.Kind == Email && held.Email != "")) {
		return false, nil
	}
	for other, owner := range owners {
		if other.Kind == id.Kind && other != id && owner == cid {
			return false, nil // identified this batch by another of this kind
		}
	}
	return true, nil
}

// reconcile handles a lower identity of the message held by another contact.
func (p *Processor) reconcile(ctx context.Context, id Identity, other, cid string, verified bool, owners map[Identity]string, redirect map[string]string) error {
	held, err := p.profile(ctx, other)
	if err != nil {
		return err
	}
	// other was merged into cid already, but the merge may have stopped
	// between its tombstone and the fold (a crash): finish it. Merge is
	// idempotent, so a completed merge costs a read.
	mergedHere := held != nil && held.ID == cid && other != cid
	if held == nil || !held.Known() || mergedHere {
		survivor, err := p.Merge(ctx, other, cid, verified)
		if err != nil {
			return err
		}
		redirect[other] = survivor
		// A contact created earlier in this batch has no profile yet, so
		// Merge could not relink its identities: do it here.
		if err := p.store.RelinkIdentity(ctx, id, other, survivor); err != nil {
			return err
		}
		for k, v := range owners {
			if v == other {
				owners[k] = survivor
			}
		}
		return nil
	}
	if id.Kind == AnonymousID {
		if err := p.store.RelinkIdentity(ctx, id, other, cid); err != nil {
			return err
		}
		owners[id] = cid
		return nil
	}
	// An email or user id that belongs to another known person stays theirs.
	p.log.WarnContext(ctx, "identity belongs to another known contact", "contact_id", cid, "other_contact_id", other, "kind", id.Kind)
	return nil
}

// conflicts reports whether a known contact already has a different
// identity of the kind a message is introducing.
func conflicts(held *Profile, newIDs []Identity) bool {
	for _, id := range newIDs {
		switch id.Kind {
		case UserID:
			if held.UserID != "" && held.UserID != id.Value {
				return true
			}
		case Email:
			if held.Email != "" && held.Email != id.Value && held.UserID == "" {
				return true
			}
		}
	}
	return false
}

// profile reads one contact, following merges; nil if it has no profile yet.
func (p *Processor) profile(ctx context.Context, id string) (*Profile, error) {
	for hop := 0; hop < maxMergeHops; hop++ {
		got, err := p.store.GetProfiles(ctx, []string{id})
		if err != nil {
			return nil, fmt.Errorf("read contact %s: %w", id, err)
		}
		prof := got[id]
		if prof == nil || prof.MergedInto == "" {
			return prof, nil
		}
		id = prof.MergedInto
	}
	return nil, fmt.Errorf("read contact %s: merge chain too long", id)
}

func follow(redirect map[string]string, id string) string {
	for i := 0; i < maxMergeHops; i++ {
		next, ok := redirect[id]
		if !ok {
			return id
		}
		id = next
	}
	return id
}

// messageIdentities lists a message's identities in precedence order: user
// id, then email, then anonymous id. Email counts only where the person gave
// it themselves: an identify call, or a form fill (internal messages).
func messageIdentities(m tracking.Message) []Identity {
	var ids []Identity
	if m.UserID != "" {
		ids = append(ids, Identity{UserID, m.UserID})
	}
	if m.Type == tracking.TypeIdentify || m.Context.Leadflow != nil {
		if e := NormalizeEmail(m.Email()); e != "" {
			ids = append(ids, Identity{Email, e})
		}
	}
	if m.AnonymousID != "" {
		ids = append(ids, Identity{AnonymousID, m.AnonymousID})
	}
	return ids
}

func identitiesOf[T any](items []T, msg func(T) tracking.Message) []Identity {
	seen := map[Identity]bool{}
	var out []Identity
	for _, it := range items {
		for _, id := range messageIdentities(msg(it)) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Clone copies a profile deeply (a path outside the processor keeps the
// profile as read beside the one it changes, for reactors).
func (p *Profile) Clone() *Profile { return p.clone() }

func (p *Profile) clone() *Profile {
	c := *p
	c.AnonymousIDs = slices.Clone(p.AnonymousIDs)
	c.Applied = slices.Clone(p.Applied)
	c.Recent = slices.Clone(p.Recent)
	c.RecentScores = slices.Clone(p.RecentScores)
	c.AppliedKeys = slices.Clone(p.AppliedKeys)
	c.Tags = slices.Clone(p.Tags)
	c.Lists = slices.Clone(p.Lists)
	c.Consents = slices.Clone(p.Consents)
	c.UnsubscribedTopics = slices.Clone(p.UnsubscribedTopics)
	c.MergedIDs = slices.Clone(p.MergedIDs)
	c.Traits = maps.Clone(p.Traits)
	c.TraitTimes = maps.Clone(p.TraitTimes)
	c.Interests = maps.Clone(p.Interests)
	c.StageHistory = slices.Clone(p.StageHistory)
	c.Score = p.Score.Clone()
	c.Segments = slices.Clone(p.Segments)
	c.SegmentCounters = p.SegmentCounters.Clone()
	if p.Journeys != nil {
		c.Journeys = p.Journeys.Clone()
	}
	return &c
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// AnonymousContactID is the contact an unlinked anonymous id belongs to: a
// hash, so every invocation derives the same id without a lookup table, and
// two invocations creating the same visitor collide on the profile's
// version check instead of making two contacts.
func AnonymousContactID(anonymousID string) string {
	sum := sha256.Sum256([]byte("leadflow-anon:" + anonymousID))
	return "c_" + strings.ToLower(idEncoding.EncodeToString(sum[:16]))
}

// NewID returns a random contact id, "c_" and 26 base32 characters.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return "c_" + strings.ToLower(idEncoding.EncodeToString(b[:]))
}
