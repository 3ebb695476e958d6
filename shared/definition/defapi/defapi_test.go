package defapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/definition/defapi"
	"github.com/leadflow/leadflow/shared/definition/memstore"
	"github.com/leadflow/leadflow/shared/httpapi"
)

type validation struct {
	Valid    bool                 `json:"valid"`
	Problems []definition.Problem `json:"problems"`
}

func routes(t *testing.T) (map[string]defapi.Route, *memstore.Store) {
	t.Helper()
	store := memstore.New()
	reg, err := definitions.Registry(store)
	if err != nil {
		t.Fatal(err)
	}
	api := defapi.New(reg, func(context.Context) string { return "test" }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return api.Routes(), store
}

func call(t *testing.T, rs map[string]defapi.Route, key string, params map[string]string, body string) (int, map[string]any) {
	t.Helper()
	f, ok := rs[key]
	if !ok {
		t.Fatalf("no route %s", key)
	}
	resp, err := f(context.Background(), httpapi.Request{RouteKey: key, PathParameters: params, Body: body})
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
		t.Fatalf("%s: answer %q: %v", key, resp.Body, err)
	}
	return resp.StatusCode, out
}

func validate(t *testing.T, kind, id, body string) validation {
	t.Helper()
	rs, store := routes(t)
	code, out := call(t, rs, "POST /v1/definitions/{kind}/{id}/validate", map[string]string{"kind": kind, "id": id}, body)
	if code != 200 {
		t.Fatalf("validate %s/%s: %d %v", kind, id, code, out)
	}
	raw, _ := json.Marshal(out)
	var v validation
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if vs, _ := store.DefinitionVersions(context.Background(), definition.Kind(kind), id); len(vs) != 0 {
		t.Errorf("validate saved %d versions of %s/%s, want none", len(vs), kind, id)
	}
	return v
}

func TestValidatePlacesProblemsAtLineAndColumn(t *testing.T) {
	cases := []struct {
		name, kind, body string
		line, column     int
		message          string
	}{
		{"syntax error", "topics", "{\n  \"topics\": [\n    {\"id\": \"news\" \"name\": \"N\"}\n  ]\n}", 3, 19, "not valid JSON"},
		{"text ends early", "topics", "{\n  \"topics\": [\n", 2, 14, "ends before"},
		{"misspelt key", "topics", "{\n  \"topics\": [\n    {\"id\": \"news\", \"nmae\": \"N\"}\n  ]\n}", 3, 20, `unknown field "nmae"`},
		{"wrong type", "sending", "{\n  \"sender\": {\"from\": {\"address\": 5}}\n}", 2, 23, "a number where string belongs"},
		{"validator message at its field", "interests", "{\n  \"rules\": [\n    {\"interest\": \"pricing\", \"path_prefix\": \"/p\"},\n    {\"interest\": \"Bad One\", \"path_prefix\": \"/x\"}\n  ]\n}", 4, 5, "rules[1]: interest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := validate(t, tc.kind, "default", tc.body)
			if v.Valid || len(v.Problems) == 0 {
				t.Fatalf("valid %v, problems %v: want invalid", v.Valid, v.Problems)
			}
			p := v.Problems[0]
			if p.In != definition.InDefinition || p.Line != tc.line || p.Column != tc.column || !strings.Contains(p.Message, tc.message) {
				t.Errorf("problem %+v, want in definition at %d:%d containing %q", p, tc.line, tc.column, tc.message)
			}
		})
	}
}

func TestValidateAcceptsTheRepoDefinitionOfEveryKind(t *testing.T) {
	rs, _ := routes(t)
	for _, s := range definitions.Specs() {
		code, list := call(t, rs, "GET /v1/definitions/{kind}", map[string]string{"kind": string(s.Kind)}, "")
		defs, _ := list["definitions"].([]any)
		if code != 200 || len(defs) == 0 {
			t.Fatalf("list %s: %d %v", s.Kind, code, list)
		}
		d := defs[0].(map[string]any)
		body, _ := json.Marshal(d) // as GET answered it, metadata and all
		code, out := call(t, rs, "POST /v1/definitions/{kind}/{id}/validate", map[string]string{"kind": string(s.Kind), "id": d["id"].(string)}, string(body))
		if code != 200 || out["valid"] != true || len(out["problems"].([]any)) != 0 || out["definition"] == nil {
			t.Errorf("validate repo %s/%s: %d %v", s.Kind, d["id"], code, out)
		}
	}
}

// A problem found by a later check still points at its field, and the
// save refuses the same body with the same placed problems.
func TestSaveRefusalCarriesPlacedProblems(t *testing.T) {
	rs, _ := routes(t)
	body := "{\n  \"half_life_days\": 30,\n  \"engagement\": [\n    {\"id\": \"x\", \"event\": \"page\", \"points\": 0}\n  ]\n}"
	code, out := call(t, rs, "PUT /v1/definitions/{kind}/{id}", map[string]string{"kind": "scoring", "id": "default"}, body)
	e, _ := out["error"].(map[string]any)
	if code != 400 || e["code"] != "invalid_scoring_model" {
		t.Fatalf("save: %d %v, want 400 invalid_scoring_model", code, out)
	}
	ps, _ := e["problems"].([]any)
	found := false
	for _, p := range ps {
		p := p.(map[string]any)
		if strings.Contains(p["message"].(string), "points must not be 0") {
			found = p["line"] == float64(4) && p["column"] == float64(5)
		}
	}
	if !found {
		t.Errorf("problems %v: want \"points must not be 0\" at 4:5", ps)
	}
}

func TestValidateUnknownKindIs404(t *testing.T) {
	rs, _ := routes(t)
	code, out := call(t, rs, "POST /v1/definitions/{kind}/{id}/validate", map[string]string{"kind": "nope", "id": "x"}, "{}")
	if e, _ := out["error"].(map[string]any); code != 404 || e["code"] != "unknown_kind" {
		t.Errorf("%d %v, want 404 unknown_kind", code, out)
	}
}
