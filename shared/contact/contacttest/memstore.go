// Package contacttest provides an in-memory contact.Store for unit tests and
// in-process benchmarks. It honours the same contract as the DynamoDB
// adapter (conditional links, versioned saves), and counts calls so tests
// can check how many store round trips a batch costs.
package contacttest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

// MemStore is an in-memory contact.Store.
type MemStore struct {
	mu         sync.Mutex
	identities map[contact.Identity]string
	profiles   map[string][]byte
	versions   map[string]int64
	events     map[string]map[string]tracking.Message
	// chunks are the timeline writes by contact, keyed like the DynamoDB
	// adapter's (newest event and commit), so a rewrite overwrites.
	chunks map[string]map[string]memChunk
	// Calls counts calls by method name.
	Calls map[string]int
	// FailSave makes SaveProfile fail for these contact ids.
	FailSave map[string]error
	// BeforeSave runs before each SaveProfile (to inject concurrent writes).
	BeforeSave func(p *contact.Profile)
	// Changes are the score changes written with each contact's events.
	Changes map[string][]scoring.Change
}

var _ contact.Store = (*MemStore)(nil)

// New returns an empty store.
func New() *MemStore {
	return &MemStore{
		identities: map[contact.Identity]string{}, profiles: map[string][]byte{}, versions: map[string]int64{},
		events: map[string]map[string]tracking.Message{}, Calls: map[string]int{}, FailSave: map[string]error{},
		chunks:  map[string]map[string]memChunk{},
		Changes: map[string][]scoring.Change{},
	}
}

func (m *MemStore) count(name string) {
	m.mu.Lock()
	m.Calls[name]++
	m.mu.Unlock()
}

// LookupIdentities implements contact.Store.
func (m *MemStore) LookupIdentities(_ context.Context, ids []contact.Identity) (map[contact.Identity]string, error) {
	m.count("LookupIdentities")
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[contact.Identity]string{}
	for _, id := range ids {
		if c, ok := m.identities[id]; ok {
			out[id] = c
		}
	}
	return out, nil
}

// LinkIdentity implements contact.Store.
func (m *MemStore) LinkIdentity(_ context.Context, id contact.Identity, cid string, _ time.Time) (string, error) {
	m.count("LinkIdentity")
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.identities[id]; ok {
		return c, nil
	}
	m.identities[id] = cid
	return cid, nil
}

// RelinkIdentity implements contact.Store.
func (m *MemStore) RelinkIdentity(_ context.Context, id contact.Identity, from, to string) error {
	m.count("RelinkIdentity")
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.identities[id]; !ok || cur == from {
		m.identities[id] = to
	}
	return nil
}

// GetProfiles implements contact.Store; profiles are deep copies.
func (m *MemStore) GetProfiles(_ context.Context, ids []string) (map[string]*contact.Profile, error) {
	m.count("GetProfiles")
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]*contact.Profile{}
	for _, id := range ids {
		if raw, ok := m.profiles[id]; ok {
			p, err := decode(raw)
			if err != nil {
				return nil, err
			}
			p.Version = m.versions[id]
			out[id] = p
		}
	}
	return out, nil
}

// stored adds the de-duplication state, which the profile's JSON leaves out.
type stored struct {
	*contact.Profile
	Applied     []uint64 `json:"applied"`
	AppliedKeys []uint32 `json:"applied_keys"`
	Horizon     uint32   `json:"horizon"`
	LastCommit  uint64   `json:"last_commit"`
	// Recent is kept as a store that keeps events in the profile item
	// would (this one never moves events there itself).
	Recent       []tracking.Message `json:"recent,omitempty"`
	RecentScores []scoring.Change   `json:"recent_scores,omitempty"`
}

func decode(raw []byte) (*contact.Profile, error) {
	var s stored
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("decode profile: %w", err)
	}
	s.Profile.Applied, s.Profile.AppliedKeys = s.Applied, s.AppliedKeys
	s.Profile.AppliedHorizon, s.Profile.LastCommit = s.Horizon, s.LastCommit
	s.Profile.Recent, s.Profile.RecentScores = s.Recent, s.RecentScores
	return s.Profile, nil
}

