package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/form"
	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/tracking"
)

type fakeSites map[string]site.Site

func (f fakeSites) GetSite(_ context.Context, key string) (site.Site, error) {
	if s, ok := f[key]; ok {
		return s, nil
	}
	return site.Site{}, site.ErrNotFound
}

type fakeQueue struct{ bodies []string }

func (q *fakeQueue) Enqueue(_ context.Context, body string) error {
	q.bodies = append(q.bodies, body)
	return nil
}

type fakeForms struct {
	m     map[string]form.Form
	calls int
}

func (f *fakeForms) GetForm(_ context.Context, id string) (form.Form, error) {
	f.calls++
	if x, ok := f.m[id]; ok {
		return x, nil
	}
	return form.Form{}, form.ErrNotFound
}

type fakeLimiter struct {
	counts map[string]int
	writes int
	err    error
}

func (l *fakeLimiter) Allow(_ context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error) {
	l.writes++
	if l.err != nil {
		return false, l.err
	}
	k := key + "@" + now.Truncate(window).String()
	if l.counts[k] >= limit {
		return false, nil
	}
	l.counts[k]++
	return true, nil
}

func testForms() map[string]form.Form {
	base := form.Form{
		ID: "news", Name: "News",
		Fields:      []form.Field{{Name: "email", Type: form.TypeEmail, Required: true}, {Name: "ok", Type: form.TypeCheckbox}},
		ThankYouURL: "https://example.com/thanks#top", DoubleOptIn: true,
		Consent: &form.Consent{Purpose: "news", Text: "Yes", Field: "ok"},
	}
	bound := base
	bound.ID, bound.SiteKey, bound.DoubleOptIn, bound.ThankYouURL = "bound", "site_key_1", false, "https://example.com/t?a=1"
	orphan := base
	orphan.ID, orphan.SiteKey = "orphan", "no_such_site"
	return map[string]form.Form{"news": base, "bound": bound, "orphan": orphan}
}

