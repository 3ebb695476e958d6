package scoring

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"time"
)

// ConfigName is the scoring model's name in the config store.
const ConfigName = "scoring"

// ConfigStore reads runtime definitions set through the admin API.
type ConfigStore interface {
	GetConfig(ctx context.Context, name string) ([]byte, bool, error)
}

// Source gives the engine for the model in force: the admin API's when one
// is stored, else the repo's. The engine is rebuilt only when the model's
// version changes, and the store is read at most once per ttl.
type Source struct {
	store    ConfigStore
	defaults Model
	ttl      time.Duration
	now      func() time.Time

	mu      sync.Mutex
	engine  *Engine
	expires time.Time
}

// NewSource builds a Source over a validated default model.
func NewSource(store ConfigStore, defaults Model, ttl time.Duration, now func() time.Time) *Source {
	if now == nil {
		now = time.Now
	}
	return &Source{store: store, defaults: defaults, ttl: ttl, now: now}
}

// Engine returns the engine for the current model.
func (s *Source) Engine(ctx context.Context) (*Engine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.engine != nil && s.now().Before(s.expires) {
		return s.engine, nil
	}
	raw, ok, err := s.store.GetConfig(ctx, ConfigName)
	if err != nil {
		return nil, fmt.Errorf("load scoring model: %w", err)
	}
	m := s.defaults
	if ok {
		// Decode into a fresh value: json reuses the elements of an existing
		// slice, so decoding over the defaults would keep their fields where
		// the stored model omits them (and write into the defaults' array).
		var stored Model
		if err := json.Unmarshal(raw, &stored); err != nil {
			return nil, fmt.Errorf("decode stored scoring model: %w", err)
		}
		m = stored
	}
	if s.engine == nil || s.engine.Version() != m.Fingerprint() {
		e, err := NewEngine(m)
		if err != nil {
			return nil, fmt.Errorf("scoring model: %w", err)
		}
		s.engine = e
	}
	s.expires = s.now().Add(s.ttl)
	return s.engine, nil
}

// Clone copies a state deeply, so a working copy can be changed and thrown
// away (an optimistic write that lost its race) without touching the original.
func (s State) Clone() State {
	c := s
	c.FitBreakdown = maps.Clone(s.FitBreakdown)
	c.ByRule = maps.Clone(s.ByRule)
	c.Caps = maps.Clone(s.Caps)
	return c
}
