package definition_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/definition/memstore"
)

// note is the smallest kind: a keyed definition with one checked field.
type note struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

func (n note) Validate() error {
	if n.Text == "" {
		return errors.New("text is required")
	}
	return nil
}

const notes definition.Kind = "notes"

func noteRegistry(t *testing.T) (*definition.Registry, *memstore.Store) {
	t.Helper()
	specs := []definition.Spec{definition.Keyed[note](notes, "note", "notes")}
	store := memstore.New()
	return definition.New(store, specs, definition.Repo{notes: {"a": json.RawMessage(`{"id":"a","text":"repo"}`)}}), store
}

// TestCacheTTL: one read per TTL; unknown ids remembered for a tenth of
// it; a reload that finds the same ETag does not decode again; transient
// errors are not remembered.
func TestCacheTTL(t *testing.T) {
	reg, store := noteRegistry(t)
	now := time.Unix(0, 0)
	decodes := 0
	c := definition.NewCache(reg, notes, func(raw json.RawMessage) (note, error) {
		decodes++
		return definition.DecodeAs[note](raw)
	}).WithTTL(definition.CacheTTL, func() time.Time { return now })
	ctx := context.Background()
	for range 3 {
		if n, err := c.Get(ctx, "a"); err != nil || n.Text != "repo" {
			t.Fatalf("%+v %v", n, err)
		}
		if _, err := c.Get(ctx, "nope"); !errors.Is(err, definition.ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
	}
	if store.Reads != 2 || decodes != 1 {
		t.Fatalf("%d reads, %d decodes for 6 lookups of 2 ids", store.Reads, decodes)
	}
	if _, err := reg.Put(ctx, notes, "a", []byte(`{"text":"api"}`), definition.Write{By: "t"}); err != nil {
		t.Fatal(err)
	}
	reads := store.Reads
	now = now.Add(definition.CacheTTL / 10)
	if n, _ := c.Get(ctx, "a"); n.Text != "repo" {
		t.Error("a known id is kept for the whole TTL")
	}
	c.Get(ctx, "nope")
	if store.Reads != reads+1 {
		t.Errorf("only the unknown id is read again: %d reads", store.Reads-reads)
	}
	now = now.Add(definition.CacheTTL)
	if n, _ := c.Get(ctx, "a"); n.Text != "api" || decodes != 2 {
		t.Errorf("after the TTL the change is seen: %+v, %d decodes", n, decodes)
	}
	now = now.Add(definition.CacheTTL)
	c.Get(ctx, "a")
	if decodes != 2 {
		t.Errorf("an unchanged definition was decoded again (%d decodes)", decodes)
	}

	failing := definition.NewCache(errGetter{}, notes, definition.DecodeAs[note])
	for range 2 {
		if _, err := failing.Get(ctx, "a"); err == nil || errors.Is(err, definition.ErrNotFound) {
			t.Fatalf("transient error: %v", err)
		}
	}
}

type errGetter struct{}

func (errGetter) Get(context.Context, definition.Kind, string) (definition.Definition, error) {
	return definition.Definition{}, fmt.Errorf("throttled")
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"", `{"a":1}`, "created"},
		{`{"a":1}`, "", "override removed"},
		{`{"a":1,"b":2}`, `{"b":2,"a":1}`, "no change"},
		{`{"a":1,"b":2}`, `{"a":2,"c":3}`, "changed +c, -b, a"},
	} {
		var a, b json.RawMessage
		if tc.a != "" {
			a = json.RawMessage(tc.a)
		}
		if tc.b != "" {
			b = json.RawMessage(tc.b)
		}
		if got := definition.Summarize(a, b); got != tc.want {
			t.Errorf("Summarize(%s, %s) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}
