package enrich

import "testing"

func TestParseUserAgent(t *testing.T) {
	tests := []struct {
		ua   string
		want Device
	}{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36", Device{"desktop", "Windows", "Chrome"}},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1", Device{"mobile", "iOS", "Safari"}},
		{"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1", Device{"tablet", "iOS", "Safari"}},
		{"Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/130.0 Safari/537.36", Device{"tablet", "Android", "Chrome"}},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36", Device{"mobile", "Android", "Chrome"}},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0; rv:131.0) Gecko/20100101 Firefox/131.0", Device{"desktop", "macOS", "Firefox"}},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36 Edg/130.0", Device{"desktop", "Windows", "Edge"}},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", Device{"bot", "", ""}},
	}
	for _, tc := range tests {
		if got := ParseUserAgent(tc.ua); got == nil || *got != tc.want {
			t.Errorf("ParseUserAgent(%q) = %+v, want %+v", tc.ua, got, tc.want)
		}
	}
	if ParseUserAgent("") != nil {
		t.Error("empty user agent must give no device")
	}
}

func TestCompanyFromEmail(t *testing.T) {
	tests := []struct {
		email string
		want  *Company
	}{
		{"ada@acme.io", &Company{"acme.io", "corporate"}},
		{"bob@gmail.com", &Company{"gmail.com", "freemail"}},
		{"x@proton.me", &Company{"proton.me", "freemail"}},
		{"nope", nil},
	}
	for _, tc := range tests {
		got := CompanyFromEmail(tc.email)
		if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("CompanyFromEmail(%q) = %+v, want %+v", tc.email, got, tc.want)
		}
	}
}
