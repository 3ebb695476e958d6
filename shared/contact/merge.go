package contact

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Merging two contacts is a three-step protocol that is safe to crash in and
// safe to race:
//
//  1. tombstone: the losing contact is written with MergedInto set, under its
//     version. From then on every writer that reads it is redirected, so its
//     aggregates are frozen.
//  2. fold: the frozen aggregates are added to the surviving contact, which
//     records the loser in MergedIDs, under its version. MergedIDs makes the
//     fold happen once, however many workers attempt it.
//  3. relink: identity links of the loser are pointed at the survivor
//     (conditional on still pointing at the loser). Until then, a lookup that
//     lands on the tombstone follows MergedInto, so this step is an
//     optimisation, not a requirement.
//
// Timeline items are not moved: the survivor's timeline is read from its own
// partition and those of MergedIDs, so a merge costs a handful of writes
// however many events the anonymous visitor had.

const maxMergeHops = 8

// errRedirect reports that a contact turned out to be merged into another.
type errRedirect struct{ to string }

func (e errRedirect) Error() string { return "contact merged into " + e.to }

// Merge folds contact from into contact into. It is idempotent. verified
// says whether the call that asked for the merge proved who sent it: an
// unverified merge into a known contact only adds (see Fold).
func (p *Processor) Merge(ctx context.Context, from, into string, verified bool) (string, error) {
	for hop := 0; hop < maxMergeHops; hop++ {
		if from == into {
			return into, nil
		}
		profs, err := p.store.GetProfiles(ctx, []string{from, into})
		if err != nil {
			return "", fmt.Errorf("merge %s into %s: read: %w", from, into, err)
		}
		src, dst := profs[from], profs[into]
		if dst != nil && dst.MergedInto != "" {
			into = dst.MergedInto // the survivor was itself merged: follow it
			continue
		}
		if src == nil {
			// Nothing stored yet, but another invocation may be creating
			// this contact right now. A tombstone written only if none exists
			// makes that creation conflict and redirect here instead of
			// leaving a live orphan holding part of the visitor's events.
			now := p.now().UTC()
			tomb := &Profile{ID: from, MergedInto: into, CreatedAt: now, UpdatedAt: now}
			if err := p.store.SaveProfile(ctx, tomb); err != nil {
				if errors.Is(err, ErrConflict) {
					continue // it was just created: merge it properly
				}
				return "", fmt.Errorf("merge %s into %s: tombstone: %w", from, into, err)
			}
			src = tomb
		}
		if src.MergedInto != "" && src.MergedInto != into {
			// Already merged elsewhere: merge that contact instead.
			from = src.MergedInto
			continue
		}
		if src.MergedInto == "" {
			tomb := src.clone()
			tomb.MergedInto = into
			tomb.UpdatedAt = p.now().UTC()
			if err := p.store.SaveProfile(ctx, tomb); err != nil {
				if errors.Is(err, ErrConflict) {
					continue // it changed: re-read and tombstone the new state
				}
				return "", fmt.Errorf("merge %s into %s: tombstone: %w", from, into, err)
			}
			src = tomb
		}
		if err := p.fold(ctx, src, into, verified); err != nil {
			if errors.Is(err, ErrConflict) {
				continue
			}
			return "", err
		}
		p.relink(ctx, src, into)
		return into, nil
	}
	return "", fmt.Errorf("merge %s into %s: gave up after %d hops", from, into, maxMergeHops)
}

func (p *Processor) fold(ctx context.Context, src *Profile, into string, verified bool) error {
	for attempt := 0; attempt <= maxConflictRetries; attempt++ {
		profs, err := p.store.GetProfiles(ctx, []string{into})
		if err != nil {
			return fmt.Errorf("fold %s into %s: read: %w", src.ID, into, err)
		}
		dst := profs[into]
		if dst == nil {
			dst = &Profile{ID: into}
		}
		if dst.MergedInto != "" {
			return fmt.Errorf("fold %s into %s: %w", src.ID, into, ErrConflict) // caller follows it
		}
		if slices.Contains(dst.MergedIDs, src.ID) {
			return nil // folded already
		}
		next := dst.clone()
		next.Fold(src, verified)
		next.UpdatedAt = p.now().UTC()
		// State reactors keep on the profile (journey runs) follows the
		// contact, committed by the same write.
		if err := p.merged(ctx, &MergeChange{From: src, Into: next, Verified: verified, Guarded: !verified && dst.Known(), Now: next.UpdatedAt}); err != nil {
			return err
		}
		err = p.store.SaveProfile(ctx, next)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrConflict) {
			return fmt.Errorf("fold %s into %s: %w", src.ID, into, err)
		}
	}
	return fmt.Errorf("fold %s into %s: %w", src.ID, into, ErrConflict)
}

func (p *Processor) relink(ctx context.Context, src *Profile, into string) {
	var ids []Identity
	for _, a := range src.AnonymousIDs {
		ids = append(ids, Identity{AnonymousID, a})
	}
	if src.UserID != "" {
		ids = append(ids, Identity{UserID, src.UserID})
	}
	if src.Email != "" {
		ids = append(ids, Identity{Email, src.Email})
	}
	for _, id := range ids {
		if err := p.store.RelinkIdentity(ctx, id, src.ID, into); err != nil {
			// Harmless: lookups follow the tombstone. Logged for visibility.
			p.log.WarnContext(ctx, "relink identity after merge", "contact_id", into, "merged_id", src.ID, "kind", id.Kind, "error", err)
		}
	}
}

