package preference

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
)

// Store is the contact storage a preference change reads and writes (the
// DynamoDB store implements it).
type Store interface {
	// GetProfile returns contact.ErrNotFound for an unknown contact.
	GetProfile(ctx context.Context, id string) (*contact.Profile, error)
	// SaveProfile returns contact.ErrConflict when the profile changed
	// since it was read.
	SaveProfile(ctx context.Context, p *contact.Profile) error
}

// maxMergeHops bounds a chain of merged contacts.
const maxMergeHops = 8

// Resolve reads a contact, following merges to the survivor: a link in an
// old email, or an SES event about it, names the contact as it was when
// the mail went out.
func Resolve(ctx context.Context, st Store, id string) (*contact.Profile, error) {
	for hop := 0; hop < maxMergeHops; hop++ {
		p, err := st.GetProfile(ctx, id)
		if err != nil {
			return nil, err
		}
		if p.MergedInto == "" {
			return p, nil
		}
		id = p.MergedInto
	}
	return nil, fmt.Errorf("contact %s: merge chain too long", id)
}

// Update changes a contact under optimistic locking, re-reading and
// re-applying when a concurrent write (usually the processor's) got there
// first. change reports whether it changed anything; nothing is written
// when it did not. It returns the contact as stored, and whether it wrote.
func Update(ctx context.Context, st Store, id string, now time.Time, change func(p *contact.Profile) bool) (*contact.Profile, bool, error) {
	const attempts = 6
	for attempt := 0; attempt < attempts; attempt++ {
		p, err := Resolve(ctx, st, id)
		if err != nil {
			return nil, false, err
		}
		if !change(p) {
			return p, false, nil
		}
		p.UpdatedAt = now.UTC()
		err = st.SaveProfile(ctx, p)
		if err == nil {
			return p, true, nil
		}
		if !errors.Is(err, contact.ErrConflict) {
			return nil, false, fmt.Errorf("save contact %s: %w", p.ID, err)
		}
	}
	return nil, false, fmt.Errorf("update contact %s: still conflicting after %d attempts", id, attempts)
}
