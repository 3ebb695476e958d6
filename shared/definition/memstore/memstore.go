// Package memstore is an in-memory definition.Store with the DynamoDB
// adapter's contract (conditional saves, tombstones, versions), for tests
// and benchmarks that run without a table.
package memstore

import (
	"context"
	"sort"
	"sync"

	"github.com/leadflow/leadflow/shared/definition"
)

type key struct {
	kind definition.Kind
	id   string
}

// Store keeps definitions in memory.
type Store struct {
	mu       sync.Mutex
	cur      map[key]definition.Stored
	versions map[key][]definition.Stored
	// Reads counts GetDefinition calls (cache tests).
	Reads int
}

var _ definition.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{cur: map[key]definition.Stored{}, versions: map[key][]definition.Stored{}}
}

// GetDefinition implements definition.Store.
func (s *Store) GetDefinition(_ context.Context, k definition.Kind, id string) (definition.Stored, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Reads++
	d, ok := s.cur[key{k, id}]
	return d, ok, nil
}

// ListDefinitions implements definition.Store.
func (s *Store) ListDefinitions(_ context.Context, k definition.Kind) ([]definition.Stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []definition.Stored
	for kk, d := range s.cur {
		if kk.kind == k && !d.Deleted {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// SaveDefinition implements definition.Store.
func (s *Store) SaveDefinition(_ context.Context, next definition.Stored, prev int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	kk := key{next.Kind, next.ID}
	if cur, ok := s.cur[kk]; (ok && cur.Version != prev) || (!ok && prev != 0) {
		return definition.ErrConflict
	}
	for _, v := range s.versions[kk] {
		if v.Version == next.Version {
			return definition.ErrConflict
		}
	}
	s.cur[kk] = next
	s.versions[kk] = append(s.versions[kk], next)
	return nil
}

// DefinitionVersions implements definition.Store.
func (s *Store) DefinitionVersions(_ context.Context, k definition.Kind, id string) ([]definition.VersionInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.versions[key{k, id}]
	out := make([]definition.VersionInfo, 0, len(vs))
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		out = append(out, definition.VersionInfo{Version: v.Version, At: v.At, By: v.By, Summary: v.Summary, Deleted: v.Deleted})
	}
	return out, nil
}

// DefinitionVersion implements definition.Store.
func (s *Store) DefinitionVersion(_ context.Context, k definition.Kind, id string, n int64) (definition.Stored, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.versions[key{k, id}] {
		if v.Version == n {
			return v, true, nil
		}
	}
	return definition.Stored{}, false, nil
}
