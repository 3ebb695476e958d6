package contact

import (
	"context"
	"errors"
	"time"

	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Sentinel errors adapters return and handlers translate at the edge.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict means the profile changed since it was read.
	ErrConflict = errors.New("version conflict")
)

// IdentityKind names a kind of identifier that points at a contact.
type IdentityKind string

const (
	UserID      IdentityKind = "user"
	AnonymousID IdentityKind = "anon"
	Email       IdentityKind = "email"
)

// Identity is one identifier of a contact.
type Identity struct {
	Kind  IdentityKind
	Value string
}

// Store is the persistence the contact domain needs. The DynamoDB adapter
// implements it; see shared/store/dynamo/KEYS.md for the key design.
type Store interface {
	// LookupIdentities returns the contact id of each identity that has one.
	LookupIdentities(ctx context.Context, ids []Identity) (map[Identity]string, error)
	// LinkIdentity points id at contactID unless it points somewhere already;
	// it returns the contact the identity points at afterwards.
	LinkIdentity(ctx context.Context, id Identity, contactID string, now time.Time) (string, error)
	// RelinkIdentity points id at to if it still points at from, or has no
	// link at all (an anonymous id's derived contact is from); it is a no-op
	// otherwise (someone else moved it first).
	RelinkIdentity(ctx context.Context, id Identity, from, to string) error
	// GetProfiles reads profiles with strong consistency; missing ids are absent.
	GetProfiles(ctx context.Context, ids []string) (map[string]*Profile, error)
	// SaveProfile writes p if the stored version is still p.Version (0: must
	// not exist) and bumps p.Version; ErrConflict otherwise.
	SaveProfile(ctx context.Context, p *Profile) error
	// CommitEvents commits a change that applied events: it adds msgs to
	// the contact's timeline, with the score changes they caused, and saves
	// p as SaveProfile does, the profile write last (the commit point). A
	// timeline chunk written for it carries commit, and p.LastCommit then
	// becomes commit.ID; a store may instead keep the events in the
	// profile's own item (p.Recent), where they commit with it.
	CommitEvents(ctx context.Context, p *Profile, commit Commit, msgs []tracking.Message, changes []scoring.Change) error
	// PutEvents adds messages to a contact's timeline, with the score
	// changes they caused (the score history rides in the same write) and
	// the profile commit they belong to. Writing the same messages again
	// overwrites rather than duplicates.
	PutEvents(ctx context.Context, contactID string, commit Commit, msgs []tracking.Message, changes []scoring.Change) error
	// Chunks returns, for de-duplication, the timeline chunks of the given
	// contact partitions that hold an event at or after since (strongly
	// consistent: a chunk written just before is seen).
	Chunks(ctx context.Context, contactIDs []string, since time.Time) ([]Chunk, error)
	// RecentEvents returns up to limit events, most recent first.
	RecentEvents(ctx context.Context, contactID string, limit int) ([]tracking.Message, error)
	// Timeline returns up to limit events of the given contact partitions (a
	// contact and those merged into it), newest first, at or before before
	// (zero: no bound).
	Timeline(ctx context.Context, contactIDs []string, before time.Time, limit int) ([]tracking.Message, error)
}
