// Package audit is the log of changes made through the admin API: who did
// what to which thing, and when. The admin handler records every route
// whose action class changes something (catalog.Action.Changes), in one
// place, so a new route is recorded without remembering to.
package audit

import (
	"context"
	"errors"
	"strings"
	"time"
)

// ErrBadCursor: the Before cursor is not one a page returned.
var ErrBadCursor = errors.New("before must be the next value of a previous page")

// Entry is one recorded change.
type Entry struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// ActorID is the user's stable id (or "admin-token"); Actor their email.
	ActorID string `json:"actor_id"`
	Actor   string `json:"actor"`
	Role    string `json:"role"`
	// Kind is what was changed: contacts, templates, users, ... (the
	// route's first path segment after /v1/).
	Kind string `json:"kind"`
	// Action is the route key, "PUT /v1/contacts/{id}/stage".
	Action string `json:"action"`
	// Target is the changed thing's id (the route's first path parameter).
	Target    string `json:"target,omitempty"`
	Status    int    `json:"status"`
	RequestID string `json:"request_id,omitempty"`
}

// Query selects entries, newest first. Actor and Kind filter (both may be
// set); Before is the cursor a previous page returned.
type Query struct {
	ActorID string
	Kind    string
	Before  string
	Limit   int
}

// Log stores entries.
type Log interface {
	Record(ctx context.Context, e Entry) error
	// List returns up to q.Limit entries and the cursor of the next page
	// ("" when there is none).
	List(ctx context.Context, q Query) ([]Entry, string, error)
}

// KindOf is the kind of a route path: "/v1/contacts/{id}/tags" → "contacts".
func KindOf(path string) string {
	rest := strings.TrimPrefix(path, "/v1/")
	kind, _, _ := strings.Cut(rest, "/")
	return kind
}

// TargetOf is the route's first path parameter in path order, so
// "/v1/contacts/{id}/tags/{tag}" names the contact.
func TargetOf(path string, params map[string]string) string {
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			return params[strings.Trim(seg, "{}+")]
		}
	}
	return ""
}
