package ingest

import (
	"context"
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

// Forms finds the form in effect for an id (the definition registry's
// cache: the admin API's definition, else the repo's, re-read once a
// minute); form.ErrNotFound for an unknown id.
type Forms interface {
	GetForm(ctx context.Context, id string) (form.Form, error)
}

// Limiter counts hits of a key in fixed windows (the DynamoDB adapter).
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error)
}

// FormLimits bound form fills. Per IP stops one sender hammering a form;
// per site caps what a botnet can push through one form, whatever its IPs.
type FormLimits struct {
	PerIP   int
	PerSite int
	Window  time.Duration
}

// DefaultFormLimits allow a person a few retries a minute and a busy site
// five fills a second on one form.
var DefaultFormLimits = FormLimits{PerIP: 5, PerSite: 300, Window: time.Minute}

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
	forms   Forms
	limiter Limiter
	limits  FormLimits
	log     *slog.Logger
	// refused remembers keys refused in their current window, so a flood
	// costs this instance no further writes until the window ends.
	mu      sync.Mutex
	refused map[string]time.Time
}

// NewForms builds a FormService.
func NewForms(svc *Service, forms Forms, limiter Limiter, limits FormLimits, log *slog.Logger) *FormService {
	return &FormService{
		svc:     svc,
		forms:   forms,
		limiter: limiter, limits: limits, log: log,
		refused: map[string]time.Time{},
	}
}

// Form returns the form in effect for an id; ErrUnknownForm when none is.
func (s *FormService) Form(ctx context.Context, id string) (form.Form, error) {
	f, err := s.forms.GetForm(ctx, id)
	if errors.Is(err, form.ErrNotFound) {
		return f, ErrUnknownForm
	}
	if err != nil {
		return f, fmt.Errorf("look up form %s: %w", id, err)
	}
	return f, nil
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
	f, err := s.Form(ctx, c.FormID)
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
	checks := []struct {
		key   string
		limit int
	}{
		{"form-ip:" + f.ID + ":" + ipKey(ip), s.limits.PerIP},
		{"form-site:" + site + ":" + f.ID, s.limits.PerSite},
	}
	for _, c := range checks {
		if s.knownRefused(c.key, now) {
			return retry, nil
		}
		ok, err := s.limiter.Allow(ctx, c.key, c.limit, w, now)
		if err != nil {
			s.log.ErrorContext(ctx, "rate limiter unavailable; letting the form fill through", "form_id", f.ID, "error", err)
			return 0, nil
		}
		if !ok {
			s.remember(c.key, windowEnd)
			s.log.InfoContext(ctx, "form fill rate limited", "form_id", f.ID, "limit", strings.SplitN(c.key, ":", 2)[0])
			return retry, nil
		}
	}
	return 0, nil
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
// trivially rotated). It is hashed so no address is stored in clear.
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
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:16])
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
