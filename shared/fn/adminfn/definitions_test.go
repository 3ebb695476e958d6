package adminfn

import (
	"testing"

	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/template"
)

// A template's problems in its source keep the validator's own line and
// column in that part; the others point at their key in the JSON.
func TestTemplateProblemsArePlacedInTheirPart(t *testing.T) {
	raw := []byte("{\n  \"id\": \"t1\",\n  \"name\": \"T\",\n  \"kind\": \"marketing\",\n  \"topic\": \"newsletter\",\n" +
		"  \"from\": {\"address\": \"not-an-address\"},\n  \"subject\": \"Hi\",\n" +
		"  \"html\": \"<p>Hello</p>\\n<p>{{ contact.nope }}</p>{{ unsubscribe_url }} {{ sender.address }}\"\n}")
	var tpl template.Template
	if err := definition.Decode(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	ps, ok := templateProblems(raw, tpl.Validate())
	if !ok {
		t.Fatalf("templateProblems did not place a template error")
	}
	var html, from *definition.Problem
	for i, p := range ps {
		switch {
		case p.In == "html" && html == nil:
			html = &ps[i]
		case p.Field == "from.address":
			from = &ps[i]
		}
	}
	if html == nil || html.In != "html" || html.Line != 2 || html.Column != 7 || html.Message == "" {
		t.Errorf("html problem %+v, want in html at 2:7 (all: %+v)", html, ps)
	}
	if from == nil || from.In != definition.InDefinition || from.Line != 6 || from.Column != 12 {
		t.Errorf("from.address problem %+v, want in the definition at 6:12 (all: %+v)", from, ps)
	}
	if _, ok := templateProblems(raw, definition.ErrNotFound); ok {
		t.Errorf("a non-template error was placed by the template hook; want the generic fallback")
	}
}
