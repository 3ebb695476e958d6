package interest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// ConfigName is the runtime definition's name in the config store.
const ConfigName = "interests"

// ConfigStore reads runtime definitions set through the admin API.
type ConfigStore interface {
	GetConfig(ctx context.Context, name string) ([]byte, bool, error)
}

// Source gives the current rules: the admin API's when set, else the repo's
// defaults. It caches for ttl so each invocation does not pay a read.
type Source struct {
	store    ConfigStore
	defaults Rules
	ttl      time.Duration
	now      func() time.Time

	mu      sync.Mutex
	rules   Rules
	expires time.Time
}

// NewSource builds a Source.
func NewSource(store ConfigStore, defaults Rules, ttl time.Duration, now func() time.Time) *Source {
	if now == nil {
		now = time.Now
	}
	return &Source{store: store, defaults: defaults, ttl: ttl, now: now}
}

// Rules returns the rules in force.
func (s *Source) Rules(ctx context.Context) (Rules, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.now().Before(s.expires) {
		return s.rules, nil
	}
	raw, ok, err := s.store.GetConfig(ctx, ConfigName)
	if err != nil {
		return Rules{}, fmt.Errorf("load interest rules: %w", err)
	}
	rules := s.defaults
	if ok {
		var stored Rules
		if err := json.Unmarshal(raw, &stored); err != nil {
			return Rules{}, fmt.Errorf("decode stored interest rules: %w", err)
		}
		rules = stored
	}
	s.rules, s.expires = rules, s.now().Add(s.ttl)
	return rules, nil
}
