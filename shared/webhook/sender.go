package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/shared/scoring"
)

// Timeout bounds one attempt, connection to last byte.
const Timeout = 10 * time.Second

// Outcome is what an attempt came to.
type Outcome int

const (
	// Delivered: the receiver answered 2xx.
	Delivered Outcome = iota
	// Gone: the receiver answered 410 Gone, its way of saying "stop
	// sending this"; the delivery is dropped, not retried.
	Gone
	// Failed: any other answer, a timeout or a network error; retried.
	Failed
)

// Result of one attempt.
type Result struct {
	Outcome Outcome
	// Status is the HTTP status, 0 when no response came.
	Status int
	// Reason is a short, log-safe explanation of a failure: "HTTP 503",
	// "timeout", "connection refused". It never holds the URL or a body.
	Reason string
	// RetryAfter is the receiver's Retry-After (seconds form), if any.
	RetryAfter time.Duration
}

// Sender signs and posts deliveries. It is safe for concurrent use; build
// it once per process so connections are reused across invocations.
type Sender struct {
	client *http.Client
	secret []byte
	now    func() time.Time
}

// NewSender returns a sender that signs with secret. client may be nil for
// the default: Timeout per attempt and no redirects followed (a redirected
// POST would turn into a GET elsewhere, and a signed lead must go only
// where it was configured to).
func NewSender(secret []byte, client *http.Client, now func() time.Time) *Sender {
	if client == nil {
		client = &http.Client{
			Timeout:       Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if now == nil {
		now = time.Now
	}
	return &Sender{client: client, secret: secret, now: now}
}

// Send makes one attempt of d.
func (s *Sender) Send(ctx context.Context, d Delivery) Result {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return Result{Outcome: Failed, Reason: "bad request: " + Redact(d.URL)}
	}
	// The signature's timestamp is the send time, so a retry an hour later
	// still passes a receiver's five-minute tolerance.
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(scoring.SignatureHeader, scoring.Sign(s.secret, s.now(), d.Body))
	req.Header.Set(HeaderEvent, d.Event)
	req.Header.Set(HeaderDelivery, d.ID)
	req.Header.Set("User-Agent", UserAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Outcome: Failed, Reason: transportReason(err)}
	}
	// Drain a little so the connection is reused; the body is never kept.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	r := Result{Status: resp.StatusCode, Reason: "HTTP " + strconv.Itoa(resp.StatusCode)}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		r.Outcome, r.Reason = Delivered, ""
	case resp.StatusCode == http.StatusGone:
		r.Outcome = Gone
	default:
		r.Outcome = Failed
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			r.RetryAfter = time.Duration(secs) * time.Second
		}
	}
	return r
}

// transportReason turns a client error into a short reason without the URL
// (url.Error's message includes it, and URLs may hold secrets).
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "timeout"
		}
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return fmt.Sprintf("network: %s", msg)
}
