package contact

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

// De-duplication is exact for every messageId received in the last
// DedupPeriod, at no write of its own:
//
//   - Fast path: the profile remembers the hashes of the last AppliedWindow
//     messages (and batch groups) it applied, each with the client's time of
//     the event, and AppliedHorizon, the latest such time of any message
//     that has left the window. A message in the window is a duplicate; one
//     whose client time is after the horizon cannot have left it, so it is
//     new. Clients send events in order, so almost every message takes this
//     path and costs nothing beyond the profile write that happens anyway.
//   - Slow path: a message that may have left the window (its client time is
//     at or before the horizon, or it has none) is looked up in the
//     contact's timeline chunks of the period (Store.Chunks), the contact's
//     own and those of contacts merged into it. That costs reads, never a
//     write, and only for late retries, late offline events and clients that
//     send no time.
//
// Events a store keeps in the profile's own item (Profile.Recent) commit
// with it, so they are applied. A timeline chunk is written before the
// profile write that commits it, so a crash in between leaves a chunk whose
// events were never counted; its redelivery must count them. Each chunk of
// new events therefore carries its Commit: an id and the id of the
// profile's previous commit. The profile keeps the id of its last commit
// (LastCommit), so a chunk is part of the contact when it is that last
// commit or the parent of another chunk: a failed attempt's chunk is
// neither, and its messages count as new. A chunk with no commit holds
// events that were committed before it was written (kept events a store
// moved out of the profile item, or chunks older than commits).

// DedupPeriod is how long after it was received a messageId is still
// recognised: longer than the events queue keeps a message (4 days) and than
// clients retry (the Segment libraries queue events offline for days).
const DedupPeriod = 7 * 24 * time.Hour

// Commit names a profile write that applied events (ID) and the one before
// it (Parent); 0 is none. The timeline chunks written for it carry both.
type Commit struct{ ID, Parent uint64 }

// Chunk is what de-duplication reads of a stored timeline chunk.
type Chunk struct {
	ContactID  string
	Commit     Commit
	MessageIDs []string
}

// commitID names the commit of the given fresh messages: the same messages
// applied again (a redelivery after a crash) write the same chunk with the
// same id.
func commitID(fresh []tracking.Message) uint64 {
	if id := GroupHash(fresh) ^ 0x5bd1e9955bd1e995; id != 0 {
		return id
	}
	return 1
}

// retryKey is what every retry of a message shares with it and the window
// remembers: the client's own time of the event (originalTimestamp, or
// timestamp when it gave only that), in Unix seconds. ok is false when the
// client gave none, or one outside the window tracking accepts around the
// receive time: then the time the event was stored under is the receive
// time, which a retry does not share.
func retryKey(m tracking.Message) (uint32, bool) {
	t := m.OriginalTimestamp
	if t == nil || m.ReceivedAt.IsZero() {
		return 0, false
	}
	if t.Before(m.ReceivedAt.Add(-tracking.MaxClockBehind)) || t.After(m.ReceivedAt.Add(tracking.MaxClockAhead)) {
		return 0, false
	}
	return unixKey(*t), true
}

