package runner_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/cmd/leadflow/cli"
)

// defsCLI runs `leadflow --api <local stack> --dir dir defs <args>`.
func (e *env) defsCLI(dir string, args ...string) (int, string) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{cli.EnvAPI: e.api.URL, cli.EnvToken: adminToken}
	code := cli.Main(context.Background(), append([]string{"--dir", dir, "defs"}, args...), func(k string) string { return env[k] }, &out, &errOut)
	if errOut.Len() > 0 {
		e.t.Logf("stderr: %s", errOut.String())
	}
	return code, out.String()
}

// TestDefsDiffAndPull: runtime changes show in `defs diff` as a readable
// per-definition diff; `defs pull` writes them into a copy of
// definitions/ in the repo's format; then diff shows nothing.
func TestDefsDiffAndPull(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(t.TempDir(), "definitions")
	if err := os.CopyFS(dir, os.DirFS("../../definitions")); err != nil {
		t.Fatal(err)
	}
	if code, out := e.defsCLI(dir, "validate"); code != 0 || !strings.Contains(out, "are valid") {
		t.Fatalf("validate = %d %s", code, out)
	}
	if code, out := e.defsCLI(dir, "diff"); code != 0 || !strings.Contains(out, "no differences") {
		t.Fatalf("diff before any change = %d\n%s", code, out)
	}

	// A marketer edits the welcome template's subject and HTML, adds a
	// form, and changes the interest rules.
	_, tpl := e.adminDo("GET", "/v1/templates/welcome", "")
	tpl["subject"] = "Welcome aboard, friend"
	tpl["html"] = strings.Replace(tpl["html"].(string), "</p>", " Glad you are here.</p>", 1)
	if code, body := e.adminDo("PUT", "/v1/templates/welcome", mustJSON(t, tpl)); code != 200 && code != 201 {
		t.Fatalf("PUT template = %d %v", code, body)
	}
	if code, body := e.adminDo("PUT", "/v1/forms/webinar", `{"name":"Webinar","fields":[{"name":"email","type":"email","required":true}],"thank_you_url":"https://example.com/t"}`); code != 201 {
		t.Fatalf("PUT form = %d %v", code, body)
	}
	if code, body := e.adminDo("PUT", "/v1/interests", `{"rules":[{"interest":"widgets","path_prefix":"/widgets"}]}`); code != 200 {
		t.Fatalf("PUT interests = %d %v", code, body)
	}

	code, out := e.defsCLI(dir, "diff")
	t.Logf("defs diff:\n%s", out)
	for _, want := range []string{
		"templates/welcome: the deployment (api v1, ",
		"-  \"subject\": \"Welcome{% if traits.first_name %}",
		"+  \"subject\": \"Welcome aboard, ",
		"templates/welcome.html (deployment)",
		"Glad you are here.",
		"forms/webinar: only in the deployment (api v1",
		"interests/default: the deployment (api v1",
		"+      \"interest\": \"widgets\",",
		"3 definitions differ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q", want)
		}
	}
	if code != 1 || strings.Contains(out, "forms/newsletter") || strings.Contains(out, "scoring") {
		t.Errorf("diff = %d, and must name only what changed:\n%s", code, out)
	}
	if strings.Contains(out, `\u003c`) || strings.Contains(out, `"html"`) {
		t.Errorf("the HTML is diffed as a JSON string, not as HTML:\n%s", out)
	}

	// Pull one definition, then the rest.
	if code, out := e.defsCLI(dir, "pull", "forms/webinar"); code != 0 || !strings.Contains(out, "pulled forms/webinar") || strings.Contains(out, "templates/") {
		t.Fatalf("pull forms/webinar = %d\n%s", code, out)
	}
	if code, out := e.defsCLI(dir, "pull", "forms/nope"); code != 1 || !strings.Contains(out, "no runtime override") {
		t.Errorf("pull of nothing = %d\n%s", code, out)
	}
	if code, out := e.defsCLI(dir, "pull"); code != 0 || !strings.Contains(out, "pulled templates/welcome") || !strings.Contains(out, "pulled interests/default") {
		t.Fatalf("pull = %d\n%s", code, out)
	}
	html, err := os.ReadFile(filepath.Join(dir, "templates", "welcome.html"))
	if err != nil || !strings.Contains(string(html), "Glad you are here.") {
		t.Errorf("welcome.html: %v\n%s", err, html)
	}
	meta, _ := os.ReadFile(filepath.Join(dir, "templates", "welcome.json"))
	if strings.Contains(string(meta), `"html"`) || !strings.Contains(string(meta), "Welcome aboard") {
		t.Errorf("welcome.json:\n%s", meta)
	}
	if _, err := os.Stat(filepath.Join(dir, "forms", "webinar.json")); err != nil {
		t.Error(err)
	}

	if code, out := e.defsCLI(dir, "validate"); code != 0 {
		t.Errorf("validate after pull = %d %s", code, out)
	}
	if code, out := e.defsCLI(dir, "diff"); code != 0 || !strings.Contains(out, "no differences") {
		t.Errorf("diff after pull = %d\n%s", code, out)
	}
}
