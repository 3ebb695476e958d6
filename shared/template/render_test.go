package template

import (
	"encoding/json"
	"html"
	"strings"
	"testing"
	"time"
)

// renderText compiles src as a text part and renders it.
func renderText(t *testing.T, src string, d Data) string {
	t.Helper()
	c, _, err := Compile(textTemplate(src))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	return r.Text
}

func withTraits(traits map[string]any) Data {
	d := Sample()
	d.Traits = traits
	return d
}

func TestFilters(t *testing.T) {
	seen := time.Date(2025, 3, 14, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		name   string
		src    string
		traits map[string]any
		want   string
	}{
		{"default when missing", `{{ traits.first_name | default: "there" }}`, nil, "there"},
		{"default when empty", `{{ traits.first_name | default: "there" }}`, map[string]any{"first_name": ""}, "there"},
		{"default when blank", `{{ traits.first_name | default: "there" }}`, map[string]any{"first_name": "  "}, "there"},
		{"default when null", `{{ traits.first_name | default: "there" }}`, map[string]any{"first_name": nil}, "there"},
		{"default when false", `{{ traits.vip | default: "no" }}`, map[string]any{"vip": false}, "no"},
		{"default keeps a value", `{{ traits.first_name | default: "there" }}`, map[string]any{"first_name": "Ada"}, "Ada"},
		{"default keeps zero", `{{ traits.score | default: "none" }}`, map[string]any{"score": 0.0}, "0"},
		{"default from another field", `{{ traits.nickname | default: traits.first_name }}`, map[string]any{"first_name": "Ada"}, "Ada"},
		{"default number", `{{ traits.seats | default: 1 }}`, nil, "1"},
		{"upcase", `{{ traits.a | upcase }}`, map[string]any{"a": "école"}, "ÉCOLE"},
		{"downcase", `{{ traits.a | downcase }}`, map[string]any{"a": "ÉCOLE"}, "école"},
		{"capitalize first letter only", `{{ traits.a | capitalize }}`, map[string]any{"a": "mcDonald"}, "McDonald"},
		{"capitalize unicode", `{{ traits.a | capitalize }}`, map[string]any{"a": "élodie"}, "Élodie"},
		{"capitalize empty", `[{{ traits.a | capitalize }}]`, nil, "[]"},
		{"upcase a number", `{{ traits.a | upcase }}`, map[string]any{"a": 12.5}, "12.5"},
		{"truncate short text", `{{ traits.a | truncate: 10 }}`, map[string]any{"a": "short"}, "short"},
		{"truncate exact", `{{ traits.a | truncate: 5 }}`, map[string]any{"a": "exact"}, "exact"},
		{"truncate long text", `{{ traits.a | truncate: 10 }}`, map[string]any{"a": "Northwind Analytics"}, "Northwi..."},
		{"truncate trims the space before the ending", `{{ traits.a | truncate: 13 }}`, map[string]any{"a": "Northwind Analytics"}, "Northwind..."},
		{"truncate custom ending", `{{ traits.a | truncate: 6, "…" }}`, map[string]any{"a": "Grüße aus Berlin"}, "Grüße…"},
		{"truncate shorter than ending", `{{ traits.a | truncate: 2 }}`, map[string]any{"a": "abcdef"}, ".."},
		{"truncate missing", `[{{ traits.a | truncate: 2 }}]`, nil, "[]"},
		{"date of a time, in the contact's zone", `{{ contact.first_seen | date: "2006-01-02 15:04 MST" }}`, nil, "2025-03-15 00:30 CET"},
		{"date of RFC 3339 text", `{{ traits.d | date: "Jan 2, 2006" }}`, map[string]any{"d": "2024-12-24T18:00:00Z"}, "Dec 24, 2024"},
		{"date of a day", `{{ traits.d | date: "02/01/2006" }}`, map[string]any{"d": "2024-12-24"}, "24/12/2024"},
		{"date of unix seconds", `{{ traits.d | date: "2006-01-02" }}`, map[string]any{"d": 1.7e9}, "2023-11-14"},
		{"date of unix milliseconds", `{{ traits.d | date: "2006-01-02" }}`, map[string]any{"d": 1.7e12}, "2023-11-14"},
		{"date of now", `© {{ "now" | date: "2006" }}`, nil, "© 2025"},
		{"date of junk passes it through", `{{ traits.d | date: "2006" }}`, map[string]any{"d": "soon"}, "soon"},
		{"date of missing", `[{{ traits.d | date: "2006" }}]`, nil, "[]"},
		{"date then default", `{{ traits.d | date: "2006" | default: "never" }}`, nil, "never"},
		{"chain in order", `{{ traits.a | default: "there" | upcase | truncate: 4, "" }}`, nil, "THER"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := withTraits(tc.traits)
			d.Contact.FirstSeen = seen
			if got := renderText(t, tc.src, d); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	tests := []struct {
		cond   string
		traits map[string]any
		want   bool
	}{
		{`traits.plan == "pro"`, map[string]any{"plan": "pro"}, true},
		{`traits.plan == "pro"`, map[string]any{"plan": "Pro"}, false},
		{`traits.plan != "pro"`, nil, true},
		{`traits.plan == ""`, nil, true},
		{`traits.plan == nil`, nil, true},
		{`traits.seats == 12`, map[string]any{"seats": 12.0}, true},
		{`traits.seats == 12`, map[string]any{"seats": "12"}, true},
		{`traits.seats == "12.0"`, map[string]any{"seats": json.Number("12")}, true},
		{`traits.seats > 10`, map[string]any{"seats": 12.0}, true},
		{`traits.seats > 10`, map[string]any{"seats": "9"}, false},
		{`traits.seats > 10`, nil, false},
		{`traits.seats < 10`, nil, false},
		{`traits.seats >= 12`, map[string]any{"seats": 12}, true},
		{`traits.seats <= 11`, map[string]any{"seats": int64(12)}, false},
		{`traits.seats > "abc"`, map[string]any{"seats": 12.0}, false},
		{`traits.tier > "b"`, map[string]any{"tier": "c"}, true},
		{`contact.first_seen > "2025-01-01"`, nil, true},
		{`contact.first_seen < "2025-01-01"`, nil, false},
		{`contact.first_seen == "2025-03-14T09:26:53Z"`, nil, true},
		{`traits.vip == true`, map[string]any{"vip": true}, true},
		{`traits.vip == true`, map[string]any{"vip": "true"}, true},
		{`traits.vip == false`, nil, false},
		{`traits.vip`, map[string]any{"vip": false}, false},
		{`traits.vip`, map[string]any{"vip": true}, true},
		{`traits.name`, map[string]any{"name": " "}, false},
		{`traits.score`, map[string]any{"score": 0.0}, true},
		{`traits.list`, map[string]any{"list": []any{}}, false},
		{`traits.list`, map[string]any{"list": []any{"a"}}, true},
		{`traits.missing`, nil, false},
		{`traits.address.city == "Berlin"`, map[string]any{"address": map[string]any{"city": "Berlin"}}, true},
		{`traits.address.city == "Berlin"`, map[string]any{"address": "Berlin"}, false},
		{`contact.tags contains "webinar-2025"`, nil, true},
		{`contact.tags contains "webinar"`, nil, false},
		{`contact.email contains "@northwind"`, nil, true},
		{`traits.list contains 2`, map[string]any{"list": []any{1.0, 2.0}}, true},
		{`traits.obj contains "k"`, map[string]any{"obj": map[string]any{"k": 1}}, true},
		{`traits.missing contains "x"`, nil, false},
		{`company.email_type == "corporate" and traits.plan == "trial"`, map[string]any{"plan": "trial"}, true},
		{`company.email_type == "freemail" or traits.plan == "trial"`, map[string]any{"plan": "trial"}, true},
		// and binds tighter than or: true or (false and false).
		{`true or false and false`, nil, true},
		{`false and true or true`, nil, true},
		{`false or false`, nil, false},
		{`location.country == "DE" and contact.status == "subscribed"`, nil, true},
		{`campaign.id`, nil, true},
		{`unsubscribe_url contains "https://"`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			got := renderText(t, "{% if "+tc.cond+" %}yes{% else %}no{% endif %}", withTraits(tc.traits))
			if got != map[bool]string{true: "yes", false: "no"}[tc.want] {
				t.Fatalf("got %s, want %v", got, tc.want)
			}
		})
	}
}

func TestBlocks(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		traits map[string]any
		want   string
	}{
		{"if", `{% if traits.a %}A{% endif %}.`, map[string]any{"a": 1}, "A."},
		{"if false", `{% if traits.a %}A{% endif %}.`, nil, "."},
		{"elsif chain takes the first match", `{% if traits.n > 10 %}big{% elsif traits.n > 5 %}mid{% elsif traits.n > 1 %}small{% else %}tiny{% endif %}`, map[string]any{"n": 7}, "mid"},
		{"else", `{% if traits.n > 10 %}big{% elsif traits.n > 5 %}mid{% else %}tiny{% endif %}`, nil, "tiny"},
		{"unless", `{% unless traits.vip %}upgrade{% endunless %}`, nil, "upgrade"},
		{"unless true", `{% unless traits.vip %}upgrade{% endunless %}`, map[string]any{"vip": true}, ""},
		{"unless else", `{% unless traits.vip %}upgrade{% else %}thanks{% endunless %}`, map[string]any{"vip": true}, "thanks"},
		{"nested", `{% if traits.a %}a{% if traits.b %}b{% else %}!b{% endif %}{% endif %}`, map[string]any{"a": 1}, "a!b"},
		{"whitespace control", "<{%- if traits.a -%}\n  A\n{%- endif -%}>", map[string]any{"a": 1}, "<A>"},
		{"whitespace control in outputs", "a   {{- traits.a -}}   b", map[string]any{"a": "X"}, "aXb"},
		{"raw keeps delimiters", `{% raw %}{{ not parsed }}{% endraw %}`, nil, "{{ not parsed }}"},
		{"comment drops content", `a{% comment %}{{ broken {% endcomment %}b`, nil, "ab"},
		{"string with delimiters", `{{ traits.x | default: "}} and %}" }}`, nil, "}} and %}"},
		{"single-quoted string", `{{ traits.x | default: 'it "works"' }}`, nil, `it "works"`},
		{"literal output", `{{ "text" | upcase }} {{ 3 }} {{ true }}`, nil, "TEXT 3 true"},
		{"lone braces are text", `a { b } c }} d %} e {`, nil, "a { b } c }} d %} e {"},
		{"multi-line tags", "{% if traits.a\n  and traits.b %}yes{% endif %}", map[string]any{"a": 1, "b": 1}, "yes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := renderText(t, tc.src, withTraits(tc.traits)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFieldValues(t *testing.T) {
	d := Sample()
	d.Traits = map[string]any{
		"s": "text", "f": 1.5, "big": 1e21, "i": 42, "b": true, "list": []any{"a", 2.0, nil, "c"},
		"obj": map[string]any{"k": "v"}, "n": json.Number("7"),
	}
	tests := map[string]string{
		"contact.email": "alex.morgan@northwind.example", "contact.id": "c_sample_0001",
		"contact.first_seen": "2025-03-14", "contact.status": "subscribed",
		"contact.tags": "webinar-2025, pricing-visitor", "company.domain": "northwind.example",
		"company.email_type": "corporate", "location.country": "DE", "location.region": "Berlin",
		"location.city": "Berlin", "sender.name": "Leadflow", "sender.address": d.Sender.Address,
		"unsubscribe_url": d.Links.Unsubscribe, "preferences_url": d.Links.Preferences,
		"view_in_browser_url": d.Links.ViewInBrowser, "confirm_url": d.Links.Confirm,
		"campaign.id": "cmp_sample", "campaign.name": "Sample campaign", "message.subject": "S",
		"traits.s": "text", "traits.f": "1.5", "traits.big": "1000000000000000000000", "traits.i": "42",
		"traits.b": "true", "traits.list": "a, 2, c", "traits.obj": "", "traits.obj.k": "v",
		"traits.n": "7", "traits.s.deeper": "",
	}
	for path, want := range tests {
		if got := renderText(t, "{{ "+path+" }}", d); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
}

// TestRenderNeverFailsOnMissingData renders every field against empty data.
func TestRenderNeverFailsOnMissingData(t *testing.T) {
	var b strings.Builder
	for path := range fields {
		if path != "message.subject" {
			b.WriteString("[{{ " + path + " }}]")
			b.WriteString("{% if " + path + " > 1 or " + path + " contains 'x' %}x{% endif %}")
		}
	}
	b.WriteString(`[{{ traits.a.b.c | date: "2006" | truncate: 3 | upcase }}]`)
	for _, d := range []Data{{}, {Traits: map[string]any{"a": "x"}}} {
		got := renderText(t, b.String(), d)
		if strings.Trim(got, "[]") != "" {
			t.Fatalf("missing data rendered as %q", got)
		}
	}
}

// XSS payloads seen in the wild, as trait values.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`' onmouseover='alert(1)`,
	`javascript:alert(1)`,
	"java\tscript:alert(1)",
	" JAVASCRIPT:alert(1)",
	`data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==`,
	`vbscript:msgbox(1)`,
	`</a><a href="https://evil.example">`,
	`<!-- --><script>x</script>`,
	`&lt;script&gt;`,
	"\x00<script>",
}

func TestHTMLEscaping(t *testing.T) {
	src := `<html><body><p>Hi {{ traits.x }}</p>` +
		`<img src="{{ traits.x }}" title='{{ traits.x }}'>` +
		`<a href="https://shop.example/{{ traits.x }}">b</a>` +
		`<a href="https://shop.example/?ref={{ traits.x }}#{{ traits.x }}">c</a>` +
		`<!-- {{ traits.x }} --><img alt="{{ traits.x | upcase }}" src="https://x.example/i.png">` +
		`<!--[if mso]><v:roundrect href="https://x.example/{{ traits.x }}"></v:roundrect><![endif]-->` +
		`</body></html>`
	c, _, err := Compile(htmlTemplate(src))
	if err != nil {
		t.Fatal(err)
	}
	structure := func(html string) []string {
		var out []string
		walkHTML(html, func(tk *htmlTok) bool {
			switch tk.typ {
			case htStart, htEnd:
				s := tk.name
				for _, a := range tk.attrs {
					s += " " + a.name
				}
				out = append(out, s)
			case htComment:
				out = append(out, "comment")
			case htRaw:
				out = append(out, "raw")
			}
			return true
		})
		return out
	}
	benign, _ := c.Render(withTraits(map[string]any{"x": "hello"}))
	want := structure(benign.HTML)
	for _, payload := range xssPayloads {
		t.Run(payload, func(t *testing.T) {
			r, err := c.Render(withTraits(map[string]any{"x": payload}))
			if err != nil {
				t.Fatal(err)
			}
			if got := structure(r.HTML); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("payload changed the document's structure:\n%v\n%v\n%s", got, want, r.HTML)
			}
			walkHTML(r.HTML, func(tk *htmlTok) bool {
				if a, ok := tk.attr("href"); ok {
					// What a browser would follow: entities decoded, tabs
					// and newlines dropped, leading blanks trimmed.
					u := strings.TrimSpace(strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(html.UnescapeString(a.val)))
					if safeURL(u) != u || strings.Contains(strings.SplitN(u, "/", 2)[0], ":") && !isHTTP(u) {
						t.Errorf("dangerous href %q in\n%s", u, r.HTML)
					}
				}
				return true
			})
			// The text part is plain text: the payload is shown as typed.
			if payload == xssPayloads[0] && !strings.Contains(r.Text, payload) {
				t.Errorf("text part altered the value: %q", r.Text)
			}
		})
	}
}

func TestEscapingByContext(t *testing.T) {
	tests := []struct {
		name, src, value, want string
	}{
		{"text", `<p>{{ traits.x }}</p>`, `Tom & Jerry <3 "quoted" 'single'`, `<p>Tom &amp; Jerry &lt;3 &#34;quoted&#34; &#39;single&#39;</p>`},
		{"attribute", `<img alt="{{ traits.x }}">`, `a"b`, `<img alt="a&#34;b">`},
		{"url start allowed", `<img src="{{ traits.x }}">`, `https://x.example/?a=1&b=2`, `<img src="https://x.example/?a=1&amp;b=2">`},
		{"url start mailto", `<img src="{{ traits.x }}">`, `mailto:a@b.example`, `<img src="mailto:a@b.example">`},
		{"url start relative", `<img src="{{ traits.x }}">`, `/pricing`, `<img src="/pricing">`},
		{"url start blocked", `<img src="{{ traits.x }}">`, `javascript:alert(1)`, `<img src="#blocked-url">`},
		{"url start blocked with tabs", `<img src="{{ traits.x }}">`, "jav\tascript:alert(1)", `<img src="#blocked-url">`},
		{"url start blocked after spaces", `<img src="{{ traits.x }}">`, "  data:text/html,x", `<img src="#blocked-url">`},
		{"url path", `<a href="https://x.example/u/{{ traits.x }}">`, `a b/c?d`, `<a href="https://x.example/u/a%20b%2Fc%3Fd">`},
		{"url query", `<a href="https://x.example/?e={{ contact.email }}&n={{ traits.x }}">`, `Ann & Bob`, `<a href="https://x.example/?e=alex.morgan%40northwind.example&n=Ann+%26+Bob">`},
		{"mailto body", `<a href="mailto:{{ contact.email }}">`, ``, `<a href="mailto:alex.morgan@northwind.example">`},
		{"view in browser", `<a href="{{ view_in_browser_url }}">`, ``, `<a href="https://example.com/v/sample-message">`},
		{"subject in the title", `<title>{{ message.subject }}</title>`, ``, `<title>S</title>`},
		{"raw block is not data", `{% raw %}<b>{{ x }}</b>{% endraw %}`, ``, `<b>{{ x }}</b>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := Compile(htmlTemplate(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			r, _ := c.Render(withTraits(map[string]any{"x": tc.value}))
			if r.HTML != tc.want {
				t.Fatalf("got  %s\nwant %s", r.HTML, tc.want)
			}
		})
	}
}

func TestSubjectAndPreheaderAreOneLine(t *testing.T) {
	tpl := textTemplate("{{ message.subject }}")
	tpl.Subject = "Hi {{ traits.x | default: 'there' }}!"
	tpl.Preheader = "For {{ traits.x }}"
	c, _, err := Compile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ value, subject, preheader string }{
		{"Alex\r\nBcc: victim@example.com", "Hi Alex Bcc: victim@example.com!", "For Alex Bcc: victim@example.com"},
		{"Alex\nX-Evil: 1", "Hi Alex X-Evil: 1!", "For Alex X-Evil: 1"},
		{"A\u2028B\u0085C\tD\x00E", "Hi A B C D E!", "For A B C D E"},
		{"  spaced   out  ", "Hi spaced out !", "For spaced out"},
		{"<b>Tom & Jerry</b>", "Hi <b>Tom & Jerry</b>!", "For <b>Tom & Jerry</b>"},
		{"", "Hi there!", "For"},
	}
	for _, tc := range tests {
		r, err := c.Render(withTraits(map[string]any{"x": tc.value}))
		if err != nil {
			t.Fatal(err)
		}
		if r.Subject != tc.subject || r.Preheader != tc.preheader {
			t.Errorf("%q: subject %q preheader %q, want %q %q", tc.value, r.Subject, r.Preheader, tc.subject, tc.preheader)
		}
		if r.Text != r.Subject {
			t.Errorf("message.subject is %q, want the rendered subject %q", r.Text, r.Subject)
		}
	}
}

func TestPreheader(t *testing.T) {
	tests := []struct {
		name, html, preheader, wantPrefix string
	}{
		{"after body", `<html><body class="x"><p>Hi</p></body></html>`, "Preview & more", `<html><body class="x"><span style="display:none`},
		{"no body: first", `<p>Hi</p>`, "Preview", `<span style="display:none`},
		{"none", `<body><p>Hi</p></body>`, "", `<body><p>Hi</p></body>`},
		{"blank renders none", `<body><p>Hi</p></body>`, "{{ traits.missing }}", `<body><p>Hi</p></body>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl := htmlTemplate(tc.html)
			tpl.Preheader = tc.preheader
			c, _, err := Compile(tpl)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := c.Render(Sample())
			if !strings.HasPrefix(r.HTML, tc.wantPrefix) {
				t.Fatalf("got %s", r.HTML)
			}
			if tc.preheader == "Preview & more" && !strings.Contains(r.HTML, ">Preview &amp; more&#847;") {
				t.Errorf("preheader not escaped: %s", r.HTML)
			}
			if strings.Contains(r.Text, "Preview") {
				t.Errorf("the preheader leaked into the text part: %q", r.Text)
			}
		})
	}
}

func TestGeneratedAndGivenText(t *testing.T) {
	tpl := htmlTemplate(`<body><p>Hi {{ traits.first_name | default: "there" }},</p><p><a href="{{ confirm_url }}">Confirm</a></p></body>`)
	c, _, err := Compile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := c.Render(Sample())
	if want := "Hi Alex,\n\nConfirm (https://example.com/confirm/sample-token)"; r.Text != want {
		t.Fatalf("generated text %q, want %q", r.Text, want)
	}
	tpl.Text = " \n "
	c, _, _ = Compile(tpl)
	if r2, _ := c.Render(Sample()); r2.Text != r.Text {
		t.Fatalf("blank text part was not generated: %q", r2.Text)
	}
	tpl.Text = "Confirm: {{ confirm_url }}"
	c, _, _ = Compile(tpl)
	if r, _ = c.Render(Sample()); r.Text != "Confirm: https://example.com/confirm/sample-token" {
		t.Fatalf("given text %q", r.Text)
	}
}

func TestRenderTooLarge(t *testing.T) {
	c, _, err := Compile(htmlTemplate(strings.Repeat("{{ traits.x }}", 5000)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Render(withTraits(map[string]any{"x": strings.Repeat("x", 2000)})); err != ErrTooLarge {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
}

func TestRenderedSystemLinks(t *testing.T) {
	c, _, err := Compile(validMarketing())
	if err != nil {
		t.Fatal(err)
	}
	d := Sample()
	d.Links.Preferences = d.Links.Unsubscribe // the same URL is listed once
	r, _ := c.Render(d)
	if strings.Join(r.SystemLinks, " ") != d.Links.Unsubscribe+" "+d.Links.Confirm {
		t.Fatalf("got %v", r.SystemLinks)
	}
	if !d.Links.System(d.Links.Confirm) || d.Links.System(d.Links.ViewInBrowser) || (Links{}).System("") {
		t.Fatal("Links.System")
	}
}
