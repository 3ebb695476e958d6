package enrich

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParseUserAgent: any user agent gets a device from the fixed
// vocabulary (nil only for none), ASCII letter case never changes it, and
// a crawler's marker always makes it a bot.
//
//	go test ./shared/enrich/ -run '^$' -fuzz FuzzParseUserAgent -fuzztime 20s
func FuzzParseUserAgent(f *testing.F) {
	for _, ua := range []string{
		"",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0",
		"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"curl/8.5.0", "Go-http-client/2.0", "\xff\xfe\x00", "İSTANBUL ıos ipad", "K",
	} {
		f.Add(ua)
	}
	types := []string{"desktop", "mobile", "tablet", "bot"}
	oses := []string{"", "iOS", "Android", "Windows", "ChromeOS", "macOS", "Linux"}
	browsers := []string{"", "Edge", "Opera", "Firefox", "Chrome", "Safari"}
	f.Fuzz(func(t *testing.T, ua string) {
		d := ParseUserAgent(ua)
		if (d == nil) != (ua == "") {
			t.Fatalf("ParseUserAgent(%q) = %v: nil must mean no user agent", ua, d)
		}
		if d == nil {
			return
		}
		if !slices.Contains(types, d.Type) || !slices.Contains(oses, d.OS) || !slices.Contains(browsers, d.Browser) {
			t.Fatalf("ParseUserAgent(%q) = %+v: outside the vocabulary", ua, *d)
		}
		if other := ParseUserAgent(swapASCIICase(ua)); *other != *d {
			t.Fatalf("letter case changed the device: %+v vs %+v", *d, *other)
		}
		if bot := ParseUserAgent(ua + " Bot/1.0"); bot.Type != "bot" {
			t.Fatalf("a crawler is a %s: %q", bot.Type, ua+" Bot/1.0")
		}
	})
}

func swapASCIICase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 32
		case r >= 'A' && r <= 'Z':
			return r + 32
		}
		return r
	}, s)
}