// Fold adds another contact's history to this one. Counts add up; first
// seen and first touch keep the earliest, last seen, last page and last touch
// the latest; each trait keeps its most recently set value; an unsubscribe on
// either side wins, because mailing someone who opted out is the one
// mistake a merge must not make.
//
// An unverified fold into a known contact (an identify with only the public
// write key named this contact's email or user id) is the attacker's case:
// whoever sent it may have prepared the other profile. Its behaviour still
// joins (counts, interests, last seen and touch, device), but it only adds
// traits and identities this contact does not have, keeps this contact's
// first seen and first touch when it has them, and brings no consent or
// subscription (an unsubscribe still carries over: it can only stop mail).
func (p *Profile) Fold(o *Profile, verified bool) {
	wasKnown := p.Known()
	guarded := !verified && wasKnown
	p.PageViews += o.PageViews
	p.EventCount += o.EventCount
	p.Sessions += o.Sessions
	for k, v := range o.Interests {
		if p.Interests == nil {
			p.Interests = map[string]int{}
		}
		p.Interests[k] += v
	}
	if !o.FirstSeen.IsZero() && (p.FirstSeen.IsZero() || (o.FirstSeen.Before(p.FirstSeen) && !guarded)) {
		p.FirstSeen = o.FirstSeen
		if o.FirstTouch != nil {
			p.FirstTouch = o.FirstTouch
		}
	}
	if p.FirstTouch == nil {
		p.FirstTouch = o.FirstTouch
	}
	if o.LastSeen.After(p.LastSeen) {
		p.LastSeen = o.LastSeen
		if o.Device != nil {
			p.Device = o.Device
		}
	}
	if o.LastTouch != nil && (p.LastTouch == nil || o.LastTouch.At.After(p.LastTouch.At) || p.LastTouch.Source == "(direct)") && o.LastTouch.Source != "(direct)" {
		p.LastTouch = o.LastTouch
	}
	if p.LastTouch == nil {
		p.LastTouch = o.LastTouch
	}
	if o.LastPage != nil && (p.LastPage == nil || o.LastPage.At.After(p.LastPage.At)) {
		p.LastPage = o.LastPage
	}
	for k, v := range o.Traits {
		ot := o.TraitTimes[k]
		if pt, ok := p.TraitTimes[k]; ok && (!ot.After(pt) || guarded) {
			continue
		}
		if _, ok := p.Traits[k]; ok && guarded {
			continue
		}
		if p.Traits == nil {
			p.Traits = map[string]any{}
		}
		if p.TraitTimes == nil {
			p.TraitTimes = map[string]time.Time{}
		}
		p.Traits[k] = v
		p.TraitTimes[k] = ot
	}
	if p.Email == "" && !guarded {
		p.Email, p.Company = o.Email, o.Company
	}
	// The suppression is the address's: it follows the address.
	if p.Suppressed == "" && p.Email != "" && p.Email == o.Email {
		p.Suppressed = o.Suppressed
	}
	if p.UserID == "" && !guarded {
		p.UserID = o.UserID
	}
	if !wasKnown && p.Known() {
		p.IdentifiedBy = o.IdentifiedBy // the identities came from o, and so did the device
	}
	if p.Location == nil {
		p.Location = o.Location
	}
	if p.Timezone == "" {
		p.Timezone = o.Timezone
	}
	for _, a := range o.AnonymousIDs {
		p.AddAnonymousID(a)
	}
	p.Tags = union(p.Tags, o.Tags)
	p.Lists = union(p.Lists, o.Lists)
	// A topic either side switched off stays off, like an unsubscribe.
	p.UnsubscribedTopics = union(p.UnsubscribedTopics, o.UnsubscribedTopics)
	if guarded {
		if o.Status == "unsubscribed" {
			p.Status = o.Status
		}
	} else {
		p.Consents = append(p.Consents, o.Consents...)
		sort.SliceStable(p.Consents, func(i, j int) bool { return p.Consents[i].At.Before(p.Consents[j].At) })
		if over := len(p.Consents) - MaxConsents; over > 0 {
			p.Consents = slices.Clone(p.Consents[over:])
		}
		p.Status = strongerStatus(p.Status, o.Status)
	}
	p.foldWindow(o)
	p.MergedIDs = union(p.MergedIDs, append([]string{o.ID}, o.MergedIDs...))
	if !o.CreatedAt.IsZero() && (p.CreatedAt.IsZero() || o.CreatedAt.Before(p.CreatedAt)) {
		p.CreatedAt = o.CreatedAt
	}
}

var statusRank = map[string]int{"": 0, StatusNoConsent: 1, "pending": 2, "subscribed": 3, "unsubscribed": 4}

func strongerStatus(a, b string) string {
	if statusRank[b] > statusRank[a] {
		return b
	}
	return a
}

// Known reports whether the contact has been identified (user id or email).
func (p *Profile) Known() bool { return p.Email != "" || p.UserID != "" }
