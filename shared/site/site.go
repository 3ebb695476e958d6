// Package site holds the websites that may send tracking data: each has a
// public write key (the Segment "writeKey") and the origins allowed to use it.
package site

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lazyregexp"
)

// Site is a website registered with Leadflow.
type Site struct {
	Key            string   `json:"key"`
	Name           string   `json:"name"`
	AllowedOrigins []string `json:"allowed_origins"`
	// IdentitySecret keys the HMAC a site's server computes over a visitor's
	// user id or email (see identity.go). It stays server-side: the admin API
	// shows it only in the answer that set or generated it, and no public
	// route ever reads it out.
	IdentitySecret string    `json:"identity_secret,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// ErrNotFound is returned for an unknown site key.
var ErrNotFound = errors.New("site not found")

// Store persists sites.
type Store interface {
	GetSite(ctx context.Context, key string) (Site, error)
	PutSite(ctx context.Context, s Site) error
	ListSites(ctx context.Context) ([]Site, error)
}

var keyPattern = lazyregexp.New(`^[A-Za-z0-9_-]{8,64}$`)

// Validate reports what is wrong with a site definition, or nil.
func (s Site) Validate() error {
	var problems []string
	if !keyPattern.MatchString(s.Key) {
		problems = append(problems, "key must be 8-64 letters, digits, '_' or '-'")
	}
	if strings.TrimSpace(s.Name) == "" || len(s.Name) > 200 {
		problems = append(problems, "name is required (at most 200 characters)")
	}
	if s.IdentitySecret != "" {
		if err := ValidateIdentitySecret(s.IdentitySecret); err != nil {
			problems = append(problems, err.Error())
		}
	}
	for _, o := range s.AllowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			problems = append(problems, fmt.Sprintf("allowed origin %q must be scheme://host[:port] or \"*\"", o))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// AllowsOrigin reports whether a browser origin may post with this key. An
// empty Origin (server-side libraries send none) is always allowed: the key
// is write-only, and origins only matter to browsers.
func (s Site) AllowsOrigin(origin string) bool {
	if origin == "" {
		return true
	}
	origin = strings.TrimSuffix(strings.ToLower(origin), "/")
	for _, o := range s.AllowedOrigins {
		if o == "*" || strings.TrimSuffix(strings.ToLower(o), "/") == origin {
			return true
		}
	}
	return false
}
