package template

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// FuzzCompile feeds arbitrary source to the compiler. Compile must never
// panic, must answer with an *Error when it refuses, and a template it
// accepts must render without error, on the sample contact and on a hostile
// one, with a one-line subject.
//
//	go test ./shared/template/ -run '^$' -fuzz FuzzCompile -fuzztime 60s
func FuzzCompile(f *testing.F) {
	seeds := []string{
		"",
		"Hello",
		`<p>Hi {{ traits.first_name | default: "there" | capitalize }}</p>`,
		`{% if traits.plan == "pro" and contact.tags contains "vip" %}A{% elsif traits.n > 3 or traits.x %}B{% else %}C{% endif %}`,
		`{% unless traits.a %}{{ traits.a | truncate: 5, "…" }}{% endunless %}`,
		`<a href="{{ unsubscribe_url }}">u</a>{{ sender.address }}`,
		`<a href="https://x.example/?e={{ contact.email }}">x</a><img alt='{{ traits.x }}'>`,
		`{{ contact.first_seen | date: "Jan 2, 2006" }} {{ "now" | date: "2006" }}`,
		`{%- raw -%}{{ x }}{%- endraw -%}{% comment %}{{{% endcomment %}`,
		`<!--[if mso]><v:rect href="{{ traits.u }}"></v:rect><![endif]--><script>x</script>`,
		`{{ traits.a`, `{% if %}`, `{% endif %}`, `{{ a b }}`, `{{ "x }}`, `<div {{ traits.a }}>`, `<{{ traits.first_name }}>hello`, `</{{ traits.a }}>`,
		`<a href="{{ traits.website }}">x</a>`,
		`<a href="https://x.example{{ traits.path }}">x</a><a href="https://{{ traits.host }}/">y</a>`,
		`<a href="{% if traits.a %}https://x.example/{% else %}https://x.example{% endif %}{{ traits.path }}">x</a>`,
		`<a href="{{ "https://x.example" }}{{ traits.path }}">x</a><a href="{{ "" | default: traits.website }}">y</a>`,
		`<a href="{{ view_in_browser_url | default: traits.website }}">x</a><a href="{{ confirm_url | default: traits.u }}">y</a>`,
		strings.Repeat("{% if traits.a %}", 40),
	}
	for _, s := range seeds {
		f.Add(s, "Hi {{ traits.first_name | default: 'there' }}")
	}
	hostile := Sample()
	hostile.Traits = map[string]any{}
	for _, k := range []string{"a", "b", "x", "u", "n", "first_name", "plan", "name"} {
		hostile.Traits[k] = "\"'><script>alert(1)</script>\r\nBcc: x@evil.example"
	}
	hostile.Contact.Timezone = "Not/AZone"
	// Markup made of names no template writes: if one appears as a tag or an
	// attribute in the rendered HTML, contact data wrote markup.
	injecting := []Data{Sample(), Sample()}
	injecting[0].Traits, injecting[1].Traits = map[string]any{}, map[string]any{}
	for _, k := range []string{"a", "b", "x", "u", "n", "first_name", "plan", "name", "website"} {
		injecting[0].Traits[k] = `"'><leadflowxss onleadflowxss=1>`
		injecting[1].Traits[k] = "leadflowxss onleadflowxss=1 "
	}

	// Values that would move a link to another host if a field could write
	// any part of it: no rendered link may lead to leadflowevil.
	redirecting := make([]Data, 0, 6)
	for _, v := range []string{"@leadflowevil.example", ".leadflowevil.example", "@leadflowevil.example/", "//leadflowevil.example", "https://leadflowevil.example/"} {
		d := Sample()
		d.Traits = map[string]any{}
		for _, k := range []string{"a", "b", "x", "u", "n", "path", "host", "website"} {
			d.Traits[k] = v
		}
		d.Contact.Email, d.Contact.ID, d.Company.Domain = v, v, v
		// As in the messages the pipeline sends: no view-in-browser page,
		// and a confirmation link only in double opt-in mail.
		d.Links.ViewInBrowser, d.Links.Confirm = "", ""
		redirecting = append(redirecting, d)
	}

	f.Fuzz(func(t *testing.T, body, subject string) {
		// The tokenizer-based helpers take any HTML.
		PlainText(body)
		RewriteLinks(body, func(u string) string { return u + "#t" })
		InsertOpenPixel(body, "https://t.example/o")

		for _, tpl := range []Template{htmlTemplate(body), textTemplate(body)} {
			tpl.Subject = subject
			tpl.Preheader = body
			c, _, err := Compile(tpl)
			if err != nil {
				var ve *Error
				if !errors.As(err, &ve) || len(ve.Problems) == 0 || !errors.Is(err, ErrInvalid) {
					t.Fatalf("refusal is not an *Error with problems: %v", err)
				}
				for _, p := range ve.Problems {
					if p.Field == "" || p.Message == "" || p.Line < 0 || p.Column < 0 {
						t.Fatalf("incomplete problem %+v", p)
					}
				}
				continue
			}
			for _, d := range []Data{Sample(), hostile, {}} {
				r, err := c.Render(d)
				if err != nil {
					t.Fatalf("accepted template failed to render: %v", err)
				}
				if strings.ContainsAny(r.Subject, "\r\n") || strings.ContainsAny(r.Preheader, "\r\n") {
					t.Fatalf("multi-line subject %q / preheader %q", r.Subject, r.Preheader)
				}
			}
			if tpl.HTML != "" && !strings.Contains(strings.ToLower(body), "leadflowevil") {
				for _, d := range redirecting {
					r, err := c.Render(d)
					if err != nil {
						t.Fatalf("accepted template failed to render: %v", err)
					}
					RewriteLinks(r.HTML, func(link string) string {
						if u, err := url.Parse(link); err == nil && strings.Contains(strings.ToLower(u.Host), "leadflowevil") {
							t.Fatalf("contact data chose a link's host: %q in %q", link, r.HTML)
						}
						return link
					})
				}
			}
			if tpl.HTML == "" || strings.Contains(strings.ToLower(body), "leadflowxss") {
				continue
			}
			for _, d := range injecting {
				r, err := c.Render(d)
				if err != nil {
					t.Fatalf("accepted template failed to render: %v", err)
				}
				walkHTML(r.HTML, func(tk *htmlTok) bool {
					if tk.typ == htStart && tk.name == "leadflowxss" {
						t.Fatalf("contact data opened a tag: %q", r.HTML)
					}
					for _, a := range tk.attrs {
						if a.name == "onleadflowxss" {
							t.Fatalf("contact data wrote an attribute: %q", r.HTML)
						}
					}
					return true
				})
			}
		}
	})
}