type rig struct {
	svc     *FormService
	queue   *fakeQueue
	limiter *fakeLimiter
	forms   *fakeForms
	now     time.Time
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{queue: &fakeQueue{}, limiter: &fakeLimiter{counts: map[string]int{}}, forms: &fakeForms{m: testForms()},
		now: time.Date(2026, 11, 24, 10, 0, 10, 0, time.UTC)}
	sites := fakeSites{"site_key_1": {Key: "site_key_1", Name: "s", AllowedOrigins: []string{"https://www.example.com"}}}
	svc := New(sites, r.queue, time.Minute, func() time.Time { return r.now })
	var err error
	r.svc, err = NewForms(svc, r.forms, r.limiter, FormLimits{PerIP: 2, PerSite: 4, Window: time.Minute, ConfirmPerAddress: 2, ConfirmWindow: 24 * time.Hour},
		[]byte(testLimitSecret), time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func call(id, body string) FormCall {
	return FormCall{FormID: id, ContentType: "application/x-www-form-urlencoded", Body: []byte(body), SourceIP: "198.51.100.7", RequestID: "req-1"}
}

func TestSubmitQueuesOneMessage(t *testing.T) {
	r := newRig(t)
	res, err := r.svc.Submit(context.Background(), call("news", "email=ada@example.com&ok=on"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != form.StatusPending || res.Redirect != "https://example.com/thanks?status=pending#top" {
		t.Errorf("result %+v", res)
	}
	if len(r.queue.bodies) != 1 {
		t.Fatalf("%d queue messages, want 1", len(r.queue.bodies))
	}
	b, err := tracking.DecodeBatch(r.queue.bodies[0])
	if err != nil || b.SiteKey != FormSiteKey || len(b.Messages) != 2 || b.RequestID != "req-1" {
		t.Fatalf("batch %+v %v", b, err)
	}
	if r.limiter.writes != 3 {
		t.Errorf("%d limiter writes for a double opt-in fill, want 3 (per IP, per site, per address)", r.limiter.writes)
	}

	res, err = r.svc.Submit(context.Background(), FormCall{FormID: "bound", ContentType: "application/json", Body: []byte(`{"email":"b@example.com","ok":true}`), Origin: "https://www.example.com"})
	if err != nil || res.Status != form.StatusSubscribed || res.Redirect != "https://example.com/t?a=1" {
		t.Fatalf("bound form: %+v %v", res, err)
	}
	if b, _ := tracking.DecodeBatch(r.queue.bodies[1]); b.SiteKey != "site_key_1" {
		t.Errorf("a site's form queues under the site, got %q", b.SiteKey)
	}
	// Without consent the subscription is untouched, and says so.
	res, err = r.svc.Submit(context.Background(), call("news", "email=c@example.com"))
	if err != nil || res.Status != form.StatusReceived || res.Redirect != "https://example.com/thanks#top" {
		t.Fatalf("no consent: %+v %v", res, err)
	}
}

func TestSubmitRefusals(t *testing.T) {
	tests := []struct {
		name   string
		call   FormCall
		target error
	}{
		{"unknown form", call("nope", "email=a@example.com"), ErrUnknownForm},
		{"origin outside the site's", FormCall{FormID: "bound", ContentType: "application/x-www-form-urlencoded", Body: []byte("email=a@example.com"), Origin: "https://evil.example"}, ErrOriginRejected},
		{"form of an unregistered site", FormCall{FormID: "orphan", ContentType: "application/x-www-form-urlencoded", Body: []byte("email=a@example.com"), Origin: "https://www.example.com"}, ErrOriginRejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			if _, err := r.svc.Submit(context.Background(), tc.call); !errors.Is(err, tc.target) {
				t.Fatalf("err %v, want %v", err, tc.target)
			}
			if len(r.queue.bodies) != 0 || r.limiter.writes != 0 {
				t.Errorf("queued %d, limiter writes %d; want none", len(r.queue.bodies), r.limiter.writes)
			}
		})
	}
	r := newRig(t)
	_, err := r.svc.Submit(context.Background(), call("news", "email=nope"))
	var fe *form.Error
	if !errors.As(err, &fe) || len(r.queue.bodies) != 0 || r.limiter.writes != 0 {
		t.Fatalf("invalid fill: %v, queued %d, writes %d", err, len(r.queue.bodies), r.limiter.writes)
	}
}

func TestSubmitHoneypotLooksLikeSuccess(t *testing.T) {
	r := newRig(t)
	spam, err := r.svc.Submit(context.Background(), call("news", "email=bot@example.com&website_url=x"))
	if err != nil || !spam.Spam {
		t.Fatalf("%+v %v", spam, err)
	}
	real, _ := r.svc.Submit(context.Background(), call("news", "email=ada@example.com&ok=on"))
	if spam.Status != real.Status || spam.Redirect != real.Redirect {
		t.Errorf("spam answer %+v differs from a real one %+v", spam, real)
	}
	if len(r.queue.bodies) != 1 {
		t.Errorf("%d queued; the spam must queue nothing", len(r.queue.bodies))
	}
}

func TestSubmitRateLimits(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := r.svc.Submit(ctx, call("news", "email=a@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	res, err := r.svc.Submit(ctx, call("news", "email=a@example.com"))
	if !errors.Is(err, ErrRateLimited) || res.RetryAfter != 50*time.Second {
		t.Fatalf("third fill from one IP: %+v %v", res, err)
	}
	writes := r.limiter.writes
	if _, err := r.svc.Submit(ctx, call("news", "email=a@example.com")); !errors.Is(err, ErrRateLimited) || r.limiter.writes != writes {
		t.Errorf("a known refusal must cost no write: %v, %d writes", err, r.limiter.writes-writes)
	}
	// Another IP is not held back by the first one, until the site's limit.
	other := call("news", "email=b@example.com")
	other.SourceIP = "2001:db8::1"
	if _, err := r.svc.Submit(ctx, other); err != nil {
		t.Fatal(err)
	}
	// The same /64 is the same sender: its second fill is allowed, its
	// third is not.
	same64 := call("news", "email=c@example.com")
	same64.SourceIP = "2001:db8::2"
	if _, err := r.svc.Submit(ctx, same64); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Submit(ctx, same64); !errors.Is(err, ErrRateLimited) {
		t.Errorf("third fill from one /64: %v", err)
	}
	fresh := call("news", "email=d@example.com")
	fresh.SourceIP = "192.0.2.99"
	if _, err := r.svc.Submit(ctx, fresh); !errors.Is(err, ErrRateLimited) {
		t.Errorf("the site's limit (4 a minute) must hold whatever the IP: %v", err)
	}
	// The next window starts afresh.
	r.now = r.now.Add(time.Minute)
	if _, err := r.svc.Submit(ctx, call("news", "email=a@example.com")); err != nil {
		t.Errorf("next window: %v", err)
	}
}

func TestSubmitLimiterFailureLetsTheFillThrough(t *testing.T) {
	r := newRig(t)
	r.limiter.err = errors.New("throttled")
	if _, err := r.svc.Submit(context.Background(), call("news", "email=a@example.com")); err != nil || len(r.queue.bodies) != 1 {
		t.Fatalf("%v, queued %d", err, len(r.queue.bodies))
	}
}

func TestFormCache(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		r.svc.Form(ctx, "news")
		r.svc.Form(ctx, "nope")
	}
	if r.forms.calls != 2 {
		t.Errorf("%d lookups for 6 reads of 2 ids", r.forms.calls)
	}
	r.now = r.now.Add(7 * time.Second) // unknown ids are cached for a tenth of the ttl
	r.svc.Form(ctx, "news")
	r.svc.Form(ctx, "nope")
	if r.forms.calls != 3 {
		t.Errorf("%d lookups; only the unknown id should be read again", r.forms.calls)
	}
}

const testLimitSecret = "0123456789abcdef0123456789abcdef-test"

func TestRateLimitKeysAreKeyedHashes(t *testing.T) {
	// Given two deployments with different secrets and one fill each from
	// the same address,
	keysOf := func(secret string) []string {
		r := newRig(t)
		svc, err := NewForms(r.svc.svc, r.forms, r.limiter, r.svc.limits, []byte(secret), time.Minute, r.svc.log)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Submit(context.Background(), call("news", "email=ada@example.com&ok=on")); err != nil {
			t.Fatal(err)
		}
		return keys(r.limiter.counts)
	}
	a, b := keysOf(testLimitSecret), keysOf(strings.Repeat("x", MinLimitSecret))
	// then no key holds the address or email, or their plain SHA-256 (which
	// anyone can compute for every IPv4 address),
	plainIP := sha256.Sum256([]byte("198.51.100.7"))
	plainEmail := sha256.Sum256([]byte("ada@example.com"))
	for _, k := range a {
		for _, leak := range []string{"198.51.100", "ada@", hex.EncodeToString(plainIP[:16]), hex.EncodeToString(plainEmail[:16])} {
			if strings.Contains(k, leak) {
				t.Errorf("key %q contains %q", k, leak)
			}
		}
	}
	// and the hashed keys differ between the secrets (the site's does not
	// hash anything, so it is the same).
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("keys %v and %v: want 3 each (ip, site, address)", a, b)
	}
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	if same != 1 {
		t.Errorf("keys under two secrets %v / %v: want only the per-site key shared", a, b)
	}
	// A short secret is refused.
	r := newRig(t)
	if _, err := NewForms(r.svc.svc, r.forms, r.limiter, r.svc.limits, []byte("short"), time.Minute, r.svc.log); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestConfirmationMailsPerAddressPerDay(t *testing.T) {
	// Given a double opt-in form (2 confirmation mails per address a day in
	// the rig) and a list bomber posting one victim's address from ever new
	// IPs, a minute apart (under the per-IP and per-site limits),
	r := newRig(t)
	ctx := context.Background()
	fill := func(i int, email string) tracking.Message {
		t.Helper()
		c := call("news", "email="+email+"&ok=on")
		c.SourceIP = fmt.Sprintf("203.0.113.%d", i)
		res, err := r.svc.Submit(ctx, c)
		// then every fill gets the same answer,
		if err != nil || res.Status != form.StatusPending {
			t.Fatalf("fill %d: %+v %v", i, res, err)
		}
		b, err := tracking.DecodeBatch(r.queue.bodies[len(r.queue.bodies)-1])
		if err != nil || len(b.Messages) != 2 {
			t.Fatalf("fill %d: %+v %v", i, b, err)
		}
		r.now = r.now.Add(time.Minute)
		return b.Messages[1]
	}
	mailed := 0
	for i := range 6 {
		email := "victim@example.com"
		if i%2 == 1 {
			email = " Victim@Example.COM" // one address however it is written
		}
		in := fill(i, email).Context.Leadflow
		if in == nil || !in.DoubleOptIn || in.Consent == nil {
			t.Fatalf("fill %d lost its consent: %+v", i, in)
		}
		if !in.NoConfirmMail {
			mailed++
		}
	}
	// but only the first two ask for a mail,
	if mailed != 2 {
		t.Errorf("%d of 6 fills ask for a confirmation mail, want 2", mailed)
	}
	// another address is not held back,
	if in := fill(50, "someone@example.com").Context.Leadflow; in.NoConfirmMail {
		t.Error("another address was limited")
	}
	// a fill without consent asks for no mail and is not counted,
	before := r.limiter.writes
	r.svc.Submit(ctx, call("news", "email=victim@example.com"))
	if r.limiter.writes-before != 2 {
		t.Errorf("a fill without consent made %d limiter writes, want 2 (per IP, per site)", r.limiter.writes-before)
	}
	// and the next day the address gets mail again.
	r.now = r.now.Add(24 * time.Hour)
	if in := fill(60, "victim@example.com").Context.Leadflow; in.NoConfirmMail {
		t.Error("next day: still limited")
	}
}

func TestFloodFromOneIPLeavesTheFormOpen(t *testing.T) {
	// Given the deployed limits and one IP posting a form 200 times in a minute,
	r := newRig(t)
	var err error
	r.svc, err = NewForms(r.svc.svc, r.forms, r.limiter, DefaultFormLimits, []byte(testLimitSecret), time.Minute, r.svc.log)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	refused := 0
	for range 200 {
		if _, err := r.svc.Submit(ctx, call("news", "email=flood@example.com")); errors.Is(err, ErrRateLimited) {
			refused++
		}
	}
	// then all but the per-IP allowance are refused,
	if refused != 200-DefaultFormLimits.PerIP {
		t.Errorf("%d refused, want %d", refused, 200-DefaultFormLimits.PerIP)
	}
	// the form's own budget is spent only by the allowed ones,
	for k, n := range r.limiter.counts {
		if strings.HasPrefix(k, "form-site:") && n != DefaultFormLimits.PerIP {
			t.Errorf("site counter %s at %d, want %d", k, n, DefaultFormLimits.PerIP)
		}
	}
	// and a visitor from another address gets through in the same minute.
	other := call("news", "email=real@example.com&ok=on")
	other.SourceIP = "192.0.2.44"
	if res, err := r.svc.Submit(ctx, other); err != nil || res.Status != form.StatusPending {
		t.Errorf("another IP during the flood: %+v %v", res, err)
	}
	if DefaultFormLimits.PerIP*20 > DefaultFormLimits.PerSite {
		t.Errorf("per IP %d is not far below per site %d: 20 sources could lock a form", DefaultFormLimits.PerIP, DefaultFormLimits.PerSite)
	}
}

func TestIPKey(t *testing.T) {
	if ipKey("2001:db8:0:1::5") != ipKey("2001:db8:0:1:ffff::9") {
		t.Error("one /64 must share a key")
	}
	if ipKey("2001:db8:0:1::5") == ipKey("2001:db8:0:2::5") {
		t.Error("different /64s must not")
	}
	if ipKey("192.0.2.1") == ipKey("192.0.2.2") {
		t.Error("IPv4 addresses are keyed whole")
	}
}
