package engagement

import (
	"testing"
	"time"
)

var sent = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

const (
	chrome  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36"
	gmail   = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
	outlook = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)"
)

func TestClassify(t *testing.T) {
	later := sent.Add(2 * time.Hour)
	tests := []struct {
		name string
		f    Fetch
		want Verdict
	}{
		{"a person in a browser", Fetch{Kind: Click, UserAgent: chrome, IP: "198.51.100.23", At: later, SentAt: sent}, Verdict{}},
		{"a person in Outlook", Fetch{Kind: Open, UserAgent: outlook, IP: "198.51.100.23", At: later, SentAt: sent}, Verdict{}},
		{"send time unknown", Fetch{Kind: Open, UserAgent: chrome, IP: "198.51.100.23", At: later}, Verdict{}},
		{"Gmail's proxy opens when the reader does", Fetch{Kind: Open, UserAgent: gmail, IP: "66.249.84.101", At: later, SentAt: sent},
			Verdict{Proxy: "gmail"}},
		{"Gmail's proxy at delivery is a prefetch", Fetch{Kind: Open, UserAgent: gmail, IP: "66.249.84.101", At: sent.Add(3 * time.Second), SentAt: sent},
			Verdict{Machine: true, Reason: "too-soon-after-send", Proxy: "gmail"}},
		{"Apple privacy proxy by address", Fetch{Kind: Open, UserAgent: chrome, IP: "17.58.101.4", At: later, SentAt: sent},
			Verdict{Machine: true, Reason: "apple-privacy-proxy", Proxy: "apple"}},
		{"Apple privacy proxy by address, IPv4-mapped", Fetch{Kind: Open, UserAgent: chrome, IP: "::ffff:17.58.101.4", At: later},
			Verdict{Machine: true, Reason: "apple-privacy-proxy", Proxy: "apple"}},
		{"Apple privacy proxy by its bare user agent", Fetch{Kind: Open, UserAgent: "Mozilla/5.0", IP: "203.0.113.9", At: later},
			Verdict{Machine: true, Reason: "apple-privacy-proxy", Proxy: "apple"}},
		{"no user agent", Fetch{Kind: Click, IP: "198.51.100.23", At: later}, Verdict{Machine: true, Reason: "no-user-agent"}},
		{"scanner user agent", Fetch{Kind: Click, UserAgent: "Mozilla/5.0 (compatible; Barracuda Sentinel)", At: later},
			Verdict{Machine: true, Reason: "scanner-user-agent"}},
		{"headless browser", Fetch{Kind: Click, UserAgent: "Mozilla/5.0 HeadlessChrome/120.0", At: later},
			Verdict{Machine: true, Reason: "scanner-user-agent"}},
		{"HTTP library", Fetch{Kind: Click, UserAgent: "python-requests/2.31", At: later}, Verdict{Machine: true, Reason: "scanner-user-agent"}},
		{"a browser-like scanner following every link at delivery", Fetch{Kind: Click, UserAgent: chrome, IP: "40.94.1.1", At: sent.Add(4 * time.Second), SentAt: sent},
			Verdict{Machine: true, Reason: "too-soon-after-send"}},
		{"just past the window", Fetch{Kind: Click, UserAgent: chrome, IP: "198.51.100.23", At: sent.Add(PrefetchWindow), SentAt: sent}, Verdict{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.f); got != tc.want {
				t.Errorf("Classify = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestEventIDs(t *testing.T) {
	tg := Target{ContactID: "c_1", SendID: "c-abc"}
	human, machine := Verdict{}, Verdict{Machine: true, Reason: "apple-privacy-proxy"}
	a := Opened(tg, human, sent)
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"a re-open of the same send is the same event", a.MessageID, Opened(tg, human, sent.Add(time.Hour)).MessageID, true},
		{"a machine open is apart from the person's", a.MessageID, Opened(tg, machine, sent).MessageID, false},
		{"another send is another open", a.MessageID, Opened(Target{ContactID: "c_1", SendID: "c-def"}, human, sent).MessageID, false},
		{"the same link twice is one click", Clicked(tg, "https://x.io/a", human, sent).MessageID, Clicked(tg, "https://x.io/a", human, sent.Add(time.Minute)).MessageID, true},
		{"another link is another click", Clicked(tg, "https://x.io/a", human, sent).MessageID, Clicked(tg, "https://x.io/b", human, sent).MessageID, false},
		{"unsubscribe twice is one event", Unsubscribed(tg, "", "one-click", sent).MessageID, Unsubscribed(tg, "", "one-click", sent.Add(time.Hour)).MessageID, true},
		{"a topic unsubscribe is apart", Unsubscribed(tg, "", "one-click", sent).MessageID, Unsubscribed(tg, "events", "one-click", sent).MessageID, false},
		{"preferences on another version are apart", PreferencesUpdated(tg, nil, []string{"events"}, 3, sent).MessageID, PreferencesUpdated(tg, nil, []string{"events"}, 4, sent).MessageID, false},
	}
	for _, tc := range tests {
		if (tc.a == tc.b) != tc.same {
			t.Errorf("%s: %s vs %s", tc.name, tc.a, tc.b)
		}
	}
}

func TestEventShape(t *testing.T) {
	tg := Target{ContactID: "c_1", SendID: "c-abc", Campaign: "spring"}
	m := Clicked(tg, "https://x.io/pricing", Verdict{Machine: true, Reason: "scanner-user-agent"}, sent)
	if m.Type != "track" || m.Event != "Email Link Clicked" || m.ContactID != "c_1" || !m.Timestamp.Equal(sent) {
		t.Errorf("%+v", m)
	}
	p := m.Properties
	if p["send_id"] != "c-abc" || p["url"] != "https://x.io/pricing" || p["machine"] != true || p["machine_reason"] != "scanner-user-agent" || p["campaign_id"] != "spring" {
		t.Errorf("properties %v", p)
	}
	if o := Opened(Target{ContactID: "c_1"}, Verdict{}, sent); o.Properties["machine"] != false || o.Properties["send_id"] != nil {
		t.Errorf("open without a send: %v", o.Properties)
	}
	if pu := PreferencesUpdated(tg, nil, nil, 1, sent); pu.Properties["topics_on"] == nil {
		t.Error("empty topic lists encode as []")
	}
}
