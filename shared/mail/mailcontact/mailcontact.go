// Package mailcontact maps a contact profile to what the sending pipeline
// and templates may see of it. It sits apart from both packages because the
// contact package already depends on mail (it requests double opt-in mail).
package mailcontact

import (
	"context"
	"errors"
	"fmt"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/template"
)

// Recipient maps a profile to the pipeline's view of it.
func Recipient(p *contact.Profile) mail.Recipient {
	return mail.Recipient{Email: p.Email, Status: p.Status, Timezone: p.Timezone, UnsubscribedTopics: p.UnsubscribedTopics, Data: Data(p)}
}

// Data is the contact's part of a template's data: the contact, traits,
// company and location. Sender, links and campaign come from the send.
func Data(p *contact.Profile) template.Data {
	d := template.Data{
		Contact: template.Contact{ID: p.ID, Email: p.Email, Status: p.Status, FirstSeen: p.FirstSeen, Tags: p.Tags, Timezone: p.Timezone},
		Traits:  p.Traits,
	}
	if p.Company != nil {
		d.Company = template.Company{Domain: p.Company.Domain, EmailType: p.Company.EmailType}
	}
	if p.Location != nil {
		d.Location = template.Location{Country: p.Location.Country, Region: p.Location.Region, City: p.Location.City}
	}
	return d
}

// ProfileStore reads contact profiles.
type ProfileStore interface {
	GetProfile(ctx context.Context, id string) (*contact.Profile, error)
}

// Recipients adapts a profile store to mail.Recipients.
type Recipients struct{ Profiles ProfileStore }

var _ mail.Recipients = Recipients{}

// Recipient reads a contact, following a merge to the contact it went into
// (a send queued before the merge still reaches the person).
func (r Recipients) Recipient(ctx context.Context, id string) (mail.Recipient, error) {
	p, err := r.Profile(ctx, id)
	if err != nil {
		return mail.Recipient{}, err
	}
	return Recipient(p), nil
}

// Profile reads a contact the same way (mail.ErrContactNotFound when there
// is none).
func (r Recipients) Profile(ctx context.Context, id string) (*contact.Profile, error) {
	p, err := r.Profiles.GetProfile(ctx, id)
	if err == nil && p.MergedInto != "" {
		p, err = r.Profiles.GetProfile(ctx, p.MergedInto)
	}
	if errors.Is(err, contact.ErrNotFound) {
		return nil, fmt.Errorf("contact %s: %w", id, mail.ErrContactNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read contact %s: %w", id, err)
	}
	return p, nil
}
