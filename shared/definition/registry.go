package definition

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Store keeps runtime overrides and their versions (the DynamoDB adapter).
type Store interface {
	// GetDefinition returns the current item, a tombstone (Deleted) included;
	// ok is false when the definition was never saved.
	GetDefinition(ctx context.Context, kind Kind, id string) (cur Stored, ok bool, err error)
	// ListDefinitions returns a kind's live overrides (no tombstones).
	ListDefinitions(ctx context.Context, kind Kind) ([]Stored, error)
	// SaveDefinition writes next as the current item and as version
	// next.Version, atomically, only if the current version is still
	// prevVersion (0: never saved); otherwise ErrConflict and no change.
	SaveDefinition(ctx context.Context, next Stored, prevVersion int64) error
	// DefinitionVersions lists a definition's history, newest first.
	DefinitionVersions(ctx context.Context, kind Kind, id string) ([]VersionInfo, error)
	// DefinitionVersion returns one saved version.
	DefinitionVersion(ctx context.Context, kind Kind, id string, n int64) (Stored, bool, error)
}

// LegacyStore reads overrides saved before the registry, in the layouts
// each kind used to have; the registry migrates one on first read.
type LegacyStore interface {
	LegacyDefinition(ctx context.Context, kind Kind, id string) (raw []byte, at time.Time, ok bool, err error)
	LegacyDefinitionIDs(ctx context.Context, kind Kind) ([]string, error)
	DeleteLegacyDefinition(ctx context.Context, kind Kind, id string) error
}

// MigratedBy is the author of a version migrated from an old layout.
const MigratedBy = "migration"

// Registry answers for every kind: the override saved through the admin
// API when there is one, else the repo's definition.
type Registry struct {
	store Store
	specs []Spec
	// repo gives a kind's repo definitions: a map lookup, or (NewLazy) the
	// kind's files read and checked on first use.
	repo func(Kind) map[string]json.RawMessage
	now  func() time.Time
	// readOnly: an old-layout override is read, never migrated (the
	// functions that only read definitions hold no write grant for them;
	// the admin API migrates).
	readOnly bool
}

// New builds a registry over a store, the kinds, and the repo's
// (already checked) definitions.
func New(store Store, specs []Spec, repo Repo) *Registry {
	return NewLazy(store, specs, func(k Kind) map[string]json.RawMessage { return repo[k] })
}

// NewLazy builds a registry whose repo definitions come from kindRepo,
// called when a kind is first needed: a cold start reads and checks no
// definition files, and a request checks only the kinds it reads (every
// file was checked in CI and by the stack's synth already).
func NewLazy(store Store, specs []Spec, kindRepo func(Kind) map[string]json.RawMessage) *Registry {
	return &Registry{store: store, specs: specs, repo: kindRepo, now: time.Now}
}

// ReadOnly makes a registry that reads old-layout overrides without
// migrating them: what every function but the admin API uses.
func (r *Registry) ReadOnly() *Registry {
	c := *r
	c.readOnly = true
	return &c
}

// WithClock sets the clock (tests).
func (r *Registry) WithClock(now func() time.Time) *Registry {
	r.now = now
	return r
}

// Specs returns the kinds, in catalog order.
func (r *Registry) Specs() []Spec { return r.specs }

