// Package definition is the registry of marketing definitions: forms,
// templates, interest rules, the scoring model, subscription topics, sending
// settings, and whatever kind comes next. Every kind has repo defaults (files
// in definitions/, compiled in), runtime overrides saved through the admin
// API with a version history, one validator used by CI, synth, the API and
// the CLI, and one TTL cache in the functions that read it.
//
// The package knows nothing about any kind's Go type: a kind is a Spec
// (definitions/kinds.go builds them from the domain types), and a
// definition travels as its canonical JSON.
package definition

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Kind names a kind of definition ("forms", "scoring"); it is the {kind} of
// /v1/definitions/{kind}/{id} and the catalog's name for it.
type Kind string

// DefaultID is the id of a singleton kind's one definition.
const DefaultID = "default"

// Source says where the definition in effect comes from.
type Source string

const (
	// SourceRepo: a file in definitions/, compiled into the functions.
	SourceRepo Source = "repo"
	// SourceAPI: an override saved through the admin API.
	SourceAPI Source = "api"
)

// Errors the admin routes map to statuses.
var (
	ErrNotFound = errors.New("definition not found")
	// ErrRepoOnly: deleting a definition that only the repo has.
	ErrRepoOnly = errors.New("definition is defined in the repo only")
	// ErrStale: If-Match named a version that is no longer current.
	ErrStale = errors.New("definition changed since it was read")
	// ErrConflict is what a store returns when the current version is not
	// the one a save expected (a concurrent save won).
	ErrConflict = errors.New("definition version conflict")
	// ErrUnknownKind: no such kind.
	ErrUnknownKind = errors.New("unknown definition kind")
)

// InvalidError wraps a definition's validation problems.
type InvalidError struct {
	Kind Kind
	ID   string
	Err  error
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("invalid %s/%s: %v", e.Kind, e.ID, e.Err)
}
func (e *InvalidError) Unwrap() error { return e.Err }

// Definition is one definition as the registry answers it.
type Definition struct {
	Kind   Kind            `json:"kind"`
	ID     string          `json:"id"`
	Body   json.RawMessage `json:"definition,omitempty"`
	Source Source          `json:"source"`
	// Version grows with every saved change (0: the repo's, never saved).
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	// InRepo: the repo has a definition of this id (an override replaces it).
	InRepo bool `json:"overrides_repo"`
	// DiffersFromRepo: an override whose content is not the repo's.
	DiffersFromRepo bool `json:"differs_from_repo"`
	// Since is when the override began (its first save after none).
	Since time.Time `json:"since,omitzero"`
	// CreatedAt is when the override was first saved.
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// ETag is the definition's entity tag: its version and content hash, so a
// redeploy that changes a repo definition changes the tag too.
func (d Definition) ETag() string {
	return fmt.Sprintf(`"%d-%s"`, d.Version, hashOf(d.Body))
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// Matches reports whether an If-Match header value names this definition
// ("*" names any that exists). Weak tags compare by their opaque part.
func (d Definition) Matches(ifMatch string) bool {
	for _, t := range strings.Split(ifMatch, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == d.ETag() {
			return true
		}
	}
	return false
}

// Stored is a saved override or one of its versions, as a store keeps it.
type Stored struct {
	Kind      Kind
	ID        string
	Body      json.RawMessage // nil when Deleted
	Version   int64
	At        time.Time
	By        string
	Since     time.Time
	Summary   string
	Deleted   bool // the override was removed (a tombstone keeps the counter)
	CreatedAt time.Time
}

// VersionInfo is one entry of a definition's history.
type VersionInfo struct {
	Version int64     `json:"version"`
	At      time.Time `json:"at"`
	By      string    `json:"by"`
	Summary string    `json:"summary"`
	Deleted bool      `json:"deleted,omitempty"`
}

// Canonical re-encodes JSON compactly with sorted object keys, so two
// equal definitions compare equal byte for byte.
func Canonical(raw []byte) (json.RawMessage, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v) // maps encode with sorted keys
}

// Summarize says in a line what changed between two versions of a
// definition: the top-level fields added, removed or changed.
func Summarize(prev, next json.RawMessage) string {
	switch {
	case prev == nil && next == nil:
		return "no change"
	case prev == nil:
		return "created"
	case next == nil:
		return "override removed"
	}
	var a, b map[string]json.RawMessage
	if json.Unmarshal(prev, &a) != nil || json.Unmarshal(next, &b) != nil {
		if bytes.Equal(prev, next) {
			return "no change"
		}
		return "replaced"
	}
	var changed []string
	for k, v := range b {
		if old, ok := a[k]; !ok {
			changed = append(changed, "+"+k)
		} else if !jsonEqual(old, v) {
			changed = append(changed, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			changed = append(changed, "-"+k)
		}
	}
	if len(changed) == 0 {
		return "no change"
	}
	sort.Strings(changed)
	return "changed " + strings.Join(changed, ", ")
}

func jsonEqual(a, b []byte) bool {
	ca, err1 := Canonical(a)
	cb, err2 := Canonical(b)
	return err1 == nil && err2 == nil && bytes.Equal(ca, cb)
}
