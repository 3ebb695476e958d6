package definitions_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/definition/memstore"
)

// The admin API's lazily loaded registry serves every kind as the eager
// one does, and saves like it (it is not read-only).
func TestAdminRegistryServesWhatRegistryServes(t *testing.T) {
	ctx := context.Background()
	eager, err := definitions.Registry(memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	lazy := definitions.AdminRegistry(memstore.New())
	kinds := 0
	for _, s := range eager.Specs() {
		want, err := eager.List(ctx, s.Kind)
		if err != nil {
			t.Fatal(err)
		}
		got, err := lazy.List(ctx, s.Kind)
		if err != nil {
			t.Fatalf("%s: %v", s.Kind, err)
		}
		w, _ := json.Marshal(want)
		g, _ := json.Marshal(got)
		if !reflect.DeepEqual(w, g) {
			t.Errorf("%s: lazy lists %s\neager lists %s", s.Kind, g, w)
		}
		if len(want) > 0 {
			kinds++
		}
	}
	if kinds < 5 {
		t.Fatalf("only %d kinds have compiled-in definitions; the comparison proves little", kinds)
	}
	tpls, err := lazy.List(ctx, definitions.KindTemplates)
	if err != nil || len(tpls) == 0 {
		t.Fatalf("templates: %v, %v", tpls, err)
	}
	var body map[string]any
	if err := json.Unmarshal(tpls[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(body)
	if _, err := lazy.Put(ctx, definitions.KindTemplates, tpls[0].ID, raw, definition.Write{By: "test"}); err != nil {
		t.Errorf("saving through the admin registry: %v", err)
	}
}