// Spec returns one kind.
func (r *Registry) Spec(k Kind) (Spec, error) {
	for _, s := range r.specs {
		if s.Kind == k {
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("%q: %w", k, ErrUnknownKind)
}

// Get returns the definition in effect.
func (r *Registry) Get(ctx context.Context, k Kind, id string) (Definition, error) {
	s, err := r.Spec(k)
	if err != nil {
		return Definition{}, err
	}
	d, _, err := r.current(ctx, s, id)
	return d, err
}

// current returns the definition in effect and the stored item behind it
// (zero when never saved).
func (r *Registry) current(ctx context.Context, s Spec, id string) (Definition, Stored, error) {
	if s.Singleton && id != DefaultID {
		return Definition{}, Stored{}, fmt.Errorf("%s/%s: a %s has only the id %q: %w", s.Kind, id, s.Noun, DefaultID, ErrNotFound)
	}
	cur, ok, err := r.store.GetDefinition(ctx, s.Kind, id)
	if err != nil {
		return Definition{}, Stored{}, fmt.Errorf("get %s/%s: %w", s.Kind, id, err)
	}
	if !ok {
		if cur, ok, err = r.migrate(ctx, s, id); err != nil {
			return Definition{}, Stored{}, err
		}
	}
	return r.effective(s, id, cur, ok)
}

func (r *Registry) effective(s Spec, id string, cur Stored, saved bool) (Definition, Stored, error) {
	repo, inRepo := r.repo(s.Kind)[id]
	d := Definition{Kind: s.Kind, ID: id, InRepo: inRepo}
	switch {
	case saved && !cur.Deleted:
		d.Body, d.Source, d.Since, d.CreatedAt = cur.Body, SourceAPI, cur.Since, cur.CreatedAt
		d.DiffersFromRepo = !inRepo || !bytes.Equal(cur.Body, repo)
	case inRepo:
		d.Body, d.Source = repo, SourceRepo
	default:
		return Definition{}, cur, fmt.Errorf("%s/%s: %w", s.Kind, id, ErrNotFound)
	}
	if saved {
		// After a delete the repo's definition is back, at the tombstone's
		// version: the counter never goes backwards.
		d.Version, d.UpdatedAt, d.UpdatedBy = cur.Version, cur.At, cur.By
	}
	return d, cur, nil
}

// migrate moves an override saved in an old layout into the registry's
// (version 1, by "migration") and removes the old item, so an upgrade
// loses nothing. The old item is read only when the new layout has none.
func (r *Registry) migrate(ctx context.Context, s Spec, id string) (Stored, bool, error) {
	ls, ok := r.store.(LegacyStore)
	if !ok {
		return Stored{}, false, nil
	}
	raw, at, found, err := ls.LegacyDefinition(ctx, s.Kind, id)
	if err != nil || !found {
		return Stored{}, false, err
	}
	body, err := StripMeta(raw, "")
	if err == nil {
		body, err = s.Check(body)
	}
	if err != nil {
		// Keep it even if today's validator refuses it: losing a marketer's
		// change is worse; the kind's readers report the error.
		if body, err = Canonical(raw); err != nil {
			return Stored{}, false, fmt.Errorf("migrate %s/%s: %w", s.Kind, id, err)
		}
	}
	if at.IsZero() {
		at = r.now().UTC()
	}
	next := Stored{Kind: s.Kind, ID: id, Body: body, Version: 1, At: at, By: MigratedBy, Since: at, Summary: "migrated from the old storage layout"}
	if r.readOnly {
		return next, true, nil
	}
	err = r.store.SaveDefinition(ctx, next, 0)
	if errors.Is(err, ErrConflict) {
		// Another function migrated it first.
		cur, ok, err := r.store.GetDefinition(ctx, s.Kind, id)
		return cur, ok, err
	}
	if err != nil {
		return Stored{}, false, fmt.Errorf("migrate %s/%s: %w", s.Kind, id, err)
	}
	if err := ls.DeleteLegacyDefinition(ctx, s.Kind, id); err != nil {
		return Stored{}, false, fmt.Errorf("migrate %s/%s: remove the old item: %w", s.Kind, id, err)
	}
	return next, true, nil
}

// List returns every definition of a kind in effect, by id.
func (r *Registry) List(ctx context.Context, k Kind) ([]Definition, error) {
	s, err := r.Spec(k)
	if err != nil {
		return nil, err
	}
	if s.Singleton {
		d, err := r.Get(ctx, k, DefaultID)
		if err != nil {
			return nil, err
		}
		return []Definition{d}, nil
	}
	if ls, ok := r.store.(LegacyStore); ok {
		ids, err := ls.LegacyDefinitionIDs(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("list old %s: %w", k, err)
		}
		for _, id := range ids {
			if _, _, err := r.current(ctx, s, id); err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
		}
	}
	stored, err := r.store.ListDefinitions(ctx, k)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", k, err)
	}
	seen := map[string]bool{}
	var out []Definition
	for _, st := range stored {
		d, _, err := r.effective(s, st.ID, st, true)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
		seen[st.ID] = true
	}
	for _, id := range (Repo{k: r.repo(k)}).IDs(k) {
		if !seen[id] {
			// Read the item: a tombstone carries the version counter.
			d, _, err := r.current(ctx, s, id)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Write is who writes and on what condition.
type Write struct {
	// IfMatch, when set, must name the current definition (its ETag).
	IfMatch string
	// By is who saves (the admin token's name, later the signed-in user).
	By string
	// Check, when set, checks what a definition cannot check alone (that a
	// form's site exists); its error refuses the save as invalid.
	Check func(ctx context.Context, body json.RawMessage) error
}

// Saved is the outcome of a Put.
type Saved struct {
	Definition
	// Previous is what was in effect before (for hooks such as re-scoring).
	Previous Definition
	// Created: no override existed before this save.
	Created bool
}

// Put validates and saves an override. The body may be the definition as
// GET answered it (its metadata is ignored) or a version from the history.
func (r *Registry) Put(ctx context.Context, k Kind, id string, raw []byte, w Write) (Saved, error) {
	s, body, err := r.prepare(ctx, k, id, raw, w)
	if err != nil {
		return Saved{}, err
	}
	for attempt := 0; ; attempt++ {
		prev, cur, err := r.current(ctx, s, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Saved{}, err
		}
		exists := err == nil
		if w.IfMatch != "" && (!exists || !prev.Matches(w.IfMatch)) {
			return Saved{}, fmt.Errorf("%s/%s: %w", k, id, ErrStale)
		}
		live := cur.Version > 0 && !cur.Deleted
		now := r.now().UTC()
		next := Stored{Kind: k, ID: id, Body: body, Version: cur.Version + 1, At: now, By: w.By, Since: now, CreatedAt: now}
		if live {
			next.Since, next.CreatedAt = cur.Since, cur.CreatedAt
		}
		var prevBody json.RawMessage
		if exists {
			prevBody = prev.Body
		}
		next.Summary = Summarize(prevBody, body)
		err = r.store.SaveDefinition(ctx, next, cur.Version)
		if errors.Is(err, ErrConflict) && w.IfMatch == "" && attempt < 3 {
			continue // last write wins: re-read the version and save again
		}
		if errors.Is(err, ErrConflict) {
			return Saved{}, fmt.Errorf("%s/%s: %w", k, id, ErrStale)
		}
		if err != nil {
			return Saved{}, fmt.Errorf("save %s/%s: %w", k, id, err)
		}
		d, _, err := r.effective(s, id, next, true)
		return Saved{Definition: d, Previous: prev, Created: !live}, err
	}
}

// Validate runs every check a Put runs (the kind's validator and the
// write's own Check) and saves nothing: it returns the definition as Put
// would store it, or an *InvalidError. Editors call it while typing.
func (r *Registry) Validate(ctx context.Context, k Kind, id string, raw []byte, w Write) (json.RawMessage, error) {
	_, body, err := r.prepare(ctx, k, id, raw, w)
	return body, err
}

// prepare is the one path from a submitted body to a checked definition.
func (r *Registry) prepare(ctx context.Context, k Kind, id string, raw []byte, w Write) (Spec, json.RawMessage, error) {
	s, err := r.Spec(k)
	if err != nil {
		return s, nil, err
	}
	if s.Singleton && id != DefaultID {
		return s, nil, fmt.Errorf("%s/%s: a %s has only the id %q: %w", k, id, s.Noun, DefaultID, ErrNotFound)
	}
	body, err := StripMeta(raw, s.Envelope)
	if err == nil && !s.Singleton {
		body, err = withID(body, id)
	}
	var checked json.RawMessage
	if err == nil {
		checked, err = s.Check(body)
	}
	if err == nil && w.Check != nil {
		err = w.Check(ctx, checked)
	}
	if err != nil {
		return s, nil, &InvalidError{Kind: k, ID: id, Err: err}
	}
	return s, checked, nil
}

// withID fills a keyed definition's id from the path when the body has
// none, and refuses a body naming another id.
func withID(body []byte, id string) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return body, nil
	}
	var got string
	if v, ok := obj["id"]; ok {
		_ = json.Unmarshal(v, &got)
	}
	if got == "" {
		obj["id"], _ = json.Marshal(id)
		return json.Marshal(obj)
	}
	if got != id {
		return nil, fmt.Errorf("the body's id %q differs from the path's %q", got, id)
	}
	return body, nil
}

// Delete removes an override: restored is true when the repo's definition
// is back in effect. ErrRepoOnly for a definition only the repo has.
func (r *Registry) Delete(ctx context.Context, k Kind, id string, w Write) (restored bool, err error) {
	s, err := r.Spec(k)
	if err != nil {
		return false, err
	}
	for attempt := 0; ; attempt++ {
		prev, cur, err := r.current(ctx, s, id)
		if err != nil {
			return false, err
		}
		if prev.Source == SourceRepo {
			return false, fmt.Errorf("%s/%s: %w", k, id, ErrRepoOnly)
		}
		if w.IfMatch != "" && !prev.Matches(w.IfMatch) {
			return false, fmt.Errorf("%s/%s: %w", k, id, ErrStale)
		}
		next := Stored{Kind: k, ID: id, Version: cur.Version + 1, At: r.now().UTC(), By: w.By, Deleted: true, Summary: Summarize(prev.Body, nil)}
		if prev.InRepo {
			next.Summary += "; the repo's definition is back"
		}
		err = r.store.SaveDefinition(ctx, next, cur.Version)
		if errors.Is(err, ErrConflict) && w.IfMatch == "" && attempt < 3 {
			continue
		}
		if errors.Is(err, ErrConflict) {
			return false, fmt.Errorf("%s/%s: %w", k, id, ErrStale)
		}
		if err != nil {
			return false, fmt.Errorf("delete %s/%s: %w", k, id, err)
		}
		return prev.InRepo, nil
	}
}

// Versions lists a definition's saved versions, newest first.
func (r *Registry) Versions(ctx context.Context, k Kind, id string) ([]VersionInfo, error) {
	s, err := r.Spec(k)
	if err != nil {
		return nil, err
	}
	if _, _, err := r.current(ctx, s, id); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err // also migrates an old-layout override into the history
	}
	vs, err := r.store.DefinitionVersions(ctx, k, id)
	if err != nil {
		return nil, fmt.Errorf("versions of %s/%s: %w", k, id, err)
	}
	if len(vs) == 0 {
		if _, inRepo := r.repo(k)[id]; !inRepo {
			return nil, fmt.Errorf("%s/%s: %w", k, id, ErrNotFound)
		}
	}
	if vs == nil {
		vs = []VersionInfo{}
	}
	return vs, nil
}

// Version returns one saved version; its Source is api (or, for a
// deletion, the body is empty).
func (r *Registry) Version(ctx context.Context, k Kind, id string, n int64) (Definition, VersionInfo, error) {
	if _, err := r.Spec(k); err != nil {
		return Definition{}, VersionInfo{}, err
	}
	st, ok, err := r.store.DefinitionVersion(ctx, k, id, n)
	if err != nil {
		return Definition{}, VersionInfo{}, fmt.Errorf("version %d of %s/%s: %w", n, k, id, err)
	}
	if !ok {
		return Definition{}, VersionInfo{}, fmt.Errorf("%s/%s version %d: %w", k, id, n, ErrNotFound)
	}
	_, inRepo := r.repo(k)[id]
	d := Definition{Kind: k, ID: id, Body: st.Body, Source: SourceAPI, Version: st.Version, UpdatedAt: st.At, UpdatedBy: st.By, InRepo: inRepo}
	return d, VersionInfo{Version: st.Version, At: st.At, By: st.By, Summary: st.Summary, Deleted: st.Deleted}, nil
}

// KindDrift is one kind's definitions and how each stands against the repo.
type KindDrift struct {
	Kind        Kind         `json:"kind"`
	Singleton   bool         `json:"singleton"`
	Definitions []Definition `json:"definitions"`
}

// Drift lists, for every kind, each definition in effect: its source and
// whether an override differs from the repo (and since when). Bodies are
// left out.
func (r *Registry) Drift(ctx context.Context) ([]KindDrift, error) {
	out := make([]KindDrift, 0, len(r.specs))
	for _, s := range r.specs {
		defs, err := r.List(ctx, s.Kind)
		if err != nil {
			return nil, err
		}
		for i := range defs {
			defs[i].Body = nil
		}
		if defs == nil {
			defs = []Definition{}
		}
		out = append(out, KindDrift{Kind: s.Kind, Singleton: s.Singleton, Definitions: defs})
	}
	return out, nil
}
