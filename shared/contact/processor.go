package contact

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

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
}

// Processor turns queued tracking batches into contact profiles and timelines.
type Processor struct {
	store Store
	now   func() time.Time
	log   *slog.Logger
	// Parallel bounds concurrent contact updates within one invocation.
	parallel int
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

	// 1. Resolve every identity in one lookup, then walk messages in order so
	// an identify earlier in the batch routes later events to the same contact.
	owners, err := p.store.LookupIdentities(ctx, identitiesOf(items, func(i item) tracking.Message { return i.msg }))
	if err != nil {
		return out, fmt.Errorf("look up identities: %w", err)
	}
	failed := map[string]bool{}
	byContact := map[string][]tracking.Message{}
	inputsOf := map[string]map[string]bool{}
	var order []string
	for _, it := range items {
		cid, created, err := p.resolve(ctx, it.msg, owners)
		if err != nil {
			p.log.ErrorContext(ctx, "resolve contact", "input", it.input, "message_id", it.msg.MessageID, "error", err)
			failed[it.input] = true
			continue
		}
		if created {
			out.NewContacts++
		}
		if _, ok := byContact[cid]; !ok {
			order = append(order, cid)
			inputsOf[cid] = map[string]bool{}
		}
		byContact[cid] = append(byContact[cid], it.msg)
		inputsOf[cid][it.input] = true
	}
	out.Contacts = len(order)

	// 2. One read of all profiles, then one write per contact.
	profiles, err := p.store.GetProfiles(ctx, order)
	if err != nil {
		return out, fmt.Errorf("read %d profiles: %w", len(order), err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, p.parallel)
	for _, cid := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func(cid string) {
			defer wg.Done()
			defer func() { <-sem }()
			applied, dups, conflicts, err := p.applyContact(ctx, cid, profiles[cid], byContact[cid])
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
	for _, in := range inputs {
		if failed[in.ID] {
			out.Failed = append(out.Failed, in.ID)
		}
	}
	return out, nil
}

// applyContact writes the timeline then the profile. The timeline write is
// idempotent (its key derives from the events), so a crash between the two
// writes is repaired by redelivery; the profile write is the commit point.
func (p *Processor) applyContact(ctx context.Context, cid string, prof *Profile, msgs []tracking.Message) (applied, dups, conflicts int, err error) {
	for attempt := 0; ; attempt++ {
		if prof == nil {
			prof = &Profile{ID: cid}
		}
		working := prof.clone()
		fresh := working.Apply(msgs, p.now())
		if len(fresh) == 0 {
			return 0, len(msgs), conflicts, nil
		}
		if err := p.store.PutEvents(ctx, cid, fresh); err != nil {
			return 0, 0, conflicts, fmt.Errorf("store %d events of %s: %w", len(fresh), cid, err)
		}
		err := p.store.SaveProfile(ctx, working)
		if err == nil {
			return len(fresh), len(msgs) - len(fresh), conflicts, nil
		}
		if !errors.Is(err, ErrConflict) || attempt >= maxConflictRetries {
			return 0, 0, conflicts, fmt.Errorf("save profile %s: %w", cid, err)
		}
		conflicts++
		reread, err := p.store.GetProfiles(ctx, []string{cid})
		if err != nil {
			return 0, 0, conflicts, fmt.Errorf("re-read profile %s: %w", cid, err)
		}
		prof = reread[cid]
	}
}

// resolve finds the contact a message belongs to, creating it and linking
// the message's identities as needed. owners is updated in place.
func (p *Processor) resolve(ctx context.Context, m tracking.Message, owners map[Identity]string) (cid string, created bool, err error) {
	if m.ContactID != "" {
		return m.ContactID, false, nil
	}
	ids := messageIdentities(m)
	for _, id := range ids {
		if c, ok := owners[id]; ok {
			cid = c
			break
		}
	}
	if cid == "" {
		cid = NewID()
		created = true
	}
	for _, id := range ids {
		if _, ok := owners[id]; ok {
			continue
		}
		owner, err := p.store.LinkIdentity(ctx, id, cid, p.now())
		if err != nil {
			return "", false, fmt.Errorf("link %s %q: %w", id.Kind, id.Value, err)
		}
		owners[id] = owner
		if owner != cid {
			if created && id == ids[0] {
				// Another invocation created this visitor first: use theirs.
				cid, created = owner, false
				continue
			}
			// The identity already belongs to another contact. Merging two
			// known contacts is identity resolution's job; until then the
			// event stays with the contact its primary id points at.
			p.log.WarnContext(ctx, "identity belongs to another contact", "contact_id", cid, "other_contact_id", owner, "kind", id.Kind)
		}
	}
	return cid, created, nil
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

func (p *Profile) clone() *Profile {
	c := *p
	c.AnonymousIDs = slices.Clone(p.AnonymousIDs)
	c.Applied = slices.Clone(p.Applied)
	c.Tags = slices.Clone(p.Tags)
	c.Lists = slices.Clone(p.Lists)
	c.Consents = slices.Clone(p.Consents)
	c.MergedIDs = slices.Clone(p.MergedIDs)
	c.Traits = maps.Clone(p.Traits)
	c.TraitTimes = maps.Clone(p.TraitTimes)
	c.Interests = maps.Clone(p.Interests)
	return &c
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a random contact id, "c_" and 26 base32 characters.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return "c_" + strings.ToLower(idEncoding.EncodeToString(b[:]))
}
