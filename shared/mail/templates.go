package mail

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/template"
)

// Template sources.
const (
	// TemplateRepo: a definition in definitions/templates.
	TemplateRepo = "repo"
	// TemplateAPI: saved through the admin API; overrides a repo template
	// of the same id.
	TemplateAPI = "api"
)

// TemplateEntry is a template with where it comes from.
type TemplateEntry struct {
	template.Template
	Source        string    `json:"source"`
	OverridesRepo bool      `json:"overrides_repo,omitempty"`
	CreatedAt     time.Time `json:"created_at,omitzero"`
	UpdatedAt     time.Time `json:"updated_at,omitzero"`
}

// TemplateStore keeps the templates saved through the admin API.
type TemplateStore interface {
	// GetTemplate returns ErrTemplateNotFound when none is stored.
	GetTemplate(ctx context.Context, id string) (TemplateEntry, error)
	PutTemplate(ctx context.Context, e TemplateEntry) error
	// DeleteTemplate returns ErrTemplateNotFound when none was stored.
	DeleteTemplate(ctx context.Context, id string) error
	ListTemplates(ctx context.Context) ([]TemplateEntry, error)
}

// Templates finds templates: one saved through the admin API first, else
// the repo's. Everything goes through template.Compile, so a template that
// is found also renders.
type Templates struct {
	store TemplateStore
	repo  map[string]template.Template
	ttl   time.Duration
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]cachedTemplate
}

type cachedTemplate struct {
	c   *template.Compiled
	err error
	at  time.Time
}

// NewTemplates builds a registry over the stored templates and the repo's
// (already validated) ones. Compiled templates are kept for ttl (0: not
// kept), so a sender compiles a template once a minute, not per message.
func NewTemplates(store TemplateStore, repo []template.Template, ttl time.Duration) *Templates {
	r := &Templates{store: store, repo: map[string]template.Template{}, ttl: ttl, now: time.Now, cache: map[string]cachedTemplate{}}
	for _, t := range repo {
		r.repo[t.ID] = t
	}
	return r
}

// Get returns the template in effect for an id.
func (r *Templates) Get(ctx context.Context, id string) (TemplateEntry, error) {
	_, inRepo := r.repo[id]
	e, err := r.store.GetTemplate(ctx, id)
	switch {
	case err == nil:
		e.Source, e.OverridesRepo = TemplateAPI, inRepo
		return e, nil
	case !errors.Is(err, ErrTemplateNotFound):
		return TemplateEntry{}, fmt.Errorf("get template %s: %w", id, err)
	case inRepo:
		return TemplateEntry{Template: r.repo[id], Source: TemplateRepo}, nil
	}
	return TemplateEntry{}, fmt.Errorf("template %s: %w", id, ErrTemplateNotFound)
}

// Compiled returns the compiled template in effect, from the cache when it
// is fresh. Unknown ids are cached too, briefly, so a flood of sends for a
// missing template costs one read per few seconds.
func (r *Templates) Compiled(ctx context.Context, id string) (*template.Compiled, error) {
	now := r.now()
	r.mu.Lock()
	c, ok := r.cache[id]
	r.mu.Unlock()
	fresh := r.ttl
	if c.err != nil {
		fresh = min(r.ttl, 5*time.Second)
	}
	if ok && now.Sub(c.at) < fresh {
		return c.c, c.err
	}
	e, err := r.Get(ctx, id)
	if err != nil && !errors.Is(err, ErrTemplateNotFound) {
		return nil, err // transient: not cached
	}
	var compiled *template.Compiled
	if err == nil {
		if compiled, _, err = template.Compile(e.Template); err != nil {
			err = fmt.Errorf("template %s no longer compiles: %w", id, err)
		}
	}
	if r.ttl > 0 {
		r.mu.Lock()
		r.cache[id] = cachedTemplate{c: compiled, err: err, at: now}
		r.mu.Unlock()
	}
	return compiled, err
}

// List returns every template in effect, by id.
func (r *Templates) List(ctx context.Context) ([]TemplateEntry, error) {
	stored, err := r.store.ListTemplates(ctx)
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	out := make([]TemplateEntry, 0, len(stored)+len(r.repo))
	seen := map[string]bool{}
	for _, e := range stored {
		_, inRepo := r.repo[e.ID]
		e.Source, e.OverridesRepo = TemplateAPI, inRepo
		out = append(out, e)
		seen[e.ID] = true
	}
	for id, t := range r.repo {
		if !seen[id] {
			out = append(out, TemplateEntry{Template: t, Source: TemplateRepo})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Put compiles and saves a template, keeping its creation time. A template
// that does not compile is refused with the *template.Error listing every
// problem (errors.Is(err, template.ErrInvalid)); warnings come back either
// way.
func (r *Templates) Put(ctx context.Context, t template.Template, now time.Time) (e TemplateEntry, warns []template.Warning, created bool, err error) {
	_, warns, err = template.Compile(t)
	if err != nil {
		return TemplateEntry{}, warns, false, err
	}
	now = now.UTC()
	e = TemplateEntry{Template: t, Source: TemplateAPI, CreatedAt: now, UpdatedAt: now}
	created = true
	old, err := r.store.GetTemplate(ctx, t.ID)
	switch {
	case err == nil:
		e.CreatedAt, created = old.CreatedAt, false
	case !errors.Is(err, ErrTemplateNotFound):
		return TemplateEntry{}, warns, false, fmt.Errorf("read template %s: %w", t.ID, err)
	}
	if err := r.store.PutTemplate(ctx, e); err != nil {
		return TemplateEntry{}, warns, false, fmt.Errorf("put template %s: %w", t.ID, err)
	}
	_, e.OverridesRepo = r.repo[t.ID]
	r.forget(t.ID)
	return e, warns, created, nil
}

// Delete removes a stored template: restored is true when a repo template
// of the same id is back in effect. ErrRepoTemplate for a repo template
// without an override, ErrTemplateNotFound for an unknown id.
func (r *Templates) Delete(ctx context.Context, id string) (restored bool, err error) {
	_, inRepo := r.repo[id]
	err = r.store.DeleteTemplate(ctx, id)
	r.forget(id)
	switch {
	case err == nil:
		return inRepo, nil
	case !errors.Is(err, ErrTemplateNotFound):
		return false, fmt.Errorf("delete template %s: %w", id, err)
	case inRepo:
		return false, fmt.Errorf("template %s: %w", id, ErrRepoTemplate)
	}
	return false, fmt.Errorf("template %s: %w", id, ErrTemplateNotFound)
}

func (r *Templates) forget(id string) {
	r.mu.Lock()
	delete(r.cache, id)
	r.mu.Unlock()
}
