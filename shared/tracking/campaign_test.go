package tracking

import "testing"

// CampaignFromURL skips parsing URLs that cannot carry a utm_ key; the
// ones that can, escaped ones included, must still be read.
func TestCampaignFromURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want *Campaign
	}{
		{"", nil},
		{"https://acme.test/pricing", nil},
		{"https://acme.test/?q=1&ref=x", nil},
		{"https://acme.test/?utm_source=news&utm_medium=email", &Campaign{Source: "news", Medium: "email"}},
		{"https://acme.test/?%75tm_source=news", &Campaign{Source: "news"}},
		{"https://acme.test/?utm%5Fcampaign=spring", &Campaign{Name: "spring"}},
		{"https://acme.test/?x=%zz&utm_term=a+b", &Campaign{Term: "a b"}},
		{"https://acme.test/#utm_source=fragment", nil},
	} {
		got := CampaignFromURL(tc.url)
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("CampaignFromURL(%q) = %+v; want %+v", tc.url, got, tc.want)
		}
	}
}

// FuzzHasMarkup checks the shortcut in hasMarkup never answers otherwise
// than the markup regexp.
//
//	go test ./shared/tracking/ -run '^$' -fuzz FuzzHasMarkup -fuzztime 30s
func FuzzHasMarkup(f *testing.F) {
	for _, s := range []string{"", "Ada Lovelace", "a@b.c", "<b>x</b>", "< script", "JavaScript:alert(1)",
		"javaſcript:x", "JAVASCRIPT :", "1 < 2", "jj", "é<", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hasMarkup(s), markup.MatchString(s); got != want {
			t.Fatalf("hasMarkup(%q) = %v; the regexp says %v", s, got, want)
		}
	})
}
