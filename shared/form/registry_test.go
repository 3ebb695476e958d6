package form

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"
)

// memStore is an in-memory Store with the adapter's contract.
type memStore struct{ m map[string]Form }

func (s *memStore) GetForm(_ context.Context, id string) (Form, error) {
	f, ok := s.m[id]
	if !ok {
		return Form{}, ErrNotFound
	}
	return f, nil
}

func (s *memStore) PutForm(_ context.Context, f Form) error { s.m[f.ID] = f; return nil }

func (s *memStore) DeleteForm(_ context.Context, id string) error {
	if _, ok := s.m[id]; !ok {
		return ErrNotFound
	}
	delete(s.m, id)
	return nil
}

func (s *memStore) ListForms(context.Context) ([]Form, error) {
	var out []Form
	for _, f := range s.m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func TestRegistry(t *testing.T) {
	ctx := context.Background()
	repo := newsletter()
	r := NewRegistry(&memStore{m: map[string]Form{}}, []Form{repo})
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

	if e, err := r.Get(ctx, "newsletter"); err != nil || e.Source != SourceRepo {
		t.Fatalf("repo form: %+v %v", e, err)
	}
	if _, err := r.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown form: %v", err)
	}
	if _, err := r.Delete(ctx, "newsletter"); !errors.Is(err, ErrRepoForm) {
		t.Fatalf("deleting a repo form: %v, want ErrRepoForm", err)
	}
	if _, err := r.Delete(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting an unknown form: %v", err)
	}

	// An invalid form is refused with its problems.
	bad := newsletter()
	bad.ThankYouURL = "/thanks"
	var inv *InvalidError
	if _, _, err := r.Put(ctx, bad, t0); !errors.As(err, &inv) {
		t.Fatalf("invalid put: %v", err)
	}

	// Override the repo form, then update the override.
	override := newsletter()
	override.Name = "Newsletter (edited)"
	e, created, err := r.Put(ctx, override, t0)
	if err != nil || !created || e.Source != SourceAPI || !e.OverridesRepo {
		t.Fatalf("override: %+v created=%v %v", e, created, err)
	}
	e, created, err = r.Put(ctx, override, t0.Add(time.Hour))
	if err != nil || created || !e.CreatedAt.Equal(t0) || !e.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("update: %+v created=%v %v", e, created, err)
	}
	if e, _ := r.Get(ctx, "newsletter"); e.Name != "Newsletter (edited)" || e.Source != SourceAPI {
		t.Fatalf("override not in effect: %+v", e)
	}

	other := newsletter()
	other.ID = "webinar"
	if _, created, err := r.Put(ctx, other, t0); err != nil || !created {
		t.Fatal(err)
	}
	list, err := r.List(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "newsletter" || list[0].Source != SourceAPI || list[1].ID != "webinar" {
		t.Fatalf("list: %+v %v", list, err)
	}

	// Deleting the override brings the repo definition back.
	if restored, err := r.Delete(ctx, "newsletter"); err != nil || !restored {
		t.Fatalf("delete override: restored=%v %v", restored, err)
	}
	if e, _ := r.Get(ctx, "newsletter"); e.Name != "Newsletter" || e.Source != SourceRepo {
		t.Fatalf("repo form not restored: %+v", e)
	}
	if restored, err := r.Delete(ctx, "webinar"); err != nil || restored {
		t.Fatalf("delete api form: restored=%v %v", restored, err)
	}
}
