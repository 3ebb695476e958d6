package definition

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// CacheTTL is how long every function keeps a definition before reading
// it again: a change made through the admin API is in effect everywhere
// within a minute. Unknown ids are remembered for a tenth of it (bots post
// random form ids); transient store errors are not remembered at all.
const CacheTTL = time.Minute

// Getter is what a Cache reads through (the Registry).
type Getter interface {
	Get(ctx context.Context, k Kind, id string) (Definition, error)
}

// Cache keeps one kind's definitions decoded into what its readers use (a
// form, a compiled template, a scoring engine). It decodes again only when
// the definition's ETag changed, so a reload that finds nothing new costs
// one read and no rebuilding.
type Cache[V any] struct {
	reg    Getter
	kind   Kind
	decode func(json.RawMessage) (V, error)
	ttl    time.Duration
	now    func() time.Time

	mu sync.Mutex
	m  map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	etag    string
	v       V
	err     error
	expires time.Time
}

// maxCached bounds memory: past it the map starts over.
const maxCached = 1000

// NewCache builds a cache of one kind with the common TTL.
func NewCache[V any](reg Getter, k Kind, decode func(json.RawMessage) (V, error)) *Cache[V] {
	return &Cache[V]{reg: reg, kind: k, decode: decode, ttl: CacheTTL, now: time.Now, m: map[string]cacheEntry[V]{}}
}

// WithTTL changes the TTL (0: read every time, as the admin API does) and
// the clock (tests).
func (c *Cache[V]) WithTTL(ttl time.Duration, now func() time.Time) *Cache[V] {
	c.ttl = ttl
	if now != nil {
		c.now = now
	}
	return c
}

// Get returns the decoded definition in effect; errors.Is(err,
// ErrNotFound) for an unknown id.
func (c *Cache[V]) Get(ctx context.Context, id string) (V, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.v, e.err
	}
	d, err := c.reg.Get(ctx, c.kind, id)
	ttl := c.ttl
	var next cacheEntry[V]
	switch {
	case errors.Is(err, ErrNotFound):
		next.err, ttl = err, c.ttl/10
	case err != nil:
		var zero V
		return zero, err
	case ok && e.etag == d.ETag():
		next = e // unchanged: keep what was decoded
	default:
		next.etag = d.ETag()
		next.v, next.err = c.decode(d.Body)
	}
	next.expires = now.Add(ttl)
	if ttl > 0 {
		c.mu.Lock()
		if len(c.m) >= maxCached {
			c.m = map[string]cacheEntry[V]{}
		}
		c.m[id] = next
		c.mu.Unlock()
	}
	return next.v, next.err
}

// Default is Get of a singleton's one definition.
func (c *Cache[V]) Default(ctx context.Context) (V, error) { return c.Get(ctx, DefaultID) }

// DecodeAs decodes a definition's JSON into T (strictly, as everywhere).
func DecodeAs[T any](raw json.RawMessage) (T, error) {
	var v T
	err := Decode(raw, &v)
	return v, err
}