// SaveProfile implements contact.Store.
func (m *MemStore) SaveProfile(_ context.Context, p *contact.Profile) error {
	m.count("SaveProfile")
	if m.BeforeSave != nil {
		m.BeforeSave(p)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.FailSave[p.ID]; err != nil {
		return err
	}
	if m.versions[p.ID] != p.Version {
		return fmt.Errorf("save %s: %w", p.ID, contact.ErrConflict)
	}
	raw, err := json.Marshal(stored{p, p.Applied, p.AppliedKeys, p.AppliedHorizon, p.LastCommit, p.Recent, p.RecentScores})
	if err != nil {
		return err
	}
	m.profiles[p.ID] = raw
	m.versions[p.ID] = p.Version + 1
	p.Version++
	return nil
}

// Profile returns the stored profile (tests).
func (m *MemStore) Profile(id string) *contact.Profile {
	got, _ := m.GetProfiles(context.Background(), []string{id})
	return got[id]
}

type memChunk struct {
	newest time.Time
	chunk  contact.Chunk
}

// PutEvents implements contact.Store.
func (m *MemStore) PutEvents(_ context.Context, cid string, commit contact.Commit, msgs []tracking.Message, changes []scoring.Change) error {
	m.count("PutEvents")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Changes[cid] = append(m.Changes[cid], changes...)
	if m.events[cid] == nil {
		m.events[cid] = map[string]tracking.Message{}
		m.chunks[cid] = map[string]memChunk{}
	}
	c := memChunk{chunk: contact.Chunk{ContactID: cid, Commit: commit}}
	for _, e := range msgs {
		m.events[cid][e.MessageID] = e
		c.chunk.MessageIDs = append(c.chunk.MessageIDs, e.MessageID)
		if e.Timestamp.After(c.newest) {
			c.newest = e.Timestamp
		}
	}
	k := c.newest.Format(time.RFC3339Nano) + "#" + strconv.FormatUint(commit.ID, 16)
	if commit.ID == 0 {
		k = c.newest.Format(time.RFC3339Nano) + "#" + strings.Join(slices.Sorted(slices.Values(c.chunk.MessageIDs)), "\x00")
	}
	m.chunks[cid][k] = c
	return nil
}

// CommitEvents implements contact.Store: always a chunk of the commit,
// then the profile.
func (m *MemStore) CommitEvents(ctx context.Context, p *contact.Profile, commit contact.Commit, msgs []tracking.Message, changes []scoring.Change) error {
	if err := m.PutEvents(ctx, p.ID, commit, msgs, changes); err != nil {
		return err
	}
	p.LastCommit = commit.ID
	return m.SaveProfile(ctx, p)
}

// Chunks implements contact.Store.
func (m *MemStore) Chunks(_ context.Context, cids []string, since time.Time) ([]contact.Chunk, error) {
	m.count("Chunks")
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []contact.Chunk
	for _, cid := range cids {
		for _, c := range m.chunks[cid] {
			if !c.newest.Before(since) {
				out = append(out, c.chunk)
			}
		}
	}
	return out, nil
}

// RecentEvents implements contact.Store.
func (m *MemStore) RecentEvents(ctx context.Context, cid string, limit int) ([]tracking.Message, error) {
	return m.Timeline(ctx, []string{cid}, time.Time{}, limit)
}

// Timeline implements contact.Store.
func (m *MemStore) Timeline(_ context.Context, cids []string, before time.Time, limit int) ([]tracking.Message, error) {
	m.count("Timeline")
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []tracking.Message
	for _, cid := range cids {
		for _, e := range m.events[cid] {
			if before.IsZero() || !e.Timestamp.After(before) {
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Timestamp.After(out[j].Timestamp) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Owner returns the contact an identity points at: its link, or for an
// unlinked anonymous id the contact derived from it (when one exists).
func (m *MemStore) Owner(id contact.Identity) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.identities[id]; ok {
		return c
	}
	if id.Kind == contact.AnonymousID {
		if c := contact.AnonymousContactID(id.Value); m.profiles[c] != nil {
			return c
		}
	}
	return ""
}

// ResetCalls clears the call counters.
func (m *MemStore) ResetCalls() {
	m.mu.Lock()
	m.Calls = map[string]int{}
	m.mu.Unlock()
}
