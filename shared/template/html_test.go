package template

import (
	"strings"
	"testing"
)

func TestPlainText(t *testing.T) {
	tests := []struct {
		name, html, want string
	}{
		{"plain", "Hello", "Hello"},
		{"head, style and script dropped", `<html><head><title>T</title><style>p{x:y}</style></head><body><script>alert(1)</script><p>Body</p></body></html>`, "Body"},
		{"whitespace collapsed", "<p>  Hello \n\t  world  </p>", "Hello world"},
		{"paragraphs get a blank line", "<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"headings", "<h1>Title</h1>Text", "Title\n\nText"},
		{"br is a line break", "One<br>Two<br/>Three", "One\nTwo\nThree"},
		{"two br are a blank line", "One<br><br><br>Two", "One\n\nTwo"},
		{"divs and rows are lines", "<div>One</div><div>Two</div><table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "One\nTwo\n\na b\nc"},
		{"list items", "<p>Steps:</p><ul><li>One</li><li>Two</li></ul><p>Done</p>", "Steps:\n\n- One\n- Two\n\nDone"},
		{"link with text", `Read <a href="https://x.example/guide">the guide</a>.`, "Read the guide (https://x.example/guide)."},
		{"link whose text is its URL", `<a href="https://x.example/">x.example</a>`, "x.example"},
		{"link whose text is the full URL", `<a href="https://x.example/a">https://x.example/a</a>`, "https://x.example/a"},
		{"link without text", `<a href="https://x.example/a"></a>`, "https://x.example/a"},
		{"image link uses alt", `<a href="https://x.example/"><img src="logo.png" alt="Leadflow"></a>`, "Leadflow (https://x.example/)"},
		{"images outside links are dropped", `<img src="spacer.gif" alt="spacer">Hi`, "Hi"},
		{"mailto", `<a href="mailto:help@x.example">Write to us</a>`, "Write to us (help@x.example)"},
		{"mailto showing the address", `<a href="mailto:help@x.example">help@x.example</a>`, "help@x.example"},
		{"tel", `<a href="tel:+4930123">Call</a>`, "Call (+4930123)"},
		{"anchor", `<a href="#top">Top</a>`, "Top"},
		{"other schemes", `<a href="javascript:x()">Click</a>`, "Click"},
		{"entities decoded", "Tom &amp; Jerry &lt;3 &eacute;t&eacute; &#8364;5 &quot;q&quot;", `Tom & Jerry <3 été €5 "q"`},
		{"nbsp is a space, zero-width is nothing", "a&nbsp;b&zwnj;c&#847;d\u200be", "a bcde"},
		{"hidden elements dropped", `<div style="display: none; max-height:0">Preview <div>nested</div> text</div><p>Body</p>`, "Body"},
		{"hidden attribute", `<p hidden>secret</p><p>Body</p>`, "Body"},
		{"outlook conditionals dropped", `<!--[if mso]><a href="https://x.example">VML</a><![endif]--><p>Body</p>`, "Body"},
		{"comments dropped", "a<!-- note -->b", "ab"},
		{"stray angle bracket", "1 < 2 and 3 > 2", "1 < 2 and 3 > 2"},
		{"long lines wrap at 76", "<p>" + strings.Repeat("word ", 20) + "</p>",
			strings.TrimSpace(strings.Repeat("word ", 15)) + "\n" + strings.TrimSpace(strings.Repeat("word ", 5))},
		{"long urls are not cut", `<p>See <a href="https://x.example/` + strings.Repeat("a", 90) + `">this</a> now</p>`,
			"See this\n(https://x.example/" + strings.Repeat("a", 90) + ")\nnow"},
		{"list items wrap indented", "<ul><li>" + strings.Repeat("item ", 20) + "</li></ul>",
			"- " + strings.TrimSpace(strings.Repeat("item ", 15)) + "\n  " + strings.TrimSpace(strings.Repeat("item ", 5))},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlainText(tc.html); got != tc.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestRewriteLinks(t *testing.T) {
	track := func(u string) string { return "https://t.example/c?u=" + u }
	tests := []struct {
		name, html, want string
	}{
		{"http and https", `<a href="https://a.example/x">a</a><a href="http://b.example">b</a>`,
			`<a href="https://t.example/c?u=https://a.example/x">a</a><a href="https://t.example/c?u=http://b.example">b</a>`},
		{"entities decoded for rewrite, escaped back", `<a href="https://a.example/?x=1&amp;y=2">a</a>`,
			`<a href="https://t.example/c?u=https://a.example/?x=1&amp;y=2">a</a>`},
		{"other attributes kept", `<a class="btn" href='https://a.example' style="color:red">a</a>`,
			`<a class="btn" href='https://t.example/c?u=https://a.example' style="color:red">a</a>`},
		{"unquoted href", `<a href=https://a.example>a</a>`, `<a href="https://t.example/c?u=https://a.example">a</a>`},
		{"upper case", `<A HREF="HTTPS://A.EXAMPLE">a</A>`, `<A HREF="https://t.example/c?u=HTTPS://A.EXAMPLE">a</A>`},
		{"mailto left alone", `<a href="mailto:a@b.example">m</a>`, `<a href="mailto:a@b.example">m</a>`},
		{"tel left alone", `<a href="tel:+1555">t</a>`, `<a href="tel:+1555">t</a>`},
		{"anchor left alone", `<a href="#top">t</a>`, `<a href="#top">t</a>`},
		{"relative left alone", `<a href="/x">t</a>`, `<a href="/x">t</a>`},
		{"no href", `<a name="x">t</a>`, `<a name="x">t</a>`},
		{"notrack left alone", `<a data-leadflow-notrack href="https://a.example">t</a>`, `<a data-leadflow-notrack href="https://a.example">t</a>`},
		{"not a link", `<img src="https://a.example/i.png"><link href="https://a.example/s.css">`, `<img src="https://a.example/i.png"><link href="https://a.example/s.css">`},
		{"links in text are not links", `see https://a.example`, `see https://a.example`},
		{"link inside a comment", `<!-- <a href="https://a.example">x</a> -->`, `<!-- <a href="https://a.example">x</a> -->`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RewriteLinks(tc.html, track); got != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	// A rewrite that declines (returns the URL) changes nothing.
	in := `<a href="https://a.example">a</a>`
	if got := RewriteLinks(in, func(u string) string { return u }); got != in {
		t.Fatalf("got %s", got)
	}
}

func TestRenderedRewriteLinksSkipsSystemLinks(t *testing.T) {
	tpl := validMarketing()
	tpl.HTML = `<body><a href="https://shop.example/">Shop</a><a href="{{ view_in_browser_url }}">View</a>` +
		`<a href="{{ preferences_url }}">Prefs</a><a href="mailto:{{ contact.email }}">Me</a>` + footer + `</body>`
	c, _, err := Compile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	d := Sample()
	r, _ := c.Render(d)
	var seen []string
	out := r.RewriteLinks(func(u string) string {
		seen = append(seen, u)
		return "https://t.example/c"
	})
	if strings.Join(seen, " ") != "https://shop.example/ "+d.Links.ViewInBrowser {
		t.Fatalf("tracked %v", seen)
	}
	for _, u := range []string{d.Links.Unsubscribe, d.Links.Preferences} {
		if !strings.Contains(out, `href="`+u+`"`) {
			t.Errorf("%s was rewritten:\n%s", u, out)
		}
	}
}

func TestInsertOpenPixel(t *testing.T) {
	const px = `<img src="https://t.example/o?s=1&amp;sig=x" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;margin:0;padding:0">`
	tests := []struct {
		name, html, want string
	}{
		{"before body end", `<html><body><p>x</p></body></html>`, `<html><body><p>x</p>` + px + `</body></html>`},
		{"case-insensitive", `<BODY>x</BODY >`, `<BODY>x` + px + `</BODY >`},
		{"last body end", `<body>x<!-- </body> --></body>`, `<body>x<!-- </body> -->` + px + `</body>`},
		{"no body: at the end", `<p>x</p>`, `<p>x</p>` + px},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := InsertOpenPixel(tc.html, "https://t.example/o?s=1&sig=x"); got != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestTokenizerForgives checks malformed HTML does not lose text or hang.
func TestTokenizerForgives(t *testing.T) {
	for _, s := range []string{"<", "<a", `<a href="x`, "<!--", "<!doctype", "</", "</a", "<script>x", "<a href=>", "<<>>", "<a =x>"} {
		end := 0
		walkHTML(s, func(tk *htmlTok) bool {
			if tk.start != end || tk.end < tk.start || tk.end > len(s) {
				t.Fatalf("%q: token %+v after %d", s, tk, end)
			}
			end = tk.end
			return true
		})
		if end != len(s) {
			t.Fatalf("%q: tokens cover %d of %d bytes", s, end, len(s))
		}
	}
}
