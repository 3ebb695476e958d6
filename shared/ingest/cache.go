package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// cache remembers sites and forms for a while, so a busy site costs one
// read a minute rather than one per request. Unknown keys are remembered
// too, for a tenth of the time (bots post random keys); transient errors are
// not remembered at all.
type cache[V any] struct {
	what     string // for error messages: "site", "form"
	load     func(ctx context.Context, key string) (V, error)
	notFound error // what load returns for an unknown key
	unknown  error // what the cache answers for it
	ttl      time.Duration
	max      int // entries before the map is dropped (bounds memory)
	now      func() time.Time

	mu sync.Mutex
	m  map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v       V
	err     error
	expires time.Time
}

func (c *cache[V]) get(ctx context.Context, key string) (V, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.v, e.err
	}
	v, err := c.load(ctx, key)
	ttl := c.ttl
	switch {
	case errors.Is(err, c.notFound):
		err, ttl = c.unknown, c.ttl/10
	case err != nil:
		var zero V
		return zero, fmt.Errorf("look up %s %s: %w", c.what, key, err)
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = map[string]cacheEntry[V]{}
	}
	c.m[key] = cacheEntry[V]{v: v, err: err, expires: now.Add(ttl)}
	c.mu.Unlock()
	return v, err
}