// rememberKey is the time the window keeps for an applied message: at least
// the retryKey of any retry within DedupPeriod that could take the fast path.
//   - client time accepted: that time;
//   - client time too far ahead: a retry up to DedupPeriod later may accept
//     it, so the time itself, bounded to what such a retry can accept (a
//     year-9999 clock must not push the horizon out for good);
//   - client time too far behind, or none: the stored timestamp (the
//     receive time), which is later than any time a retry could carry.
func rememberKey(m tracking.Message) uint32 {
	if k, ok := retryKey(m); ok {
		return k
	}
	if t := m.OriginalTimestamp; t != nil && !m.ReceivedAt.IsZero() && t.After(m.ReceivedAt) {
		return unixKey(minTime(*t, m.ReceivedAt.Add(DedupPeriod+tracking.MaxClockAhead)))
	}
	return unixKey(m.Timestamp)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// unixKey is t in Unix seconds, at least 1 (0 means "nothing evicted").
func unixKey(t time.Time) uint32 {
	s := t.Unix()
	switch {
	case s < 1:
		return 1
	case s > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(s)
}

// remember adds hashes to the window with their keys (keys[i] for
// hashes[i]), evicting the oldest entries beyond AppliedWindow into the
// horizon.
func (p *Profile) remember(hashes []uint64, keys []uint32) {
	// A window stored before keys existed has none: pad, so entries and keys
	// stay aligned (a 0 key never raises the horizon).
	for len(p.AppliedKeys) < len(p.Applied) {
		p.AppliedKeys = append(p.AppliedKeys, 0)
	}
	p.Applied = append(p.Applied, hashes...)
	p.AppliedKeys = append(p.AppliedKeys, keys...)
	over := len(p.Applied) - AppliedWindow
	if over <= 0 {
		return
	}
	for _, k := range p.AppliedKeys[:over] {
		p.AppliedHorizon = max(p.AppliedHorizon, k)
	}
	p.Applied = slices.Clone(p.Applied[over:])
	p.AppliedKeys = slices.Clone(p.AppliedKeys[over:])
}

// Doubtful returns the messages the window cannot vouch for: not in it, and
// possibly applied before and evicted from it. Only these need the timeline.
func (p *Profile) Doubtful(msgs []tracking.Message) []tracking.Message {
	if p.AppliedHorizon == 0 || slices.Contains(p.Applied, GroupHash(msgs)) {
		return nil // nothing ever left the window, or the whole batch is a replay
	}
	batch := map[uint64]bool{}
	var out []tracking.Message
	for _, m := range msgs {
		h := Hash(m.MessageID)
		if batch[h] || slices.Contains(p.Applied, h) {
			continue
		}
		batch[h] = true
		if k, ok := retryKey(m); ok && k > p.AppliedHorizon {
			continue
		}
		out = append(out, m)
	}
	return out
}

// foldWindow keeps the merged contact's window too, so a late redelivery of
// its events is recognised here; its horizon joins this one.
func (p *Profile) foldWindow(o *Profile) {
	ownHashes, ownKeys := p.Applied, p.AppliedKeys
	p.Applied, p.AppliedKeys = slices.Clone(o.Applied), slices.Clone(o.AppliedKeys)
	p.AppliedHorizon = max(p.AppliedHorizon, o.AppliedHorizon)
	keys := make([]uint32, len(ownHashes))
	copy(keys, ownKeys)
	p.remember(slices.Clone(ownHashes), keys)
}

// AppliedIn returns which of ids the given chunks show as applied: ids in a
// chunk that is its partition's last commit (heads, by contact id), the
// parent of another chunk of the partition, or written before chunks had
// commits.
func AppliedIn(chunks []Chunk, heads map[string]uint64, ids []string) map[string]bool {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	parents := map[string]map[uint64]bool{}
	for _, c := range chunks {
		if c.Commit.Parent == 0 {
			continue
		}
		if parents[c.ContactID] == nil {
			parents[c.ContactID] = map[uint64]bool{}
		}
		parents[c.ContactID][c.Commit.Parent] = true
	}
	out := map[string]bool{}
	for _, c := range chunks {
		committed := c.Commit.ID == 0 || c.Commit.ID == heads[c.ContactID] || parents[c.ContactID][c.Commit.ID]
		if !committed {
			continue
		}
		for _, id := range c.MessageIDs {
			if want[id] {
				out[id] = true
			}
		}
	}
	return out
}

// history looks up the messages the window cannot vouch for in the
// timeline, and returns the ids of those applied before.
func (p *Processor) history(ctx context.Context, prof *Profile, msgs []tracking.Message) (map[string]bool, error) {
	doubt := prof.Doubtful(msgs)
	if len(doubt) == 0 {
		return nil, nil
	}
	// A retry received at R is of a message first received after
	// R - DedupPeriod, whose time was then at most MaxClockBehind earlier:
	// its chunk's newest event is no older than that.
	earliest := p.now()
	ids := make([]string, len(doubt))
	for i, m := range doubt {
		ids[i] = m.MessageID
		if !m.ReceivedAt.IsZero() && m.ReceivedAt.Before(earliest) {
			earliest = m.ReceivedAt
		}
	}
	since := earliest.Add(-DedupPeriod - tracking.MaxClockBehind)
	parts := append([]string{prof.ID}, prof.MergedIDs...)
	heads := map[string]uint64{prof.ID: prof.LastCommit}
	// Events kept in a profile's own item committed with it.
	recent := []*Profile{prof}
	if len(prof.MergedIDs) > 0 {
		// A merged contact's chunks are committed by its own profile writes:
		// its tombstone keeps its last commit.
		tombs, err := p.store.GetProfiles(ctx, prof.MergedIDs)
		if err != nil {
			return nil, fmt.Errorf("read merged contacts of %s: %w", prof.ID, err)
		}
		for id, t := range tombs {
			heads[id] = t.LastCommit
			recent = append(recent, t)
		}
	}
	chunks, err := p.store.Chunks(ctx, parts, since)
	if err != nil {
		return nil, fmt.Errorf("read recent timeline of %s: %w", prof.ID, err)
	}
	applied := AppliedIn(chunks, heads, ids)
	doubtful := map[string]bool{}
	for _, id := range ids {
		doubtful[id] = true
	}
	for _, r := range recent {
		for _, m := range r.Recent {
			if doubtful[m.MessageID] {
				applied[m.MessageID] = true
			}
		}
	}
	return applied, nil
}
