package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/scoring"
)

func TestValidateURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://hooks.example.com/leadflow", true},
		{"https://hooks.example.com:8443/x?token=abc", true},
		{"http://127.0.0.1:9000/hook", true},
		{"http://localhost:9000/hook", true},
		{"http://[::1]:9000/hook", true},
		{"http://hooks.example.com/leadflow", false}, // clear text over a network
		{"http://10.0.0.1/hook", false},
		{"ftp://example.com/x", false},
		{"/relative/path", false},
		{"https://user:pass@example.com/x", false},
		{"https://", false},
		{"::not a url", false},
	}
	for _, tc := range tests {
		if err := ValidateURL(tc.url); (err == nil) != tc.ok {
			t.Errorf("ValidateURL(%q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}

func TestParseURLs(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{" , ,", nil, ""},
		{"https://a.example/x", []string{"https://a.example/x"}, ""},
		{" https://a.example/x , https://b.example/y ", []string{"https://a.example/x", "https://b.example/y"}, ""},
		{"https://a.example/x,https://a.example/x", nil, "listed twice"},
		{"https://a.example/x,http://b.example/secret-token", nil, "must use https"},
	}
	for _, tc := range tests {
		got, err := ParseURLs(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseURLs(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret-token") {
				t.Errorf("error leaks the URL path: %v", err)
			}
			continue
		}
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("ParseURLs(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("https://hooks.example.com/services/T000/B000/XXXXSECRET?x=1"); got != "https://hooks.example.com" {
		t.Errorf("Redact = %q", got)
	}
}

func TestScheduleDelay(t *testing.T) {
	s := DefaultSchedule
	if s.MaxAttempts() != 8 {
		t.Fatalf("default schedule allows %d attempts, want 8", s.MaxAttempts())
	}
	tests := []struct {
		attempt    int
		retryAfter time.Duration
		want       time.Duration
		ok         bool
	}{
		{1, 0, 10 * time.Second, true},
		{2, 0, 30 * time.Second, true},
		{3, 0, 2 * time.Minute, true},
		{4, 0, 5 * time.Minute, true},
		{5, 0, 15 * time.Minute, true},
		{7, 0, 15 * time.Minute, true},
		{8, 0, 0, false}, // the last attempt: dead-letter
		{9, 0, 0, false},
		{0, 0, 0, false},
		{1, time.Minute, time.Minute, true},        // Retry-After lengthens
		{4, time.Second, 5 * time.Minute, true},    // never shortens
		{1, 2 * time.Hour, 15 * time.Minute, true}, // capped by SQS
	}
	for _, tc := range tests {
		got, ok := s.Delay(tc.attempt, tc.retryAfter)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Delay(%d, %s) = %s, %v; want %s, %v", tc.attempt, tc.retryAfter, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseSchedule(t *testing.T) {
	s, err := ParseSchedule("200ms, 1s,15m")
	if err != nil || s.String() != "200ms,1s,15m0s" || s.MaxAttempts() != 4 {
		t.Errorf("ParseSchedule = %v, %v", s, err)
	}
	for _, bad := range []string{"", "10", "0s", "-1s", "16m", "1s,,2s"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", bad)
		}
	}
}

func TestDeliveryRoundTripAndDecodeChecks(t *testing.T) {
	d := Delivery{ID: DeliveryID("q1", 0), URL: "https://a.example/x", Event: "lead.qualified", Body: json.RawMessage(`{"id":"q1","n":1}`), Attempt: 1}
	raw, err := d.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(raw)
	if err != nil || got.ID != "q1/0" || string(got.Body) != `{"id":"q1","n":1}` || got.Attempt != 1 {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	next := got.Next("HTTP 503")
	if next.Attempt != 2 || next.LastError != "HTTP 503" || got.Attempt != 1 {
		t.Errorf("Next: %+v (from %+v)", next, got)
	}
	for name, body := range map[string]string{
		"not json":     `nope`,
		"no id":        `{"url":"https://a.example","event":"e","body":{},"attempt":1}`,
		"no event":     `{"delivery_id":"x","url":"https://a.example","body":{},"attempt":1}`,
		"attempt 0":    `{"delivery_id":"x","url":"https://a.example","event":"e","body":{},"attempt":0}`,
		"no body":      `{"delivery_id":"x","url":"https://a.example","event":"e","attempt":1}`,
		"plain http":   `{"delivery_id":"x","url":"http://a.example","event":"e","body":{},"attempt":1}`,
		"relative url": `{"delivery_id":"x","url":"/x","event":"e","body":{},"attempt":1}`,
	} {
		if _, err := Decode(body); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Decode error %v, want ErrInvalid", name, err)
		}
	}
}

func TestSendSignsAndClassifies(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1795000000, 0)
	var got *http.Request
	var gotBody []byte
	status := 200
	retryAfter := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		if status == http.StatusFound {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
		io.WriteString(w, "receiver says something we must not keep")
	}))
	defer srv.Close()
	s := NewSender(secret, nil, func() time.Time { return now })
	d := Delivery{ID: "q1/0", URL: srv.URL + "/hook", Event: "lead.qualified", Body: json.RawMessage(`{"id":"q1"}`), Attempt: 1}

	r := s.Send(context.Background(), d)
	if r.Outcome != Delivered || r.Status != 200 || r.Reason != "" {
		t.Fatalf("2xx: %+v", r)
	}
	if got.Method != "POST" || got.URL.Path != "/hook" || string(gotBody) != `{"id":"q1"}` {
		t.Errorf("request %s %s body %s", got.Method, got.URL.Path, gotBody)
	}
	for k, want := range map[string]string{
		"Content-Type": "application/json", HeaderEvent: "lead.qualified", HeaderDelivery: "q1/0", "User-Agent": UserAgent,
	} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	sig := got.Header.Get(HeaderSignature)
	if err := scoring.Verify(secret, sig, gotBody, now, 0); err != nil {
		t.Errorf("signature %q does not verify: %v", sig, err)
	}
	if err := scoring.Verify(secret, sig, []byte(`{"id":"q2"}`), now, 0); !errors.Is(err, scoring.ErrSignatureMismatch) {
		t.Errorf("tampered body verified: %v", err)
	}

	tests := []struct {
		status     int
		retryAfter string
		outcome    Outcome
		reason     string
		wait       time.Duration
	}{
		{201, "", Delivered, "", 0},
		{204, "", Delivered, "", 0},
		{410, "", Gone, "HTTP 410", 0},
		{400, "", Failed, "HTTP 400", 0},
		{404, "", Failed, "HTTP 404", 0},
		{429, "120", Failed, "HTTP 429", 2 * time.Minute},
		{500, "", Failed, "HTTP 500", 0},
		{503, "soon", Failed, "HTTP 503", 0},
		{302, "", Failed, "HTTP 302", 0}, // redirects are not followed
	}
	for _, tc := range tests {
		status, retryAfter = tc.status, tc.retryAfter
		r := s.Send(context.Background(), d)
		if r.Outcome != tc.outcome || r.Status != tc.status || r.Reason != tc.reason || r.RetryAfter != tc.wait {
			t.Errorf("status %d: %+v", tc.status, r)
		}
	}
}

func TestSendTimeoutAndNetworkErrorsHideTheURL(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	client := &http.Client{Timeout: 100 * time.Millisecond}
	s := NewSender([]byte("k"), client, nil)
	d := Delivery{ID: "q1/0", URL: srv.URL + "/secret-path", Event: "e", Body: json.RawMessage(`{}`), Attempt: 1}
	if r := s.Send(context.Background(), d); r.Outcome != Failed || r.Reason != "timeout" || r.Status != 0 {
		t.Errorf("slow receiver: %+v", r)
	}
	d.URL = "http://127.0.0.1:1/secret-path" // nothing listens on port 1
	r := s.Send(context.Background(), d)
	if r.Outcome != Failed || !strings.HasPrefix(r.Reason, "network: ") || strings.Contains(r.Reason, "secret-path") {
		t.Errorf("refused connection: %+v", r)
	}
}
