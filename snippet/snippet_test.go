package snippet_test

import (
	"bytes"
	"compress/gzip"
	"html/template"
	"io"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/snippet"
)

// gzipBudget guards the promise of "a few KB gzipped": every site pays these
// bytes on a visitor's first page view. Raise it deliberately, not by drift.
const gzipBudget = 4096

func TestSnippetStaysSmall(t *testing.T) {
	js := snippet.JS()
	t.Logf("leadflow.js: %d bytes raw, %d bytes gzipped (budget %d)", len(js.Raw), len(js.Gzip), gzipBudget)
	if len(js.Gzip) > gzipBudget {
		t.Errorf("leadflow.js is %d bytes gzipped, over the %d-byte budget", len(js.Gzip), gzipBudget)
	}
	zr, err := gzip.NewReader(bytes.NewReader(js.Gzip))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(raw, js.Raw) {
		t.Fatalf("gzip bytes do not decode to the snippet: %v", err)
	}
	if js.ETag == js.GzipETag || !strings.HasPrefix(js.ETag, `"`) || snippet.JS().ETag != js.ETag {
		t.Errorf("ETags %s %s: want stable, quoted, one per encoding", js.ETag, js.GzipETag)
	}
}

func TestSnippetIsSelfContained(t *testing.T) {
	src := string(snippet.JS().Raw)
	// The snippet talks only to its own API; anything else would be a
	// dependency (or a leak) that every site inherits.
	for _, bad := range []string{"import ", "require(", "http://", "https://", "eval(", "document.write"} {
		if strings.Contains(src, bad) {
			t.Errorf("leadflow.js contains %q", bad)
		}
	}
}

func TestDemoPagesRender(t *testing.T) {
	tmpl, err := template.ParseFS(snippet.Demo(), "*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"index.html", "pricing.html"} {
		for _, consent := range []bool{false, true} {
			var buf bytes.Buffer
			data := map[string]any{"API": "http://localhost:3000", "SiteKey": `lf_site_"x"`, "RequireConsent": consent, "Query": ""}
			if err := tmpl.ExecuteTemplate(&buf, page, data); err != nil {
				t.Fatalf("%s: %v", page, err)
			}
			out := buf.String()
			for _, want := range []string{
				`<script async src="http://localhost:3000/v1/sdk.js" data-site-key="lf_site_&#34;x&#34;"`,
				`action="http://localhost:3000/v1/forms/newsletter"`,
				`name="consent"`, `id="track"`, `id="identify-form"`, `id="consent"`,
			} {
				if !strings.Contains(out, want) {
					t.Errorf("%s (consent %v) lacks %s", page, consent, want)
				}
			}
			if got := strings.Contains(out, `data-require-consent="true"`); got != consent {
				t.Errorf("%s: data-require-consent present %v, want %v", page, got, consent)
			}
		}
	}
}
