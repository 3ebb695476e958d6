// Package contactaudience is an interim audience adapter: until the
// membership index (shared/membership) is merged, it pages the contacts
// index shard by shard and keeps the contacts a source names, reading their
// profiles. It understands the segment "all" (every identified contact),
// segments "tag:<tag>" (contacts with the tag) and lists by name (the
// profile's lists). It reads every contact for every source, which the
// membership index avoids; campaigns only see it through the
// campaign.MemberPager port.
package contactaudience

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/contact"
)

// Contacts is what the adapter reads (the DynamoDB store).
type Contacts interface {
	ContactsPage(ctx context.Context, shard int, cursor string, limit int) ([]string, string, error)
	GetProfiles(ctx context.Context, ids []string) (map[string]*contact.Profile, error)
}

// Pager implements campaign.MemberPager.
type Pager struct {
	Contacts Contacts
	Shards   int
}

var _ campaign.MemberPager = (*Pager)(nil)

func matches(p *contact.Profile, kind, id string) (bool, error) {
	if p == nil || p.MergedInto != "" {
		return false, nil
	}
	switch {
	case kind == "list":
		return slices.Contains(p.Lists, id), nil
	case id == "all":
		return true, nil
	case strings.HasPrefix(id, "tag:"):
		return slices.Contains(p.Tags, strings.TrimPrefix(id, "tag:")), nil
	}
	return false, fmt.Errorf("segment %q: only \"all\" and \"tag:<tag>\" are known until the membership index is merged", id)
}

// MemberPage reads one page of the contacts index (a shard at a time; the
// cursor is "<shard>|<shard cursor>") and keeps the source's members.
func (p *Pager) MemberPage(ctx context.Context, src campaign.Source, cursor string, limit int) ([]campaign.Member, string, error) {
	shard, inner := 0, ""
	if cursor != "" {
		s, c, _ := strings.Cut(cursor, "|")
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n >= p.Shards {
			return nil, "", fmt.Errorf("audience cursor %q", cursor)
		}
		shard, inner = n, c
	}
	ids, next, err := p.Contacts.ContactsPage(ctx, shard, inner, limit)
	if err != nil {
		return nil, "", err
	}
	profiles, err := p.Contacts.GetProfiles(ctx, ids)
	if err != nil {
		return nil, "", fmt.Errorf("audience profiles: %w", err)
	}
	var out []campaign.Member
	for _, id := range ids {
		ok, err := matches(profiles[id], src.Kind, src.ID)
		if err != nil {
			return nil, "", err
		}
		if ok {
			out = append(out, campaign.Member{ID: id, Timezone: profiles[id].Timezone})
		}
	}
	switch {
	case next != "":
		return out, strconv.Itoa(shard) + "|" + next, nil
	case shard+1 < p.Shards:
		return out, strconv.Itoa(shard+1) + "|", nil
	}
	return out, "", nil
}

// InSegments answers which contacts are in any of the segments.
func (p *Pager) InSegments(ctx context.Context, segments, ids []string) (map[string]bool, error) {
	profiles, err := p.Contacts.GetProfiles(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("exclusion profiles: %w", err)
	}
	out := map[string]bool{}
	for _, id := range ids {
		for _, s := range segments {
			ok, err := matches(profiles[id], "segment", s)
			if err != nil {
				return nil, err
			}
			if ok {
				out[id] = true
			}
		}
	}
	return out, nil
}
