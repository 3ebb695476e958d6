package interest

import (
	"slices"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/shared/tracking"
)

func page(url, category string) tracking.Message {
	return tracking.Message{Type: tracking.TypePage, Category: category, Context: tracking.Context{Page: &tracking.Page{URL: url}}}
}

func TestMatch(t *testing.T) {
	rs := Rules{Rules: []Rule{
		{Interest: "product-a", PathPrefix: "/products/a"},
		{Interest: "product-b", PathPrefix: "/products/b"},
		{Interest: "docs", PathGlob: "/docs/*/intro"},
		{Interest: "shop", Host: "shop.example.com", PathPrefix: "/"},
		{Interest: "webinar", Event: "Webinar Attended"},
		{Interest: "guides", Category: "Guides"},
	}}
	tests := []struct {
		name string
		msg  tracking.Message
		want []string
	}{
		{"product A pages show interest in A only", page("https://x.io/products/a/pricing", ""), []string{"product-a"}},
		{"product B", page("https://x.io/products/b", ""), []string{"product-b"}},
		{"glob", page("https://x.io/docs/api/intro", ""), []string{"docs"}},
		{"glob does not cross segments", page("https://x.io/docs/api/v2/intro", ""), nil},
		{"host-specific rule", page("https://shop.example.com/cart", ""), []string{"shop"}},
		{"category", page("https://x.io/g", "Guides"), []string{"guides"}},
		{"event", tracking.Message{Type: tracking.TypeTrack, Event: "webinar attended"}, []string{"webinar"}},
		{"a track call does not match page rules", tracking.Message{Type: tracking.TypeTrack, Event: "x", Context: tracking.Context{Page: &tracking.Page{URL: "https://x.io/products/a"}}}, nil},
		{"no page", tracking.Message{Type: tracking.TypePage}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rs.Match(tc.msg); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		rs   Rules
		want string
	}{
		{"ok", Rules{Rules: []Rule{{Interest: "a", PathPrefix: "/a"}}}, ""},
		{"bad name", Rules{Rules: []Rule{{Interest: "Product A", PathPrefix: "/a"}}}, "interest"},
		{"no condition", Rules{Rules: []Rule{{Interest: "a"}}}, "at least one"},
		{"relative prefix", Rules{Rules: []Rule{{Interest: "a", PathPrefix: "a"}}}, "start with /"},
		{"bad glob", Rules{Rules: []Rule{{Interest: "a", PathGlob: "/[a"}}}, "path_glob"},
	}
	for _, tc := range tests {
		err := tc.rs.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tc.name, err, tc.want)
		}
	}
}
