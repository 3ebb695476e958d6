package runner

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
	"sync"

	"github.com/leadflow/leadflow/snippet"
)

// demoPages are the demo site's templates, parsed on first use: only make
// dev and the browser tests open them.
var demoPages = sync.OnceValues(func() (*template.Template, error) {
	return template.ParseFS(snippet.Demo(), "*.html")
})

// demoData is what the demo templates are rendered with.
type demoData struct {
	// API is this server's base URL as the browser reached it, so the
	// page works on any port and host name (make dev, httptest, a tunnel).
	API            string
	SiteKey        string
	RequireConsent bool
	// Query is what the demo's own links carry along (the consent mode).
	Query string
}

// serveDemo serves the local demo site: /demo and /demo/pricing, pages
// with the snippet, a custom event, identify, a consent switch and a
// newsletter form. ?require_consent=1 serves them with
// data-require-consent, to try the consent flow.
func (p *Platform) serveDemo(w http.ResponseWriter, r *http.Request) {
	var page string
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case "/demo":
		page = "index.html"
	case "/demo/pricing":
		page = "pricing.html"
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if p.opts.Site.Key == "" {
		http.Error(w, "the demo needs a site key: start the platform with Options.Site", http.StatusServiceUnavailable)
		return
	}
	tmpl, err := demoPages()
	if err != nil {
		p.log.ErrorContext(r.Context(), "parse demo pages", "error", err)
		http.Error(w, "demo pages do not parse", http.StatusInternalServerError)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	d := demoData{API: scheme + "://" + r.Host, SiteKey: p.opts.Site.Key}
	if v := r.URL.Query().Get("require_consent"); v == "1" || v == "true" {
		d.RequireConsent, d.Query = true, "?require_consent=1"
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, page, d); err != nil {
		p.log.ErrorContext(r.Context(), "render demo page", "page", page, "error", err)
		http.Error(w, "demo page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
