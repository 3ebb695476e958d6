package template

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const footer = `<p>{{ sender.address }}<br><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>`

// validMarketing is the smallest template that passes every rule.
func validMarketing() Template {
	return Template{
		ID: "welcome", Name: "Welcome", Kind: KindMarketing, Topic: "newsletter",
		From:    Address{Name: "Leadflow", Address: "hello@example.com"},
		ReplyTo: []string{"support@example.com"},
		Subject: "Hi {{ traits.first_name | default: 'there' }}",
		HTML:    "<html><body><p>Hello</p>" + footer + "</body></html>",
	}
}

// textTemplate puts src in the text part of a transactional template, so
// tests of the language see neither HTML rules nor marketing rules.
func textTemplate(src string) Template {
	return Template{ID: "t", Name: "T", Kind: KindTransactional, From: Address{Address: "a@example.com"},
		Subject: "S", HTML: "<p>x</p>", Text: src}
}

func htmlTemplate(src string) Template {
	t := textTemplate("")
	t.HTML = src
	return t
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Template)
		want   []string // substrings of problems, all of which must appear
	}{
		{"valid marketing", func(*Template) {}, nil},
		{"valid transactional", func(t *Template) { t.Kind, t.Topic, t.HTML = KindTransactional, "", "<p>Confirm</p>" }, nil},
		{"id pattern", func(t *Template) { t.ID = "Welcome Mail" }, []string{"id:", "lower-case"}},
		{"empty id", func(t *Template) { t.ID = "" }, []string{"id:"}},
		{"name required", func(t *Template) { t.Name = "  " }, []string{"name: is required"}},
		{"kind", func(t *Template) { t.Kind = "newsletter" }, []string{`kind: "newsletter" must be`}},
		{"marketing needs a topic", func(t *Template) { t.Topic = "" }, []string{"topic: a marketing template needs a topic"}},
		{"topic pattern", func(t *Template) { t.Topic = "News Letter" }, []string{"topic:"}},
		{"transactional has no topic", func(t *Template) { t.Kind = KindTransactional }, []string{"transactional templates have no topic"}},
		{"from address required", func(t *Template) { t.From.Address = "" }, []string{"from.address"}},
		{"from address with a display name", func(t *Template) { t.From.Address = "Leadflow <hello@example.com>" }, []string{"from.address"}},
		{"from address without a domain dot", func(t *Template) { t.From.Address = "hello@localhost" }, []string{"from.address"}},
		{"from address header injection", func(t *Template) { t.From.Address = "a@example.com\r\nBcc: x@y.com" }, []string{"from.address"}},
		{"from name on one line", func(t *Template) { t.From.Name = "Lead\nflow" }, []string{"from.name"}},
		{"reply-to must be addresses", func(t *Template) { t.ReplyTo = []string{"ok@example.com", "nope"} }, []string{"reply_to[1]"}},
		{"too many reply-to", func(t *Template) { t.ReplyTo = strings.Split("a@x.io,b@x.io,c@x.io,d@x.io,e@x.io,f@x.io", ",") }, []string{"reply_to: at most 5"}},
		{"subject required", func(t *Template) { t.Subject = "" }, []string{"subject: is required"}},
		{"subject length", func(t *Template) { t.Subject = strings.Repeat("é", MaxSubjectChars+1) }, []string{"subject: is required (at most 255"}},
		{"subject at the limit", func(t *Template) { t.Subject = strings.Repeat("é", MaxSubjectChars) }, nil},
		{"subject one line", func(t *Template) { t.Subject = "Hi\nthere" }, []string{"subject: must be one line"}},
		{"preheader length", func(t *Template) { t.Preheader = strings.Repeat("x", MaxPreheaderChars+1) }, []string{"preheader: at most"}},
		{"html required", func(t *Template) { t.HTML = " " }, []string{"html: is required"}},
		{"html size", func(t *Template) { t.HTML = footer + strings.Repeat("x", MaxBodyBytes) }, []string{"html: is 262", "at most 262144"}},
		{"html at the size limit", func(t *Template) { t.HTML = footer + strings.Repeat("x", MaxBodyBytes-len(footer)) }, nil},
		{"text size", func(t *Template) { t.Text = strings.Repeat("x", MaxBodyBytes+1) }, []string{"text: is 262145 bytes"}},
		{"invalid utf-8", func(t *Template) { t.HTML = footer + "\xff" }, []string{"html: is not valid UTF-8"}},
		{"marketing needs an unsubscribe link", func(t *Template) { t.HTML = "<p>{{ sender.address }}</p>" }, []string{"must have an unsubscribe link"}},
		{"unsubscribe url as text is not a link", func(t *Template) { t.HTML = "<p>{{ sender.address }} {{ unsubscribe_url }}</p>" }, []string{"must have an unsubscribe link"}},
		{"unsubscribe link inside a condition", func(t *Template) {
			t.HTML = `<p>{{ sender.address }}{% if traits.x %}<a href="{{ unsubscribe_url }}">u</a>{% endif %}</p>`
		}, []string{"must have an unsubscribe link outside any {% if %}"}},
		{"unsubscribe link through a filter", func(t *Template) {
			t.HTML = `<p>{{ sender.address }}<a href="{{ unsubscribe_url | truncate: 10 }}">u</a></p>`
		}, []string{"must have an unsubscribe link"}},
		{"marketing needs the postal address", func(t *Template) { t.HTML = `<a href="{{ unsubscribe_url }}">u</a>` }, []string{"sender's postal address"}},
		{"postal address in an attribute does not count", func(t *Template) {
			t.HTML = `<a href="{{ unsubscribe_url }}" title="{{ sender.address }}">u</a>`
		}, []string{"sender's postal address"}},
		{"postal address inside a condition", func(t *Template) {
			t.HTML = `<a href="{{ unsubscribe_url }}">u</a>{% unless traits.x %}{{ sender.address }}{% endunless %}`
		}, []string{"sender's postal address"}},
		{"marketing text part needs both", func(t *Template) { t.Text = "Hello" }, []string{"text: a marketing template's text part must have the unsubscribe link", "text part must show the sender's postal address"}},
		{"marketing text part with both", func(t *Template) { t.Text = "Bye: {{ unsubscribe_url }}\n{{ sender.address }}" }, nil},
		{"transactional needs neither", func(t *Template) { t.Kind, t.Topic, t.HTML, t.Text = KindTransactional, "", "<p>x</p>", "x" }, nil},
		{"every problem at once", func(t *Template) { t.ID, t.Kind, t.Subject, t.HTML = "", "x", "", "{{ nope }}" }, []string{"id:", "kind:", "subject:", "unknown field nope"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl := validMarketing()
			tc.change(&tpl)
			err := tpl.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			var ve *Error
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error is not an *Error with problems: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestProblemsAreCapped(t *testing.T) {
	err := htmlTemplate(strings.Repeat("{{ nope }}", 500)).Validate()
	var ve *Error
	if !errors.As(err, &ve) || len(ve.Problems) != maxProblems {
		t.Fatalf("got %v", err)
	}
}

// TestSyntaxErrors checks that each mistake is reported at the right
// line:column with a message that says what to do.
func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		msg       string
	}{
		{"unclosed output", "Hi {{ traits.first_name", 1, 4, "{{ is not closed with }}"},
		{"unclosed tag", "a\n  {% if traits.x", 2, 3, "{% is not closed with %}"},
		{"output closed as a tag", "{{ contact.email %}", 1, 18, "{{ is closed with %}; expected }}"},
		{"tag closed as an output", "{% if contact.email }}", 1, 21, "{% is closed with }}; expected %}"},
		{"opener inside an output", "{{ contact.email {{ x }}", 1, 1, "{{ is not closed with }} before the next {{"},
		{"unterminated string", `{{ traits.a | default: "there }}`, 1, 24, "unterminated string"},
		{"empty output", "x {{ }}", 1, 3, "empty {{ }}"},
		{"two values", "{{ contact.email contact.id }}", 1, 18, `unexpected "contact" in {{ }}`},
		{"filter name missing", "{{ contact.email | }}", 1, 20, "expected a filter name"},
		{"dot without a name", "{{ contact. }}", 1, 13, "expected a name after '.'"},
		{"single equals", "{% if contact.status = 'x' %}{% endif %}", 1, 22, "use == to compare"},
		{"bang", "{% if !contact.status %}{% endif %}", 1, 7, "use != to compare, or {% unless %}"},
		{"stray character", "{{ contact.email @ }}", 1, 18, `unexpected character '@'`},
		{"if without condition", "{% if %}x{% endif %}", 1, 4, "{% if %} needs a condition"},
		{"comparison without right side", "{% if contact.status == %}x{% endif %}", 1, 25, "expected a field, string or number, found end of tag"},
		{"filters in conditions", "{% if contact.status | upcase %}x{% endif %}", 1, 22, "filters are not allowed in conditions"},
		{"junk after condition", "{% if contact.status 'x' %}x{% endif %}", 1, 22, "unexpected string"},
		{"unclosed if points at the if", "a\nb {% if contact.email %}\nc", 2, 3, "block is not closed: expected {% endif %}"},
		{"unclosed unless", "{% unless contact.email %}x", 1, 1, "expected {% endunless %}"},
		{"endif closes unless", "{% unless contact.email %}x{% endif %}", 1, 28, "unexpected {% endif %}"},
		{"stray endif", "x\n\n    {% endif %}", 3, 5, "unexpected {% endif %}: no open block"},
		{"stray else", "{% else %}", 1, 1, "unexpected {% else %}"},
		{"words after endif", "{% if contact.email %}x{% endif now %}", 1, 33, `unexpected "now" in {% endif %}`},
		{"words after else", "{% if contact.email %}x{% else if %}y{% endif %}", 1, 32, `unexpected "if" in {% else %}`},
		{"unknown tag", "{% for t in contact.tags %}", 1, 4, `unknown tag "for"`},
		{"tag without a name", "{% 'x' %}", 1, 1, "a tag needs a name"},
		{"unclosed raw", "{% raw %}{{ x }}", 1, 1, "block is not closed with {% endraw %}"},
		{"unclosed comment", "a {% comment %} b", 1, 3, "block is not closed with {% endcomment %}"},
		{"column counts characters", "Grüße, {{ x", 1, 8, "{{ is not closed"},
		{"nested too deep", strings.Repeat("{% if contact.email %}", maxDepth+1), 1, 1 + 22*maxDepth, "nested more than 32 deep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Compile(textTemplate(tc.src))
			var ve *Error
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want an *Error", err)
			}
			p := ve.Problems[0]
			if p.Field != "text" || p.Line != tc.line || p.Column != tc.col || !strings.Contains(p.Message, tc.msg) {
				t.Fatalf("got %s, want text %d:%d: …%s…", p, tc.line, tc.col, tc.msg)
			}
		})
	}
}

