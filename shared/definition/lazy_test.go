package definition_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/definition/memstore"
)

// TestNewLazyLoadsAKindOnFirstUse: a lazy registry asks for no kind's
// repo definitions when built (a cold start checks no files) and only for
// the kinds it reads; what it answers is what New over the same repo does.
func TestNewLazyLoadsAKindOnFirstUse(t *testing.T) {
	const other definition.Kind = "others"
	specs := []definition.Spec{definition.Keyed[note](notes, "note", "notes"), definition.Keyed[note](other, "other", "others")}
	repo := definition.Repo{notes: {"a": json.RawMessage(`{"id":"a","text":"repo"}`)}, other: {"b": json.RawMessage(`{"id":"b","text":"x"}`)}}
	loads := map[definition.Kind]int{}
	lazy := definition.NewLazy(memstore.New(), specs, func(k definition.Kind) map[string]json.RawMessage {
		loads[k]++
		return repo[k]
	})
	if len(loads) != 0 {
		t.Fatalf("building the registry loaded %v", loads)
	}
	eager := definition.New(memstore.New(), specs, repo)
	ctx := context.Background()
	for _, reg := range []*definition.Registry{lazy, eager} {
		d, err := reg.Get(ctx, notes, "a")
		if err != nil || d.Source != definition.SourceRepo || string(d.Body) != `{"id":"a","text":"repo"}` {
			t.Fatalf("Get notes/a: %+v %v", d, err)
		}
		if _, err := reg.Get(ctx, notes, "b"); !errors.Is(err, definition.ErrNotFound) {
			t.Fatalf("Get notes/b: %v, want not found", err)
		}
		list, err := reg.List(ctx, notes)
		if err != nil || len(list) != 1 || list[0].ID != "a" {
			t.Fatalf("List notes: %+v %v", list, err)
		}
	}
	if loads[other] != 0 || loads[notes] == 0 {
		t.Errorf("reading notes loaded %v; want notes only", loads)
	}
}
