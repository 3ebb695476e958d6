// Package memberaudience reads a campaign's audience from the member index
// (shared/membership): each segment and list is paged by its own index, a
// query per shard, and an exclusion is a keyed read of the contact's
// membership. Nothing here walks the contacts; campaigns only see it
// through the campaign.MemberPager port.
package memberaudience

import (
	"context"
	"fmt"

	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/membership"
)

// Index is the member index's query side (the DynamoDB store).
type Index interface {
	// Members pages a segment's or list's members (membership.Store).
	Members(ctx context.Context, r membership.Ref, cursor string, limit int) ([]string, string, error)
	// MembersAmong says which of the contacts are members: one keyed
	// batch read of their membership items, not a page of the index.
	MembersAmong(ctx context.Context, r membership.Ref, contactIDs []string) (map[string]bool, error)
}

// Profiles gives contacts' profiles by id (a keyed batch read): only a
// recipient-time send asks, for the recipients' zones.
type Profiles interface {
	GetProfiles(ctx context.Context, ids []string) (map[string]*contact.Profile, error)
}

// Pager implements campaign.MemberPager and campaign.ZoneReader.
type Pager struct {
	Index    Index
	Profiles Profiles
}

var (
	_ campaign.MemberPager = (*Pager)(nil)
	_ campaign.ZoneReader  = (*Pager)(nil)
)

// ref maps a campaign source onto the index's names.
func ref(src campaign.Source) (membership.Ref, error) {
	switch src.Kind {
	case "segment":
		return membership.Ref{Kind: membership.Segment, ID: src.ID}, nil
	case "list":
		return membership.Ref{Kind: membership.List, ID: src.ID}, nil
	}
	return membership.Ref{}, fmt.Errorf("audience source kind %q", src.Kind)
}

// MemberPage reads one page of a source's member index; the cursor is the
// index's own.
func (p *Pager) MemberPage(ctx context.Context, src campaign.Source, cursor string, limit int) ([]campaign.Member, string, error) {
	r, err := ref(src)
	if err != nil {
		return nil, "", err
	}
	ids, next, err := p.Index.Members(ctx, r, cursor, limit)
	if err != nil {
		return nil, "", fmt.Errorf("audience page of %s: %w", r, err)
	}
	out := make([]campaign.Member, len(ids))
	for i, id := range ids {
		out[i] = campaign.Member{ID: id}
	}
	return out, next, nil
}

// InSegments asks each exclusion segment's index about the page's
// contacts: one batch read per segment.
func (p *Pager) InSegments(ctx context.Context, segments, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	for _, s := range segments {
		r := membership.Ref{Kind: membership.Segment, ID: s}
		in, err := p.Index.MembersAmong(ctx, r, ids)
		if err != nil {
			return nil, fmt.Errorf("exclusion %s: %w", r, err)
		}
		for id, ok := range in {
			if ok {
				out[id] = true
			}
		}
	}
	return out, nil
}

// Timezones reads the recipients' zones ("" when unknown: the schedule's
// default applies).
func (p *Pager) Timezones(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ps, err := p.Profiles.GetProfiles(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("recipient zones: %w", err)
	}
	for id, pr := range ps {
		if pr != nil {
			out[id] = pr.Timezone
		}
	}
	return out, nil
}
