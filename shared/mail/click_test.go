package mail

import (
	"context"
	"errors"
	"testing"

	"github.com/leadflow/leadflow/shared/template"
	"github.com/leadflow/leadflow/shared/token"
)

type sendRecords map[string]SendState

func (s sendRecords) GetSend(_ context.Context, id string) (SendState, error) {
	if r, ok := s[id]; ok {
		return r, nil
	}
	if id == "s-broken" {
		return SendState{}, errors.New("store down")
	}
	return SendState{}, ErrSendNotFound
}

// memTemplates compiles on each read, as the definition cache's reader
// does: a stored template that no longer compiles is an ErrInvalid error.
type memTemplates map[string]template.Template

func (m memTemplates) Compiled(_ context.Context, id string) (*template.Compiled, error) {
	t, ok := m[id]
	if !ok {
		return nil, ErrTemplateNotFound
	}
	c, _, err := template.Compile(t)
	return c, err
}

func linkTemplate(id, html string) template.Template {
	return template.Template{ID: id, Name: id, Kind: template.KindTransactional, From: template.Address{Address: "a@example.com"}, Subject: "s", HTML: html}
}

func TestClickGuard(t *testing.T) {
	settings := testSettings()
	settings.LinkHosts = []string{"docs.example.net", "*.example.org"}
	// "legacy" was stored through the API before the compiler refused
	// addresses from contact data: it no longer compiles.
	templates := memTemplates{
		"legacy": linkTemplate("legacy", `<a href="{{ traits.website }}">x</a>`),
		"promo":  linkTemplate("promo", `<a href="https://shop.example/p/{{ traits.path }}">x</a>`),
	}
	g := ClickGuard{
		OwnHost:   "api.example.com",
		Settings:  settings,
		Templates: templates,
		Sends:     sendRecords{"s-promo": {Record: Record{TemplateID: "promo"}}, "s-legacy": {Record: Record{TemplateID: "legacy"}}},
	}
	tests := []struct {
		name string
		tok  token.Token
		want string // "" = refused
		err  bool   // a failure, not a refusal
	}{
		{"the template's host", token.Token{TemplateID: "promo", URL: "https://shop.example/p/x"}, "https://shop.example/p/x", false},
		{"the template's host in another case", token.Token{TemplateID: "promo", URL: "https://SHOP.example./p/x"}, "https://SHOP.example./p/x", false},
		{"another host from the template's link", token.Token{TemplateID: "promo", URL: "https://evil.example/"}, "", false},
		{"userinfo that hides the host", token.Token{TemplateID: "promo", URL: "https://shop.example@evil.example/"}, "", false},
		{"a backslash in the host", token.Token{TemplateID: "promo", URL: `https://evil.example\.shop.example/`}, "", false},
		{"a link_hosts host", token.Token{URL: "https://docs.example.net/a"}, "https://docs.example.net/a", false},
		{"a wildcard link_hosts host", token.Token{URL: "http://a.b.example.org/"}, "http://a.b.example.org/", false},
		{"the wildcard's own domain", token.Token{URL: "https://example.org/"}, "", false},
		{"Leadflow's own host", token.Token{URL: "https://api.example.com/v1/preferences/x"}, "https://api.example.com/v1/preferences/x", false},
		{"an older link: the template from the send", token.Token{SendID: "s-promo", URL: "https://shop.example/"}, "https://shop.example/", false},
		{"an older link from a template that no longer compiles", token.Token{SendID: "s-legacy", URL: "https://evil.example/"}, "", false},
		{"an older link past the send records", token.Token{SendID: "s-gone", URL: "https://shop.example/"}, "", false},
		{"a deleted template", token.Token{TemplateID: "gone", URL: "https://shop.example/"}, "", false},
		{"no template at all", token.Token{URL: "https://shop.example/"}, "", false},
		{"javascript:", token.Token{URL: "javascript:alert(1)"}, "", false},
		{"relative", token.Token{TemplateID: "promo", URL: "//shop.example/"}, "", false},
		{"the send store is down", token.Token{SendID: "s-broken", URL: "https://shop.example/"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := g.Destination(context.Background(), tc.tok)
			switch {
			case tc.err:
				if err == nil || errors.Is(err, ErrClickRefused) {
					t.Fatalf("want a failure, got %q %v", got, err)
				}
			case tc.want == "":
				if !errors.Is(err, ErrClickRefused) || got != "" {
					t.Fatalf("want a refusal, got %q %v", got, err)
				}
			default:
				if err != nil || got != tc.want {
					t.Fatalf("got %q %v, want %q", got, err, tc.want)
				}
			}
		})
	}
}
