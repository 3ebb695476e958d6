// Package ingest accepts tracking requests: it checks the site's write key
// and origin, validates the whole request, and queues it as one message.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/timezone"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Queue is where accepted batches go.
type Queue interface {
	Enqueue(ctx context.Context, body string) error
}

// Sites finds a site by its write key.
type Sites interface {
	GetSite(ctx context.Context, key string) (site.Site, error)
}

// Errors the handler maps to HTTP statuses.
var (
	ErrMissingKey     = errors.New("a write key is required: HTTP Basic username, \"writeKey\" in the body, or the X-Site-Key header")
	ErrUnknownKey     = errors.New("unknown write key")
	ErrOriginRejected = errors.New("this origin is not allowed to send with this write key")
	// ErrWrongSecret: a caller sent a password with the write key and it is
	// not the site's identity secret. Only a server holds the secret, so this
	// is a misconfiguration to fix, and is refused rather than downgraded.
	ErrWrongSecret = errors.New("the HTTP Basic password is not this site's identity secret (send the write key alone, or the current secret)")
)

// Call is one request to a tracking endpoint.
type Call struct {
	Path string
	Body []byte
	// BodyText, when not empty, is the body as a string (then Body is not
	// read): the API Gateway event holds it so, and tracking.Parse reads
	// it in place rather than a copy.
	BodyText  string
	HeaderKey string // X-Site-Key
	BasicKey  string // HTTP Basic username
	// BasicSecret is the HTTP Basic password: a server may send the site's
	// identity secret there, which makes every message of the call verified.
	BasicSecret string
	Origin      string
	SourceIP    string
	UserAgent   string
	RequestID   string
}

// Accepted describes a queued request.
type Accepted struct {
	Site     site.Site
	Messages int
	Queued   int
	// Verified counts messages whose sender was proven (user hash or
	// secret); BadHashes those that carried a user hash that did not match,
	// which are queued as unverified.
	Verified, BadHashes int
}

// Service accepts tracking calls.
type Service struct {
	sites *cache[site.Site]
	queue Queue
	now   func() time.Time
	// zones remembers the time zone names messages report, valid or not,
	// for the Service's lifetime (a warm Lambda's): checking one loads its
	// zone data, ~40 µs a request otherwise.
	zones timezone.Cache
}

// New builds a Service. Sites are cached for ttl (unknown keys for a tenth
// of it) so a busy site costs one read a minute, not one per request.
func New(sites Sites, queue Queue, ttl time.Duration, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{sites: &cache[site.Site]{
		what: "site", load: sites.GetSite, notFound: site.ErrNotFound, unknown: ErrUnknownKey,
		ttl: ttl, max: 10000, now: now,
	}, queue: queue, now: now}
}

// Site returns the site for a key, through the cache.
func (s *Service) Site(ctx context.Context, key string) (site.Site, error) {
	return s.sites.get(ctx, key)
}

// Accept validates and queues a call. Nothing is queued unless every message
// in it is valid.
func (s *Service) Accept(ctx context.Context, c Call) (Accepted, error) {
	typ, ok := tracking.PathType(c.Path)
	if !ok {
		return Accepted{}, fmt.Errorf("path %s: %w", c.Path, errUnknownPath)
	}
	received := s.now().UTC()
	parsed, err := tracking.Parse(tracking.Request{Type: typ, Body: c.Body, BodyText: c.BodyText, ReceivedAt: received,
		SourceIP: c.SourceIP, Zones: &s.zones})
	key := firstNonEmpty(c.BasicKey, c.HeaderKey)
	if key == "" && err == nil {
		key = parsed.WriteKey
	}
	if key == "" {
		if err != nil {
			return Accepted{}, err
		}
		return Accepted{}, ErrMissingKey
	}
	st, kerr := s.sites.get(ctx, key)
	if kerr != nil {
		return Accepted{}, kerr
	}
	if !st.AllowsOrigin(c.Origin) {
		return Accepted{Site: st}, ErrOriginRejected
	}
	if err != nil {
		return Accepted{Site: st}, err
	}
	if c.BasicSecret != "" && !st.VerifiesSecret(c.BasicSecret) {
		return Accepted{Site: st}, ErrWrongSecret
	}
	acc := Accepted{Site: st, Messages: len(parsed.Messages)}
	for i := range parsed.Messages {
		m := &parsed.Messages[i]
		m.Verified = c.BasicSecret != "" || verifies(st, m)
		if m.Verified {
			acc.Verified++
		} else if m.UserHash != "" {
			acc.BadHashes++
		}
	}
	bodies, err := tracking.EncodeBatches(tracking.Batch{RequestID: c.RequestID, SiteKey: st.Key, ReceivedAt: received, Messages: parsed.Messages})
	if err != nil {
		return Accepted{Site: st}, err
	}
	for i, b := range bodies {
		if err := s.queue.Enqueue(ctx, b); err != nil {
			// Earlier parts are already queued; the client's retry repeats
			// them with the same messageIds, which the processor drops.
			acc.Queued = i
			return acc, fmt.Errorf("queue part %d of %d: %w", i+1, len(bodies), err)
		}
	}
	acc.Queued = len(bodies)
	return acc, nil
}

// verifies reports whether a message's user hash signs its identity: the
// user id, or else the email, as sent or normalised (a site's server may
// hash either form; both name the same contact). A hash that does not match
// leaves the message unverified rather than refusing the call: a rotated
// secret or a page cached with an old hash must not lose the visitor's
// behaviour, and unverified data cannot take over anyone.
func verifies(st site.Site, m *tracking.Message) bool {
	if m.UserHash == "" {
		return false
	}
	id := m.VerifiedIdentity()
	if st.VerifiesUserHash(id, m.UserHash) {
		return true
	}
	if m.UserID == "" {
		if e := tracking.NormalizeEmail(id); e != "" && e != id {
			return st.VerifiesUserHash(e, m.UserHash)
		}
	}
	return false
}

var errUnknownPath = errors.New("not a tracking endpoint")

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}
