package form

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Source says where a form's definition comes from.
type Source string

const (
	// SourceRepo is a definition in the repo (definitions/forms/*.json).
	SourceRepo Source = "repo"
	// SourceAPI is a definition written through the admin API; it overrides
	// a repo form with the same id.
	SourceAPI Source = "api"
)

// Entry is a form with where it came from, as the admin API lists it.
type Entry struct {
	Form
	Source Source `json:"source"`
	// OverridesRepo is set on an API form that replaces a repo form; deleting
	// it brings the repo definition back.
	OverridesRepo bool `json:"overrides_repo,omitempty"`
}

// Registry finds forms: one stored through the admin API first, else the
// repo's definition. Repo forms work with no setup; an admin PUT overrides
// one without a deploy, and deleting the override restores it.
type Registry struct {
	store Store
	repo  map[string]Form
}

// NewRegistry builds a registry over the stored forms and the repo's
// (already validated) definitions.
func NewRegistry(store Store, repo []Form) *Registry {
	r := &Registry{store: store, repo: map[string]Form{}}
	for _, f := range repo {
		r.repo[f.ID] = f
	}
	return r
}

// Get returns the form in effect for an id; ErrNotFound if there is none.
func (r *Registry) Get(ctx context.Context, id string) (Entry, error) {
	_, inRepo := r.repo[id]
	f, err := r.store.GetForm(ctx, id)
	switch {
	case err == nil:
		return Entry{Form: f, Source: SourceAPI, OverridesRepo: inRepo}, nil
	case !errors.Is(err, ErrNotFound):
		return Entry{}, fmt.Errorf("get form %s: %w", id, err)
	case inRepo:
		return Entry{Form: r.repo[id], Source: SourceRepo}, nil
	}
	return Entry{}, fmt.Errorf("form %s: %w", id, ErrNotFound)
}

// GetForm is Get without the source, for callers that only need the form.
func (r *Registry) GetForm(ctx context.Context, id string) (Form, error) {
	e, err := r.Get(ctx, id)
	return e.Form, err
}

// List returns every form in effect, by id.
func (r *Registry) List(ctx context.Context) ([]Entry, error) {
	stored, err := r.store.ListForms(ctx)
	if err != nil {
		return nil, fmt.Errorf("list forms: %w", err)
	}
	out := make([]Entry, 0, len(stored)+len(r.repo))
	seen := map[string]bool{}
	for _, f := range stored {
		_, inRepo := r.repo[f.ID]
		out = append(out, Entry{Form: f, Source: SourceAPI, OverridesRepo: inRepo})
		seen[f.ID] = true
	}
	for id, f := range r.repo {
		if !seen[id] {
			out = append(out, Entry{Form: f, Source: SourceRepo})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Put validates and stores a form, keeping its original creation time.
// created is true when no stored form had the id (overriding a repo form
// creates a stored one).
func (r *Registry) Put(ctx context.Context, f Form, now time.Time) (e Entry, created bool, err error) {
	if err := f.Validate(); err != nil {
		return Entry{}, false, &InvalidError{Err: err}
	}
	now = now.UTC()
	f.CreatedAt, f.UpdatedAt = now, now
	created = true
	old, err := r.store.GetForm(ctx, f.ID)
	switch {
	case err == nil:
		f.CreatedAt, created = old.CreatedAt, false
	case !errors.Is(err, ErrNotFound):
		return Entry{}, false, fmt.Errorf("read form %s: %w", f.ID, err)
	}
	if err := r.store.PutForm(ctx, f); err != nil {
		return Entry{}, false, fmt.Errorf("put form %s: %w", f.ID, err)
	}
	_, inRepo := r.repo[f.ID]
	return Entry{Form: f, Source: SourceAPI, OverridesRepo: inRepo}, created, nil
}

// Delete removes a stored form. It returns the repo form now back in effect
// (restored true), ErrRepoForm for a repo form that has no override, or
// ErrNotFound.
func (r *Registry) Delete(ctx context.Context, id string) (restored bool, err error) {
	_, inRepo := r.repo[id]
	err = r.store.DeleteForm(ctx, id)
	switch {
	case err == nil:
		return inRepo, nil
	case !errors.Is(err, ErrNotFound):
		return false, fmt.Errorf("delete form %s: %w", id, err)
	case inRepo:
		return false, fmt.Errorf("form %s: %w", id, ErrRepoForm)
	}
	return false, fmt.Errorf("form %s: %w", id, ErrNotFound)
}

// InvalidError wraps a definition's validation problems, so handlers can
// answer 400 without matching strings.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return "invalid form: " + e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }
