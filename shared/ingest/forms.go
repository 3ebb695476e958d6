package ingest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/form"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Forms finds the form in effect for an id (form.Registry: the admin API's
// definition, else the repo's).
type Forms interface {
	GetForm(ctx context.Context, id string) (form.Form, error)
}

// Limiter counts hits of a key in fixed windows (the DynamoDB adapter).
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error)
}

// FormLimits bound form fills. Per IP stops one sender hammering a form,
// and stays far below per site, so one source can never use up a form's
// budget and lock its real visitors out; per site caps what a botnet can push
// through one form, whatever its IPs. Per address bounds the double opt-in
// mails one address gets, whoever posts it and through whichever form, so
// nobody can use the forms to bomb an inbox (or SES's reputation).
type FormLimits struct {
	PerIP   int
	PerSite int
	Window  time.Duration
	// ConfirmPerAddress is how many fills asking for a double opt-in mail an
	// address may make per ConfirmWindow; later fills are accepted (same
	// answer) and recorded, but mail nothing. A zero window sets no limit.
	ConfirmPerAddress int
	ConfirmWindow     time.Duration
}

// DefaultFormLimits allow a person a few retries a minute, a busy site five
// fills a second on one form, and an address three confirmation mails a
// day (a typo'd first try, a lost mail, one more).
var DefaultFormLimits = FormLimits{PerIP: 5, PerSite: 300, Window: time.Minute, ConfirmPerAddress: 3, ConfirmWindow: 24 * time.Hour}

// MinLimitSecret is the shortest secret NewForms accepts for keying the
// rate-limit counters.
const MinLimitSecret = 32

// FormSiteKey is the queue batch's site key for forms tied to no site.
const FormSiteKey = "form"

// Errors the handler maps to HTTP statuses; *form.Error is a 400.
var (
	ErrUnknownForm = errors.New("no form with this id")
	ErrRateLimited = errors.New("too many submissions; try again shortly")
)

// FormCall is one POST of a form.
type FormCall struct {
	FormID      string
	ContentType string
	Body        []byte
	Origin      string
	Referer     string
	SourceIP    string
	UserAgent   string
	RequestID   string
}

// FormResult is what a submission led to. On ErrRateLimited, RetryAfter
// says when to try again; on success, Status and Redirect are the answer.
type FormResult struct {
	Form form.Form
	// Status is "pending", "subscribed" or "received" (form.Form.Status).
	Status string
	// Redirect is the thank-you URL, with status=pending for a double opt-in.
	Redirect string
	// Spam is set when the honeypot caught the submission; the caller must
	// answer exactly as for a success.
	Spam       bool
	RetryAfter time.Duration
	// Trusted is set when the fill came from the form's own pages: only then
	// may a script there read the answer (a CORS grant).
	Trusted bool
}

// FormService accepts form fills. It shares the tracking Service's site
// cache, queue and clock.
type FormService struct {
	svc     *Service
	forms   *cache[form.Form]
	limiter Limiter
	limits  FormLimits
	// secret keys the counters' hashes of addresses and emails (HMAC), so
	// the table holds nothing that can be reversed by trying every IPv4
	// address or a list of emails.
	secret []byte
	log    *slog.Logger
	// refused remembers keys refused in their current window, so a flood
	// costs this instance no further writes until the window ends.
	mu      sync.Mutex
	refused map[string]time.Time
}

// NewForms builds a FormService. Forms are cached for ttl (unknown ids for a
// tenth of it), like sites: an admin change reaches ingest within ttl.
// limitSecret (at least MinLimitSecret bytes) keys the counters' hashes.
func NewForms(svc *Service, forms Forms, limiter Limiter, limits FormLimits, limitSecret []byte, ttl time.Duration, log *slog.Logger) (*FormService, error) {
	if len(limitSecret) < MinLimitSecret {
		return nil, fmt.Errorf("forms: the rate-limit secret has %d bytes, want at least %d", len(limitSecret), MinLimitSecret)
	}
	return &FormService{
		svc: svc,
		forms: &cache[form.Form]{
			what: "form", load: forms.GetForm, notFound: form.ErrNotFound, unknown: ErrUnknownForm,
			ttl: ttl, max: 1000, now: svc.now,
		},
		limiter: limiter, limits: limits, log: log,
		secret:  append([]byte(nil), limitSecret...),
		refused: map[string]time.Time{},
	}, nil
}

// Form returns the form in effect for an id, through the cache.
func (s *FormService) Form(ctx context.Context, id string) (form.Form, error) {
	return s.forms.get(ctx, id)
}

// OriginCheck is what a fill's Origin header is to its form.
type OriginCheck struct {
	// Allowed: the form accepts fills from this origin at all.
	Allowed bool
	// Trusted: the fill came from the form's own pages (form.Form.TrustsOrigin),
	// so its consent needs no confirmation and its page may read the answer.
	Trusted bool
}

// CheckOrigin checks a browser origin against the form's origins, or its
// site's when it names a site and no origins of its own.
func (s *FormService) CheckOrigin(ctx context.Context, f form.Form, origin string) (OriginCheck, error) {
	if origin == "" || len(f.AllowedOrigins) > 0 || f.SiteKey == "" {
		return OriginCheck{Allowed: f.AllowsOrigin(origin, nil), Trusted: f.TrustsOrigin(origin, nil)}, nil
	}
	st, err := s.svc.Site(ctx, f.SiteKey)
	if errors.Is(err, ErrUnknownKey) {
		// A form tied to a site that is not registered is misconfigured;
		// refusing is safer than opening it to every origin.
		s.log.WarnContext(ctx, "form names an unknown site", "form_id", f.ID, "site", f.SiteKey)
		return OriginCheck{}, nil
	}
	if err != nil {
		return OriginCheck{}, fmt.Errorf("origins of form %s: %w", f.ID, err)
	}
	return OriginCheck{Allowed: f.AllowsOrigin(origin, st.AllowedOrigins), Trusted: f.TrustsOrigin(origin, st.AllowedOrigins)}, nil
}

// Submit checks, parses and queues one form fill. Checks run cheapest
// first: an unknown form, a refused origin or an invalid body costs no
// write; only a valid, non-spam fill is counted against the rate limits and
// queued as one message.
func (s *FormService) Submit(ctx context.Context, c FormCall) (FormResult, error) {
	f, err := s.forms.get(ctx, c.FormID)
	if err != nil {
		return FormResult{}, err
	}
	res := FormResult{Form: f}
	oc, err := s.CheckOrigin(ctx, f, c.Origin)
	if err != nil {
		return res, err
	}
	if !oc.Allowed {
		return res, ErrOriginRejected
	}
	res.Trusted = oc.Trusted
	// Consent from anywhere but the form's own pages is confirmed by mail
	// before it counts (form.Form.ForFill).
	f = f.ForFill(oc.Trusted)
	now := s.svc.now().UTC()
	sub, err := form.Parse(f, c.ContentType, c.Body, now, c.Referer, c.SourceIP, c.UserAgent)
	if err != nil {
		return res, err
	}
	if sub.Spam {
		// Answer as a fill that gave consent would be answered, so the
		// bot cannot tell it was caught.
		res.Spam, res.Status = true, f.Status(true)
		res.Redirect = redirectURL(f, res.Status)
		return res, nil
	}
	if retry, err := s.allow(ctx, f, c.SourceIP, now); err != nil {
		return res, err
	} else if retry > 0 {
		res.RetryAfter = retry
		return res, ErrRateLimited
	}
	siteKey := f.SiteKey
	if siteKey == "" {
		siteKey = FormSiteKey
	}
	msgs := sub.Messages()
	s.limitConfirmations(ctx, f, sub.Email, msgs, now)
	bodies, err := tracking.EncodeBatches(tracking.Batch{RequestID: c.RequestID, SiteKey: siteKey, ReceivedAt: now, Messages: msgs})
	if err != nil {
		return res, fmt.Errorf("encode form %s fill: %w", f.ID, err)
	}
	for i, b := range bodies {
		if err := s.svc.queue.Enqueue(ctx, b); err != nil {
			// A retry of the same answers has the same message ids, so a
			// part queued before the failure is not counted twice.
			return res, fmt.Errorf("queue form %s fill part %d of %d: %w", f.ID, i+1, len(bodies), err)
		}
	}
	res.Status = sub.Status()
	res.Redirect = redirectURL(f, res.Status)
	return res, nil
}

// allow counts the fill against the per-IP and per-site limits and returns
// how long to wait when one is exhausted (0: allowed). A limiter failure
// lets the fill through: losing a real lead to a DynamoDB hiccup is worse
// than a few unthrottled fills, and the honeypot still stands.
func (s *FormService) allow(ctx context.Context, f form.Form, ip string, now time.Time) (time.Duration, error) {
	if s.limiter == nil {
		return 0, nil
	}
	w := s.limits.Window
	windowEnd := now.Truncate(w).Add(w)
	retry := windowEnd.Sub(now)
	site := f.SiteKey
	if site == "" {
		site = FormSiteKey
	}
	// Per IP first: a refused source never reaches (and never spends) the
	// form's own budget.
	checks := []struct {
		key   string
		limit int
	}{
		{"form-ip:" + f.ID + ":" + s.keyed("ip", ipKey(ip)), s.limits.PerIP},
		{"form-site:" + site + ":" + f.ID, s.limits.PerSite},
	}
	for _, c := range checks {
		ok, err := s.count(ctx, c.key, c.limit, w, now)
		if err != nil {
			s.log.ErrorContext(ctx, "rate limiter unavailable; letting the form fill through", "form_id", f.ID, "error", err)
			return 0, nil
		}
		if !ok {
			s.log.InfoContext(ctx, "form fill rate limited", "form_id", f.ID, "limit", strings.SplitN(c.key, ":", 2)[0])
			return retry, nil
		}
	}
	return 0, nil
}

// count counts one hit of key against limit in the window holding now,
// without a write when this instance already saw the key refused there.
func (s *FormService) count(ctx context.Context, key string, limit int, w time.Duration, now time.Time) (bool, error) {
	if s.knownRefused(key, now) {
		return false, nil
	}
	ok, err := s.limiter.Allow(ctx, key, limit, w, now)
	if err != nil {
		return false, err
	}
	if !ok {
		s.remember(key, now.Truncate(w).Add(w))
	}
	return ok, nil
}

// limitConfirmations counts a fill that asks for a double opt-in mail
// against the address's daily allowance; past it, the fill is still queued
// (the answer does not change, so a list bomber learns nothing, and the
// answers are kept) but marked so the contact pipeline sends no mail. The
// counter is per address across every form: bombing one inbox through many
// forms costs the same. A limiter failure lets the mail go, as the other
// limits let the fill through.
func (s *FormService) limitConfirmations(ctx context.Context, f form.Form, email string, msgs []tracking.Message, now time.Time) {
	if s.limiter == nil || email == "" || s.limits.ConfirmWindow <= 0 {
		return
	}
	for i := range msgs {
		in := msgs[i].Context.Leadflow
		if in == nil || !in.DoubleOptIn || in.Consent == nil {
			continue
		}
		key := "confirm-email:" + s.keyed("email", strings.ToLower(strings.TrimSpace(email)))
		ok, err := s.count(ctx, key, s.limits.ConfirmPerAddress, s.limits.ConfirmWindow, now)
		if err != nil {
			s.log.ErrorContext(ctx, "rate limiter unavailable; letting the confirmation mail go", "form_id", f.ID, "error", err)
			return
		}
		if !ok {
			in.NoConfirmMail = true
			s.log.InfoContext(ctx, "confirmation mails to this address used up for today; fill recorded without mail", "form_id", f.ID)
		}
		return
	}
}

// keyed is a counter's identity for a value (an address, an email): HMAC-
// SHA256 under the deployment's secret, truncated to 128 bits. Without the
// secret, a stored key cannot be matched to its value, not even by trying
// all 2^32 IPv4 addresses. kind separates the uses.
func (s *FormService) keyed(kind, v string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

func (s *FormService) knownRefused(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.refused[key]
	return ok && now.Before(until)
}

func (s *FormService) remember(key string, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.refused) > 10000 { // bound memory against many IPs
		s.refused = map[string]time.Time{}
	}
	s.refused[key] = until
}

// ipKey is the rate-limit identity of an address: IPv4 whole, IPv6 by its
// /64 (one host usually holds a whole /64, so a full address would be
// trivially rotated). keyed hashes it, so no address is stored in clear.
func ipKey(ip string) string {
	parsed := net.ParseIP(strings.TrimSpace(ip))
	norm := "unknown"
	switch {
	case parsed == nil:
	case parsed.To4() != nil:
		norm = parsed.To4().String()
	default:
		norm = parsed.Mask(net.CIDRMask(64, 128)).String()
	}
	return norm
}

// redirectURL is the thank-you URL, telling a double opt-in page that the
// subscription waits for the confirmation mail.
func redirectURL(f form.Form, status string) string {
	if status != form.StatusPending {
		return f.ThankYouURL
	}
	sep := "?"
	if strings.Contains(f.ThankYouURL, "?") {
		sep = "&"
	}
	u := f.ThankYouURL
	if i := strings.IndexByte(u, '#'); i >= 0 {
		// The query goes before a fragment.
		return u[:i] + sep + "status=pending" + u[i:]
	}
	return u + sep + "status=pending"
}
