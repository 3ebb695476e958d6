// Package registrytest is the registry's behaviour, table-driven once for
// every kind, run over any definition.Store: the in-memory one in unit
// tests, DynamoDB Local in the adapter's integration test.
package registrytest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/definition"
)

// Edits change one valid definition of each kind into another valid one,
// as a marketer would through the admin API.
var Edits = map[definition.Kind]func(map[string]any){
	definitions.KindForms:     func(m map[string]any) { m["name"] = m["name"].(string) + " (edited)" },
	definitions.KindTemplates: func(m map[string]any) { m["subject"] = m["subject"].(string) + " (edited)" },
	definitions.KindInterests: func(m map[string]any) {
		rs := m["rules"].([]any)
		m["rules"] = append(rs, map[string]any{"interest": "edited", "path_prefix": "/edited"})
	},
	definitions.KindScoring: func(m map[string]any) { m["half_life_days"] = m["half_life_days"].(float64) + 1 },
	definitions.KindTopics: func(m map[string]any) {
		t := m["topics"].([]any)[0].(map[string]any)
		t["name"] = t["name"].(string) + " (edited)"
	},
	definitions.KindSending:   func(m map[string]any) { m["confirm_link_days"] = float64(int(m["confirm_link_days"].(float64))%30 + 1) },
	definitions.KindSegments:  func(m map[string]any) { m["name"] = m["name"].(string) + " (edited)" },
	definitions.KindLists:     func(m map[string]any) { m["name"] = m["name"].(string) + " (edited)" },
	definitions.KindJourneys:  func(m map[string]any) { m["name"] = m["name"].(string) + " (edited)" },
	definitions.KindCampaigns: func(m map[string]any) { m["name"] = m["name"].(string) + " (edited)" },
}

