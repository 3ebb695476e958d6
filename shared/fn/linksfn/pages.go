package linksfn

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"maps"
	"net/http"
	"strings"

	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/preference"
)

// The pages are server-rendered HTML that work without JavaScript: every
// action is a plain form POST. render escapes every value it prints, so a contact's own trait values (a
// first name of "<script>…") print as text. No external resources: the
// style is inline and the CSP allows nothing else.

const css = `
:root{color-scheme:light dark;--fg:#111827;--muted:#4b5563;--bg:#f9fafb;--card:#fff;--line:#d1d5db;--accent:#1d4ed8}
@media (prefers-color-scheme:dark){:root{--fg:#f3f4f6;--muted:#9ca3af;--bg:#111827;--card:#1f2937;--line:#374151;--accent:#93c5fd}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:36rem;margin:3rem auto;padding:2rem;background:var(--card);border:1px solid var(--line);border-radius:.5rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
p{margin:0 0 1rem}
.muted{color:var(--muted);font-size:.9375rem}
.notice{padding:.75rem 1rem;border-left:4px solid var(--accent);background:var(--bg);margin-bottom:1rem}
fieldset{border:0;padding:0;margin:0 0 1.5rem}
legend{font-weight:600;margin-bottom:.5rem}
label{display:flex;gap:.75rem;align-items:flex-start;padding:.75rem 0;border-top:1px solid var(--line);cursor:pointer}
label:last-child{border-bottom:1px solid var(--line)}
input[type=checkbox]{width:1.25rem;height:1.25rem;margin-top:.125rem;flex:none}
.topic{display:block;font-weight:600}
.desc{display:block;color:var(--muted);font-size:.9375rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem}
button{font:inherit;padding:.625rem 1.25rem;border-radius:.375rem;border:1px solid var(--accent);background:var(--accent);color:var(--card);cursor:pointer}
button.secondary{background:transparent;color:var(--accent)}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
a{color:var(--accent)}
`

// securityHeaders go on every page. The signed token in the URL is the
// only credential, so nothing may leak it: no referrer, no framing (a
// framed page could be clicked through), no caching by proxies, and a CSP
// that allows the one inline style block by its hash and forms posting
// back to this API only.
var securityHeaders = func() map[string]string {
	sum := sha256.Sum256([]byte(css))
	return map[string]string{
		"Content-Type":  "text/html; charset=utf-8",
		"Cache-Control": "no-store",
		"Content-Security-Policy": "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
			"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"Referrer-Policy":        "no-referrer",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"X-Robots-Tag":           "noindex, nofollow",
	}
}()

// page is what one page shows.
type page struct {
	Title  string
	Notice string
	Lines  []string
	// Form is "", "unsubscribe", "confirm" or "preferences".
	Form   string
	Button string
	Topics []preference.TopicState
	// LinkURL, when set, is a signed link to another page (preferences).
	LinkURL, LinkText string
}

// render writes the page. Every value goes through html.EscapeString
// (text and quoted attributes alike); the one URL attribute also takes only
// an http(s) URL. Built by hand rather than with html/template: linking
// html/template (and the reflection it calls by name) turns off the
// linker's dead-code removal, +5 MB and a slower cold start for a page
// this small.
func (p page) render(status int) httpapi.Response {
	esc := html.EscapeString
	var b strings.Builder
	b.WriteString(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>`)
	b.WriteString(esc(p.Title))
	b.WriteString("</title>\n<style>")
	b.WriteString(css)
	b.WriteString("</style>\n</head>\n<body>\n<main>\n<h1>")
	b.WriteString(esc(p.Title))
	b.WriteString("</h1>\n")
	if p.Notice != "" {
		b.WriteString(`<p class="notice" role="status">` + esc(p.Notice) + "</p>\n")
	}
	for _, l := range p.Lines {
		b.WriteString("<p>" + esc(l) + "</p>\n")
	}
	switch p.Form {
	case "unsubscribe":
		b.WriteString(`<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<div class="actions"><button type="submit">` + esc(p.Button) + `</button></div>
</form>
`)
	case "confirm":
		b.WriteString(`<form method="post">
<div class="actions"><button type="submit">` + esc(p.Button) + `</button></div>
</form>
`)
	case "preferences":
		b.WriteString(`<form method="post">
<fieldset>
<legend>Send me email about</legend>
`)
		for _, t := range p.Topics {
			b.WriteString(`<label><input type="checkbox" name="topic" value="` + esc(t.ID) + `"`)
			if t.On {
				b.WriteString(" checked")
			}
			b.WriteString(`><span><span class="topic">` + esc(t.Name) + "</span>")
			if t.Description != "" {
				b.WriteString(`<span class="desc">` + esc(t.Description) + "</span>")
			}
			b.WriteString("</span></label>\n")
		}
		b.WriteString(`</fieldset>
<div class="actions">
<button type="submit" name="action" value="save">Save preferences</button>
<button type="submit" name="action" value="unsubscribe-all" class="secondary">Unsubscribe from all</button>
</div>
</form>
`)
	}
	if p.LinkURL != "" && httpURL(p.LinkURL) {
		b.WriteString(`<p class="muted"><a href="` + esc(p.LinkURL) + `">` + esc(p.LinkText) + "</a></p>\n")
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	return httpapi.Response{StatusCode: status, Headers: maps.Clone(securityHeaders), Body: b.String()}
}

// httpURL is the check html/template made on a URL attribute: nothing but
// http(s) (no javascript:) goes into an href.
func httpURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

// brokenLink is the answer to any link that does not verify: one page for
// every reason, so the answer tells a forger nothing.
func brokenLink() httpapi.Response {
	return page{
		Title: "This link doesn't work",
		Lines: []string{"The link may have been cut short or changed. Try clicking it again in the email, or copy the whole link into your browser."},
	}.render(http.StatusBadRequest)
}

// refusedLink answers a signed click link whose destination is not one the
// sender links to. It names no destination: the page must not become a
// trampoline to it either.
func refusedLink() httpapi.Response {
	return page{
		Title: "This link can't be opened",
		Lines: []string{"It leads to a site this sender's emails don't link to, so we stopped here to keep you safe. If you expected it to work, reply to the email and let the sender know."},
	}.render(http.StatusForbidden)
}

func unavailable() httpapi.Response {
	return page{
		Title: "This link isn't working right now",
		Lines: []string{"Please try again in a minute."},
	}.render(http.StatusServiceUnavailable)
}
