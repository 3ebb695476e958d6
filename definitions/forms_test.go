package definitions

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/leadflow/leadflow/shared/form"
)

func TestRepoFormsAreValid(t *testing.T) {
	forms, err := Forms()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]form.Form{}
	for _, f := range forms {
		byID[f.ID] = f
	}
	// The README and the demo page rely on these two.
	nl, ok := byID["newsletter"]
	if !ok || !nl.DoubleOptIn || nl.Consent == nil || nl.Consent.Field == "" {
		t.Errorf("newsletter must be double opt-in with a consent checkbox: %+v", nl)
	}
	demo, ok := byID["demo-request"]
	if !ok || demo.DoubleOptIn || len(demo.Tags) == 0 || len(demo.Lists) == 0 {
		t.Errorf("demo-request must be single opt-in with tags and lists: %+v", demo)
	}
}

// TestRepoFormsAcceptTheirOwnFields submits each repo form with every field
// filled, so a definition whose own fields cannot pass (a select whose
// options the parser refuses, say) fails CI rather than a visitor.
func TestRepoFormsAcceptTheirOwnFields(t *testing.T) {
	forms, err := Forms()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range forms {
		t.Run(f.ID, func(t *testing.T) {
			body := map[string]string{}
			for _, x := range f.Fields {
				switch x.Type {
				case form.TypeEmail:
					body[x.Name] = "ada@example.com"
				case form.TypeCheckbox:
					body[x.Name] = "on"
				case form.TypeSelect:
					body[x.Name] = x.Options[0]
				case form.TypeTel:
					body[x.Name] = "+44 20 7946 0000"
				case form.TypeNumber:
					body[x.Name] = "3"
				default:
					body[x.Name] = "Ada"
				}
			}
			raw, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			s, err := form.Parse(f, "application/json", raw, time.Now(), "", "192.0.2.1", "")
			if err != nil {
				t.Fatalf("a complete submission is refused: %v", err)
			}
			if len(s.Messages()) != 2 {
				t.Fatal("no messages")
			}
		})
	}
}

func TestFormDefinitionsAreChecked(t *testing.T) {
	const good = `{"id":"a","name":"A","fields":[{"name":"email","type":"email","required":true}],"thank_you_url":"https://example.com/t"}`
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"unknown key (a typo)", map[string]string{"forms/a.json": strings.Replace(good, `"name":"A"`, `"name":"A","doubleOptIn":true`, 1)}, "unknown field"},
		{"invalid form", map[string]string{"forms/a.json": strings.Replace(good, "https://example.com/t", "/t", 1)}, "thank_you_url"},
		{"file name is not the id", map[string]string{"forms/b.json": good}, "must match the file name"},
		{"not JSON", map[string]string{"forms/a.json": "{"}, "definitions/forms/a.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for k, v := range tc.files {
				fsys[k] = &fstest.MapFile{Data: []byte(v)}
			}
			_, err := loadKind(KindForms, fsys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to mention %q", err, tc.want)
			}
		})
	}
	fsys := fstest.MapFS{"forms/a.json": &fstest.MapFile{Data: []byte(good)}}
	if forms, err := loadKind(KindForms, fsys); err != nil || len(forms) != 1 {
		t.Fatalf("a good file: %v %v", forms, err)
	}
}
