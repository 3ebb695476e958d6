package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/definitions/registrytest"
	"github.com/leadflow/leadflow/shared/definition"
)

// TestDefinitionRegistryDynamoDB runs the registry's table for every kind
// over the DynamoDB adapter (DynamoDB Local).
func TestDefinitionRegistryDynamoDB(t *testing.T) {
	registrytest.Run(t, func(t *testing.T) definition.Store {
		_, st := localTable(t, "defs")
		return st
	})
}

func TestDefinitionStoreDynamoDB(t *testing.T) {
	_, st := localTable(t, "defstore")
	ctx := context.Background()
	reg, err := definitions.Registry(st)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a large template round-trips gzipped", func(t *testing.T) {
		big := strings.Repeat("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n", 3000) // ~190 KB
		body, _ := json.Marshal(map[string]any{"id": "big", "name": "Big", "kind": "transactional", "from": map[string]string{"address": "a@example.com"}, "subject": "S", "html": big})
		if _, err := reg.Put(ctx, definitions.KindTemplates, "big", body, definition.Write{By: "t"}); err != nil {
			t.Fatal(err)
		}
		d, err := reg.Get(ctx, definitions.KindTemplates, "big")
		var got struct{ HTML string }
		if err != nil || json.Unmarshal(d.Body, &got) != nil || got.HTML != big {
			t.Fatalf("read back %d bytes, %v", len(got.HTML), err)
		}
	})

	t.Run("concurrent saves from one version: one wins", func(t *testing.T) {
		var wg sync.WaitGroup
		var won, lost int
		var mu sync.Mutex
		for i := range 5 {
			wg.Go(func() {
				err := st.SaveDefinition(ctx, definition.Stored{Kind: "notes", ID: "x", Body: json.RawMessage(`{}`), Version: 1, At: time.Now(), By: string(rune('a' + i))}, 0)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, definition.ErrConflict):
					lost++
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if won != 1 || lost != 4 {
			t.Fatalf("%d won, %d lost", won, lost)
		}
		if vs, _ := st.DefinitionVersions(ctx, "notes", "x"); len(vs) != 1 {
			t.Fatalf("versions %+v", vs)
		}
	})

	t.Run("overrides saved in the old layouts are migrated on first read", func(t *testing.T) {
		_, old := localTable(t, "legacy")
		at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
		legacy := map[definition.Kind]string{
			definitions.KindForms:     `{"id":"webinar","name":"Webinar","fields":[{"name":"email","type":"email","required":true}],"thank_you_url":"https://example.com/t","created_at":"2026-11-30T12:00:00Z","updated_at":"2026-11-30T12:00:00Z"}`,
			definitions.KindTemplates: `{"id":"promo","name":"Promo","kind":"transactional","from":{"address":"a@example.com"},"subject":"Hi","html":"<p>Hi</p>"}`,
			definitions.KindInterests: `{"rules":[{"interest":"widgets","path_prefix":"/widgets"}]}`,
			definitions.KindScoring:   "",
		}
		m, _ := definitions.Scoring()
		m.HalfLifeDays = 10
		raw, _ := json.Marshal(m) // stored with its version, as the old admin API did
		legacy[definitions.KindScoring] = string(raw)
		ids := map[definition.Kind]string{definitions.KindForms: "webinar", definitions.KindTemplates: "promo", definitions.KindInterests: "default", definitions.KindScoring: "default"}
		for k, body := range legacy {
			if err := old.SaveLegacyDefinition(ctx, k, ids[k], []byte(body), at); err != nil {
				t.Fatal(err)
			}
		}
		// A function that only reads sees the old override and leaves it.
		reader := definitions.Reader(old)
		if d, err := reader.Get(ctx, definitions.KindInterests, "default"); err != nil || d.Source != definition.SourceAPI || !strings.Contains(string(d.Body), "widgets") {
			t.Fatalf("reader: %+v %v", d, err)
		}
		if _, _, found, _ := old.LegacyDefinition(ctx, definitions.KindInterests, "default"); !found {
			t.Fatal("a reader migrated the old item")
		}
		oreg, _ := definitions.Registry(old)
		forms, err := oreg.List(ctx, definitions.KindForms)
		if err != nil || len(forms) != 3 {
			t.Fatalf("forms after upgrade: %d %v", len(forms), err)
		}
		for k, id := range ids {
			d, err := oreg.Get(ctx, k, id)
			if err != nil || d.Source != definition.SourceAPI || d.Version != 1 || d.UpdatedBy != definition.MigratedBy || !d.UpdatedAt.Equal(at) {
				t.Errorf("%s/%s: %+v %v", k, id, d, err)
			}
			if _, _, found, _ := old.LegacyDefinition(ctx, k, id); found {
				t.Errorf("%s/%s: the old item is still there", k, id)
			}
		}
		if d, _ := oreg.Get(ctx, definitions.KindScoring, "default"); !strings.Contains(string(d.Body), `"half_life_days":10`) {
			t.Errorf("the migrated model %s", d.Body)
		}
		if d, _ := oreg.Get(ctx, definitions.KindForms, "webinar"); strings.Contains(string(d.Body), "created_at") {
			t.Errorf("metadata kept in the body: %s", d.Body)
		}
	})
}
