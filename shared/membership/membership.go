// Package membership keeps who is in which segment and static list: the
// member index (listed by page with a cursor, never a scan), sharded member
// counts that stay exact under retries, and each segment's build state. It
// also holds the Reactor that keeps segment membership current in the
// processor pass that changed a contact. Storage is behind the Store port
// (the DynamoDB adapter is in shared/store/dynamo).
package membership

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"
)

// Kind tells a segment from a list.
type Kind string

// Kinds.
const (
	Segment Kind = "segment"
	List    Kind = "list"
)

// Ref names a segment or a list.
type Ref struct {
	Kind Kind
	ID   string
}

func (r Ref) String() string { return string(r.Kind) + "/" + r.ID }

// Shards splits each member index and count, so a rebuild writes 16
// partitions in parallel and a popular segment's counter is not one hot
// item.
const Shards = 16

// ShardOf is the shard a contact's membership item and count live in.
func ShardOf(contactID string) int {
	h := fnv.New32a()
	h.Write([]byte(contactID))
	return int(h.Sum32() % Shards)
}

// States of a segment.
const (
	StateBuilding = "building"
	StateReady    = "ready"
)

// Status is a segment's or list's count and build state.
type Status struct {
	Count int64
	// ChangedAt is when the count last moved (zero: never).
	ChangedAt time.Time
	// State is building while a rebuild runs, else ready.
	State string
	// Build names the rebuild in progress (or last finished): the
	// definition's version it evaluates.
	Build string
	// ShardsDone are the contact shards the build has finished.
	ShardsDone int
}

// MemberChange puts (In) a contact into a segment's or list's index or
// takes it out.
type MemberChange struct {
	Ref       Ref
	ContactID string
	In        bool
}

// ErrNotFound is returned for a list that does not exist.
var ErrNotFound = errors.New("not found")

// Store is the member index.
type Store interface {
	// SetMember adds (in) or removes a contact and moves the count by one,
	// atomically and only if the index changed: a retried or repeated call
	// changes nothing, so counts stay exact. It reports whether it changed.
	SetMember(ctx context.Context, r Ref, contactID string, in bool, at time.Time) (bool, error)
	// SetMembers is SetMember for many changes in few calls (a rebuild
	// page's): each change moves the index and its count together, and
	// only if the index changed; it reports which did.
	SetMembers(ctx context.Context, changes []MemberChange, at time.Time) ([]bool, error)
	// MarkMember puts (in) or deletes a contact's member item whatever
	// was there: repeating it changes nothing, and it moves no count. The
	// processor's reactor counts each transition itself, once its profile
	// write committed (AddCounts), which is cheaper than SetMember's
	// transaction and as exact.
	MarkMember(ctx context.Context, r Ref, contactID string, in bool, at time.Time) error
	// AddCounts moves the counts of several segments and lists by their
	// deltas on one shard (any shard: a count is the sum of its shards), in
	// as few writes as the store can. It returns the deltas it could not
	// add (with the error); the others are added exactly once.
	AddCounts(ctx context.Context, shard int, deltas map[Ref]int64, at time.Time) (failed map[Ref]int64, err error)
	// Members pages through members: shard by shard, by contact id. The
	// cursor is opaque; "" starts, and a "" next cursor means done.
	Members(ctx context.Context, r Ref, cursor string, limit int) (ids []string, next string, err error)
	// IsMember reads one membership.
	IsMember(ctx context.Context, r Ref, contactID string) (bool, error)
	// Status sums the sharded counts and reads the build state.
	Status(ctx context.Context, r Ref) (Status, error)
	// StartBuild marks a segment building for build (a definition version).
	StartBuild(ctx context.Context, r Ref, build string, at time.Time) error
	// ShardBuilt records that build finished one contacts shard; the
	// segment is ready once every shard is. A shard of an older build is
	// ignored. It returns the status after.
	ShardBuilt(ctx context.Context, r Ref, build string, shard, shards int) (Status, error)
}

// All reads all of a segment's or list's members through a Store, page
// by page (for exports and tests).
func All(ctx context.Context, st Store, r Ref, pageSize int) ([]string, error) {
	var out []string
	cursor := ""
	for {
		ids, next, err := st.Members(ctx, r, cursor, pageSize)
		if err != nil {
			return nil, fmt.Errorf("members of %s: %w", r, err)
		}
		out = append(out, ids...)
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

// ErrBadCursor is returned for a cursor that Members did not give.
var ErrBadCursor = errors.New("bad cursor")