// Edited returns a definition with its kind's edit applied.
func Edited(t testing.TB, k definition.Kind, body []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	edit, ok := Edits[k]
	if !ok {
		t.Fatalf("no edit for kind %s: add one to registrytest.Edits", k)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Run checks every kind's behaviour over a fresh store from newStore.
func Run(t *testing.T, newStore func(t *testing.T) definition.Store) {
	for _, spec := range definitions.Specs() {
		t.Run(string(spec.Kind), func(t *testing.T) {
			runKind(t, spec, newStore(t))
		})
	}
}

func runKind(t *testing.T, spec definition.Spec, store definition.Store) {
	ctx := context.Background()
	reg, err := definitions.Registry(store)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	reg.WithClock(func() time.Time { at = at.Add(time.Second); return at })
	k := spec.Kind
	repo, _ := definitions.Repo()
	ids := repo.IDs(k)
	if len(ids) == 0 {
		t.Fatalf("the repo has no %s", k)
	}
	id := ids[0]
	w := definition.Write{By: "admin"}

	// Repo only.
	d, err := reg.Get(ctx, k, id)
	if err != nil || d.Source != definition.SourceRepo || d.Version != 0 || !d.InRepo || d.DiffersFromRepo || d.ETag() == "" {
		t.Fatalf("repo only: %+v %v", d, err)
	}
	repoTag := d.ETag()
	if vs, err := reg.Versions(ctx, k, id); err != nil || len(vs) != 0 {
		t.Fatalf("a repo-only definition has no saved versions: %v %v", vs, err)
	}
	if _, err := reg.Delete(ctx, k, id, w); !errors.Is(err, definition.ErrRepoOnly) {
		t.Fatalf("deleting a repo-only definition: %v, want ErrRepoOnly", err)
	}

	// Override.
	edited := Edited(t, k, d.Body)
	s1, err := reg.Put(ctx, k, id, edited, definition.Write{By: "admin", IfMatch: repoTag})
	if err != nil || s1.Source != definition.SourceAPI || s1.Version != 1 || !s1.Created || !s1.DiffersFromRepo || s1.UpdatedBy != "admin" || s1.UpdatedAt.IsZero() {
		t.Fatalf("override: %+v %v", s1, err)
	}
	if got, _ := reg.Get(ctx, k, id); got.Source != definition.SourceAPI || string(got.Body) != string(s1.Body) || got.ETag() != s1.ETag() {
		t.Fatalf("the override is not in effect: %+v", got)
	}

	// A stale If-Match changes nothing.
	again := Edited(t, k, s1.Body)
	if _, err := reg.Put(ctx, k, id, again, definition.Write{By: "other", IfMatch: repoTag}); !errors.Is(err, definition.ErrStale) {
		t.Fatalf("PUT with a stale If-Match: %v, want ErrStale", err)
	}
	if _, err := reg.Delete(ctx, k, id, definition.Write{By: "other", IfMatch: repoTag}); !errors.Is(err, definition.ErrStale) {
		t.Fatalf("DELETE with a stale If-Match: %v, want ErrStale", err)
	}
	if got, _ := reg.Get(ctx, k, id); got.Version != 1 || string(got.Body) != string(s1.Body) {
		t.Fatalf("a refused write changed the definition: %+v", got)
	}

	// A fresh If-Match saves; the summary names what changed.
	s2, err := reg.Put(ctx, k, id, again, definition.Write{By: "ann", IfMatch: s1.ETag()})
	if err != nil || s2.Version != 2 || s2.Created || !s2.Since.Equal(s1.Since) {
		t.Fatalf("second save: %+v %v", s2, err)
	}

	// Versions, newest first, with who, when and what.
	vs, err := reg.Versions(ctx, k, id)
	if err != nil || len(vs) != 2 || vs[0].Version != 2 || vs[0].By != "ann" || vs[1].By != "admin" || !vs[0].At.After(vs[1].At) {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	if vs[0].Summary == "" || vs[0].Summary == "no change" || vs[1].Summary != "changed "+changedField(t, d.Body, s1.Body) {
		t.Errorf("summaries %q, %q", vs[0].Summary, vs[1].Summary)
	}

	// Restore version 1: a PUT of it.
	v1, info, err := reg.Version(ctx, k, id, 1)
	if err != nil || info.Version != 1 || string(v1.Body) != string(s1.Body) {
		t.Fatalf("version 1: %+v %v", v1, err)
	}
	restoreBody, _ := json.Marshal(map[string]any{"version": 1, "definition": v1.Body})
	s3, err := reg.Put(ctx, k, id, restoreBody, w)
	if err != nil || s3.Version != 3 || string(s3.Body) != string(s1.Body) {
		t.Fatalf("restore: %+v %v", s3, err)
	}
	if _, _, err := reg.Version(ctx, k, id, 9); !errors.Is(err, definition.ErrNotFound) {
		t.Errorf("a version never saved: %v", err)
	}

	// Putting the repo's own content back: an override that does not differ.
	same, err := reg.Put(ctx, k, id, d.Body, w)
	if err != nil || same.DiffersFromRepo || same.Source != definition.SourceAPI {
		t.Fatalf("override equal to the repo: %+v %v", same, err)
	}
	drift, err := reg.Drift(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e := find(drift, k, id); e == nil || e.Source != definition.SourceAPI || e.DiffersFromRepo || e.Since.IsZero() || e.Body != nil {
		t.Errorf("drift entry %+v", e)
	}

	// Delete the override: the repo's definition is back, the counter goes on.
	restored, err := reg.Delete(ctx, k, id, definition.Write{By: "admin", IfMatch: same.ETag()})
	if err != nil || !restored {
		t.Fatalf("delete the override: %v %v", restored, err)
	}
	back, err := reg.Get(ctx, k, id)
	if err != nil || back.Source != definition.SourceRepo || string(back.Body) != string(d.Body) || back.Version != 5 {
		t.Fatalf("after delete: %+v %v", back, err)
	}
	if _, err := reg.Delete(ctx, k, id, w); !errors.Is(err, definition.ErrRepoOnly) {
		t.Fatalf("second delete: %v, want ErrRepoOnly", err)
	}
	if vs, _ := reg.Versions(ctx, k, id); len(vs) != 5 || !vs[0].Deleted {
		t.Errorf("the delete is in the history: %+v", vs)
	}

	if spec.Singleton {
		if _, err := reg.Put(ctx, k, "other", d.Body, w); !errors.Is(err, definition.ErrNotFound) {
			t.Errorf("a singleton has only the id default: %v", err)
		}
		return
	}
	// An API-only definition: created, listed, deleted, gone.
	var m map[string]any
	_ = json.Unmarshal(d.Body, &m)
	m["id"] = "api-only"
	body, _ := json.Marshal(m)
	created, err := reg.Put(ctx, k, "api-only", body, w)
	if err != nil || !created.Created || created.InRepo || !created.DiffersFromRepo {
		t.Fatalf("API-only: %+v %v", created, err)
	}
	list, err := reg.List(ctx, k)
	if err != nil || len(list) != len(ids)+1 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	if restored, err := reg.Delete(ctx, k, "api-only", w); err != nil || restored {
		t.Fatalf("delete API-only: %v %v", restored, err)
	}
	if _, err := reg.Get(ctx, k, "api-only"); !errors.Is(err, definition.ErrNotFound) {
		t.Errorf("deleted API-only: %v", err)
	}
	if _, err := reg.Delete(ctx, k, "api-only", w); !errors.Is(err, definition.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	if _, err := reg.Put(ctx, k, "other-id", body, w); err == nil {
		t.Error("a body naming another id is refused")
	}
}

func changedField(t *testing.T, a, b []byte) string {
	var x, y map[string]json.RawMessage
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	for k, v := range y {
		if string(x[k]) != string(v) {
			return k
		}
	}
	t.Fatal("the edit changed nothing")
	return ""
}

func find(drift []definition.KindDrift, k definition.Kind, id string) *definition.Definition {
	for _, kd := range drift {
		for i, d := range kd.Definitions {
			if kd.Kind == k && d.ID == id {
				return &kd.Definitions[i]
			}
		}
	}
	return nil
}