// TestFieldAndFilterErrors checks the save-time checks that do not stop
// parsing: every unknown field and filter is reported in one answer.
func TestFieldAndFilterErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "line:col message-part"
	}{
		{"unknown root suggests traits", "{{ first_name }}", []string{"1:4: unknown field first_name (did you mean traits.first_name?)"}},
		{"unknown contact field", "{{ contact.name }}", []string{"1:4: unknown field contact.name (contact has email, first_seen, id, status, tags; other contact data is in traits, e.g. traits.name)"}},
		{"unknown company field", "{{ company.size }}", []string{"company has domain, email_type"}},
		{"unknown nested root", "{{ user.name }}", []string{"1:4: unknown field user.name (fields start with"}},
		{"traits needs a key", "{% if traits %}x{% endif %}", []string{"1:7: traits needs a name"}},
		{"unknown field in a condition", "{% if contact.plan == 'pro' %}x{% endif %}", []string{"1:7: unknown field contact.plan"}},
		{"unknown field in a filter argument", "{{ traits.a | default: contact.nickname }}", []string{"1:24: unknown field contact.nickname"}},
		{"unknown filter", "{{ contact.email | escape }}", []string{`1:20: unknown filter "escape"`}},
		{"default needs a value", "{{ traits.a | default }}", []string{"1:15: default takes one value"}},
		{"upcase takes nothing", "{{ traits.a | upcase: 1 }}", []string{"upcase takes no arguments"}},
		{"truncate needs a length", "{{ traits.a | truncate }}", []string{"truncate takes a length"}},
		{"truncate length is a number", `{{ traits.a | truncate: "10" }}`, []string{"whole number from 1 to 10000"}},
		{"truncate length is whole", "{{ traits.a | truncate: 2.5 }}", []string{"whole number"}},
		{"truncate length from a field", "{{ traits.a | truncate: traits.n }}", []string{"whole number"}},
		{"truncate ending is a string", "{{ traits.a | truncate: 5, 3 }}", []string{"ending must be a string"}},
		{"date needs a layout", "{{ contact.first_seen | date }}", []string{"date takes a layout"}},
		{"strftime layouts are explained", `{{ contact.first_seen | date: "%Y-%m-%d" }}`, []string{"Go layouts"}},
		{"layout without a date", `{{ contact.first_seen | date: "hello" }}`, []string{`date layout "hello" has no date`}},
		{"subject cannot read itself", "", nil},
		{"several at once", "{{ a.b }}\n{{ contact.x | nope }}", []string{"1:4: unknown field a.b", "2:4: unknown field contact.x", `2:16: unknown filter "nope"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.src == "" {
				tpl := textTemplate("x")
				tpl.Subject = "Re: {{ message.subject }}"
				if err := tpl.Validate(); err == nil || !strings.Contains(err.Error(), "the subject cannot use message.subject") {
					t.Fatalf("got %v", err)
				}
				return
			}
			_, _, err := Compile(textTemplate(tc.src))
			var ve *Error
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want an *Error", err)
			}
			if len(ve.Problems) != len(tc.want) {
				t.Errorf("got %d problems %v, want %d", len(ve.Problems), ve.Problems, len(tc.want))
			}
			for _, w := range tc.want {
				found := false
				for _, p := range ve.Problems {
					found = found || strings.Contains(p.String(), w)
				}
				if !found {
					t.Errorf("no problem like %q in %v", w, ve.Problems)
				}
			}
		})
	}
}

func TestKnownFieldsCompile(t *testing.T) {
	for path := range fields {
		if path == "message.subject" {
			continue
		}
		tpl := textTemplate("{{ " + path + " }}")
		tpl.Subject = "{{ " + path + " }}"
		if err := tpl.Validate(); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	for _, p := range []string{"traits.first_name", "traits.address.city", "traits.firstName", "traits.utm-source"} {
		if err := textTemplate("{{ " + p + " | default: '' }}").Validate(); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // positions and paths of warnings
	}{
		{"trait without default", "Hi {{ traits.first_name }}", []string{"1:7: traits.first_name has no default"}},
		{"trait with default", "Hi {{ traits.first_name | default: 'there' }}", nil},
		{"default after another filter", "Hi {{ traits.first_name | upcase | default: 'there' }}", nil},
		{"guarded by if", "{% if traits.company %}at {{ traits.company }}{% endif %}", nil},
		{"guarded by a comparison", "{% if traits.plan == 'pro' %}{{ traits.plan }}{% endif %}", nil},
		{"guarded by != empty", "{% if traits.plan != '' %}{{ traits.plan }}{% endif %}", nil},
		{"guarded by and", "{% if traits.a and traits.b %}{{ traits.a }}{{ traits.b }}{% endif %}", nil},
		{"or guards only what both sides guard", "{% if traits.a or traits.b %}{{ traits.a }}{% endif %}", []string{"1:33: traits.a"}},
		{"else is not guarded", "{% if traits.a %}{% else %}{{ traits.a }}{% endif %}", []string{"1:31: traits.a"}},
		{"unless is not a guard", "{% unless traits.a %}{{ traits.a }}{% endunless %}", []string{"traits.a"}},
		{"guard ends with its block", "{% if traits.a %}{% endif %}{{ traits.a }}", []string{"1:32: traits.a"}},
		{"other fields never warn", "{{ contact.email }} {{ location.city }}", nil},
		{"conditions never warn", "{% if traits.vip %}VIP{% endif %}", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, warns, err := Compile(textTemplate(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if len(warns) != len(tc.want) {
				t.Fatalf("got %v, want %v", warns, tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(warns[i].String(), w) || warns[i].Field != "text" {
					t.Errorf("warning %q, want %q", warns[i], w)
				}
			}
		})
	}
	// Big HTML gets clipped by Gmail.
	if _, warns, _ := Compile(htmlTemplate("<p>" + strings.Repeat("x", 100<<10) + "</p>")); len(warns) != 1 || !strings.Contains(warns[0].String(), "Gmail clips") {
		t.Fatalf("got %v", warns)
	}
	// Warnings come back with errors too, for the editor.
	_, warns, err := Compile(textTemplate("{{ traits.a }} {{ nope }}"))
	if err == nil || len(warns) != 1 {
		t.Fatalf("got %v, %v", warns, err)
	}
}

// TestLinkHosts lists the hosts a template's links are written with, the
// hosts its click links may redirect to.
func TestLinkHosts(t *testing.T) {
	src := `<a href="https://Shop.Example./p/{{ traits.path }}">a</a>
<a href='http://user@docs.example:8080'>b</a>
<a href="{% if traits.a %}https://a.example{% else %}https://b.example/x{% endif %}">c</a>
<a href="{{ "https://lit.example/" }}{{ contact.id }}">d</a>
<a href="mailto:x@mail.example">e</a><a href="/relative">f</a><img src="https://img.example/x.png">
<a href="https://bad%2eexample/">g</a><a href="{{ unsubscribe_url }}">u</a>`
	c, _, err := Compile(htmlTemplate(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.example", "b.example", "docs.example", "lit.example", "shop.example"}
	if got := c.LinkHosts(); !slices.Equal(got, want) {
		t.Errorf("LinkHosts %q, want %q", got, want)
	}
	if !c.LinksTo("shop.example") || c.LinksTo("img.example") || c.LinksTo("evil.example") {
		t.Error("LinksTo disagrees with LinkHosts")
	}
}

// TestHTMLContextErrors checks the places where no escaping makes data
// safe, which are refused when the template is saved.
func TestHTMLContextErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // "" means it compiles
	}{
		{"text", "<p>{{ traits.a }}</p>", ""},
		{"quoted attribute", `<img alt="{{ traits.a }}" title='{{ traits.b }}'>`, ""},
		{"url attribute", `<a href="{{ unsubscribe_url }}">x</a>`, ""},
		{"comment", "<!-- {{ contact.id }} -->", ""},
		{"title", "<title>{{ message.subject }}</title>", ""},
		{"after a script closes", "<script>var a = 1;</script><p>{{ contact.id }}</p>", ""},
		{"branches that agree", `<a href="{% if traits.a %}https://x.example/{{ traits.a }}{% else %}https://x.example{% endif %}">x</a>`, ""},
		{"attribute added in a branch", `<a {% if traits.a %}title="x"{% endif %} href="https://x.example">x</a>`, ""},
		{"in a tag's markup", "<div {{ traits.a }}>", "1:6: a field cannot write markup"},
		{"as a tag name", "<{{ traits.a }}>hello", "1:2: a field cannot write markup: it would name a tag"},
		{"as a closing tag name", "</{{ traits.a }}>", "1:3: a field cannot write markup: it would name a tag"},
		{"a '<' in text before a field", "<p>1 < {{ traits.a }}</p>", ""},
		{"link address from contact data", `<a href="{{ traits.website }}">site</a>`, "1:10: a link's address cannot come from contact data (traits.website)"},
		{"link address from a filtered trait", `<a href="{{ traits.website | default: "https://x.example" }}">site</a>`, "1:10: a link's address cannot come from contact data"},
		{"link with a fixed host", `<a href="https://x.example/p?ref={{ traits.website }}">site</a>`, ""},
		{"image from contact data", `<img src="{{ traits.avatar }}">`, ""},
		{"link address from a default", `<a href="{{ "" | default: traits.website }}">site</a>`, "1:10: a link's address cannot come from contact data"},
		{"an empty Leadflow link defaulting to contact data", `<a href="{{ view_in_browser_url | default: traits.website }}">site</a>`, "1:10: a link's address cannot come from contact data"},
		{"a field right after the host", `<a href="https://x.example{{ traits.path }}">x</a>`, "1:27: a field in a link's address must come after its scheme and host"},
		{"a field as the host", `<a href="https://{{ traits.host }}/p">x</a>`, "1:18: a field in a link's address must come after its scheme and host"},
		{"a field after a scheme-relative host", `<a href="//x.example/{{ traits.path }}">x</a>`, "1:22: a field in a link's address must come after its scheme and host"},
		{"a field after a bare scheme", `<a href="https:{{ traits.path }}">x</a>`, "1:16: a field in a link's address must come after its scheme and host"},
		{"a field after a relative path", `<a href="/p/{{ traits.path }}">x</a>`, "1:13: a field in a link's address must come after its scheme and host"},
		{"a field after a fixed host", `<a href="https://x.example/{{ traits.path }}">x</a>`, ""},
		{"a field after a host with a port", `<a href="https://x.example:8443?p={{ traits.path }}">x</a>`, ""},
		{"a field after a literal host", `<a href="{{ "https://x.example/" }}{{ traits.path }}">x</a>`, ""},
		{"a field after a Leadflow link", `<a href="{{ preferences_url }}&from={{ contact.id }}">x</a>`, ""},
		{"a mailto link", `<a href="mailto:{{ contact.email }}">x</a>`, ""},
		{"a field after a host only some branches end", `<a href="{% if traits.a %}https://x.example/{% else %}https://x.example{% endif %}{{ traits.path }}">x</a>`, "1:83: a field in a link's address must come after"},
		{"a field after a host every branch ends", `<a href="{% if traits.a %}https://x.example/a/{% else %}https://y.example/{% endif %}{{ traits.path }}">x</a>`, ""},
		{"as a tag name after letters", "<b{{ traits.a }}>", "1:3: a field cannot write markup"},
		{"as an attribute name", `<div class="x" {{ traits.a }}="y">`, "1:16: a field cannot write markup"},
		{"unquoted attribute", "<a href={{ unsubscribe_url }}>x</a>", `1:9: an attribute value with a field must be in quotes: href="{{ … }}"`},
		{"unquoted after text", "<a title=x{{ traits.a }}>x</a>", "1:11: an attribute value with a field must be in quotes"},
		{"event handler", `<a onclick="track('{{ contact.id }}')">x</a>`, "1:20: a field cannot be used in an event handler attribute (onclick)"},
		{"style attribute", `<p style="color: {{ traits.color }}">x</p>`, "1:18: a field cannot be used inside a style attribute"},
		{"script", "<script>var id = '{{ contact.id }}';</script>", "1:19: a field cannot be used inside <script>"},
		{"style element", "<STYLE>.a{color:{{ traits.c }}}</STYLE>", "1:17: a field cannot be used inside <style>"},
		{"doctype", "<!DOCTYPE {{ traits.a }}>", "1:11: a field cannot write markup"},
		{"branches that disagree", "{% if traits.a %}<b{% endif %}>x", "1:1: the branches of this block leave the HTML in different states"},
		{"quote opened in a branch", `<a href="x{% if traits.a %}"{% endif %}>`, "1:11: the branches of this block"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := htmlTemplate(tc.src).Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "html "+tc.want) {
				t.Fatalf("got %v, want html %s", err, tc.want)
			}
		})
	}
}

// TestHostileSourcesAreAnswered feeds the admin API's worst case, 256 KB
// shaped to hit every loop: each is either compiled and rendered or refused
// with a short error. How long they take is BenchmarkHostileSources's
// business, not a timed assertion here.
func TestHostileSourcesAreAnswered(t *testing.T) {
	for name, src := range hostileSources() {
		t.Run(name, func(t *testing.T) {
			c, _, err := Compile(htmlTemplate(src))
			if err != nil {
				if msg := err.Error(); msg == "" || len(msg) > 16<<10 {
					t.Fatalf("error of %d bytes: a save must answer with a readable list", len(msg))
				}
				return
			}
			if _, err := c.Render(Sample()); err != nil {
				t.Fatalf("compiled but cannot render: %v", err)
			}
		})
	}
}
