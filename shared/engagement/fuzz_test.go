package engagement

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzClassify: whatever a fetch carries (user agent and address come from
// whoever fetches), the verdict is one of the documented ones and the rules
// hold: no user agent, Apple's network and a fetch within the prefetch
// window are always machines; a machine always says why; letter case never
// matters.
//
//	go test ./shared/engagement/ -run '^$' -fuzz FuzzClassify -fuzztime 20s
func FuzzClassify(f *testing.F) {
	for _, s := range []struct {
		ua, ip string
		after  int64
	}{
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)", "198.51.100.7", 3600},
		{"Mozilla/5.0", "17.58.1.2", 3600},
		{"Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", "66.249.84.1", 5},
		{"YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html", "2001:4998::1", 600},
		{"Mozilla/5.0 (compatible; Barracuda Sentinel)", "::ffff:17.0.0.1", 1},
		{"", "", -1},
		{"  \t", "not an ip", 0},
		{"python-requests/2.31", "10.0.0.1", 86400},
	} {
		f.Add(s.ua, s.ip, s.after)
	}
	sent := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	reasons := []string{"no-user-agent", "scanner-user-agent", "apple-privacy-proxy", "too-soon-after-send"}
	f.Fuzz(func(t *testing.T, ua, ip string, after int64) {
		at := sent.Add(time.Duration(after%(1<<32)) * time.Millisecond)
		fetch := Fetch{Kind: Click, UserAgent: ua, IP: ip, At: at, SentAt: sent}
		v := Classify(fetch)
		if v.Machine != (v.Reason != "") || (v.Machine && !slices.Contains(reasons, v.Reason)) {
			t.Fatalf("verdict %+v: a machine must say why, with a known reason", v)
		}
		if !slices.Contains([]string{"", "gmail", "yahoo", "apple"}, v.Proxy) {
			t.Fatalf("unknown proxy %q", v.Proxy)
		}
		if strings.TrimSpace(ua) == "" && v.Reason != "no-user-agent" {
			t.Fatalf("no user agent classified %+v", v)
		}
		if a, err := netip.ParseAddr(strings.TrimSpace(ip)); err == nil && netip.MustParsePrefix("17.0.0.0/8").Contains(a.Unmap()) && !v.Machine {
			t.Fatalf("a fetch from Apple's network counted as a person: %+v", v)
		}
		if at.Sub(sent) < PrefetchWindow && !v.Machine {
			t.Fatalf("a fetch %s after sending counted as a person", at.Sub(sent))
		}
		if Classify(Fetch{Kind: Click, UserAgent: swapASCIICase(ua), IP: ip, At: at, SentAt: sent}) != v {
			t.Fatalf("letter case changed the verdict for %q", ua)
		}
		// Without a send time, only the fetch itself can make a machine.
		fetch.SentAt = time.Time{}
		if u := Classify(fetch); u.Reason == "too-soon-after-send" || (v.Reason != "too-soon-after-send" && u != v) {
			t.Fatalf("without a send time: %+v, with: %+v", u, v)
		}
	})
}

func swapASCIICase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 32
		case c >= 'A' && c <= 'Z':
			b[i] = c + 32
		}
	}
	return string(b)
}
