package mailcontact

import (
	"context"
	"errors"
	"fmt"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/mail"
)

// BatchStore reads a sender batch's state in a few requests
// (dynamo.Store.ReadSendBatch and SuppressedOf).
type BatchStore interface {
	ProfileStore
	ReadSendBatch(ctx context.Context, sendIDs, contactIDs, capContactIDs []string) (map[string]mail.SendState, map[string]*contact.Profile, map[string]mail.CapRecord, error)
	SuppressedOf(ctx context.Context, emails []string) (map[string]bool, error)
}

// BatchReader adapts a BatchStore to mail.BatchReader, mapping profiles to
// recipients as Recipients does, merges followed.
type BatchReader struct{ Store BatchStore }

var _ mail.BatchReader = BatchReader{}

// ReadBatch implements mail.BatchReader.
func (b BatchReader) ReadBatch(ctx context.Context, q mail.BatchQuery) (mail.BatchRead, error) {
	sends, profiles, caps, err := b.Store.ReadSendBatch(ctx, q.SendIDs, q.ContactIDs, q.CapContactIDs)
	if err != nil {
		return mail.BatchRead{}, err
	}
	out := mail.BatchRead{Sends: sends, Caps: caps, Recipients: make(map[string]mail.Recipient, len(profiles))}
	for id, p := range profiles {
		if p.MergedInto != "" {
			// Rare (a send queued before a merge): read the survivor on its
			// own, as Recipients would.
			p, err = Recipients{Profiles: b.Store}.Profile(ctx, id)
			if err != nil {
				if errors.Is(err, mail.ErrContactNotFound) {
					continue
				}
				return mail.BatchRead{}, fmt.Errorf("contact %s merged: %w", id, err)
			}
		}
		out.Recipients[id] = Recipient(p)
	}
	return out, nil
}

// SuppressedOf implements mail.BatchReader.
func (b BatchReader) SuppressedOf(ctx context.Context, emails []string) (map[string]bool, error) {
	return b.Store.SuppressedOf(ctx, emails)
}
