// Package webhook delivers Leadflow's events to the HTTP endpoints a
// customer configured: one signed POST per delivery, retried with backoff by
// re-queueing the delivery with a delay, and dead-lettered when it keeps
// failing. It is plain Go; the queue is behind the webhooks function.
//
// A receiver de-duplicates by the event id inside the body (the same for
// every endpoint and every retry) or by the Leadflow-Delivery header (the
// same for every retry to one endpoint): a delivery is at least once.
package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Headers of every delivery.
const (
	HeaderEvent     = "Leadflow-Event"
	HeaderDelivery  = "Leadflow-Delivery"
	HeaderSignature = "Leadflow-Signature" // scoring.SignatureHeader
	UserAgent       = "Leadflow-Webhooks/1"
)

// Delivery is one event on its way to one endpoint: the webhooks queue's
// message. Body is sent byte for byte, and the signature covers exactly it.
type Delivery struct {
	// ID is "<event id>/<endpoint index>": stable across retries.
	ID    string `json:"delivery_id"`
	URL   string `json:"url"`
	Event string `json:"event"`
	// Body is the event's JSON as sent to the endpoint.
	Body json.RawMessage `json:"body"`
	// Attempt counts from 1; it is the attempt this message makes.
	Attempt int `json:"attempt"`
	// LastError says why the previous attempt failed ("HTTP 503",
	// "timeout"), for whoever reads the dead-letter queue. Never a body.
	LastError string `json:"last_error,omitempty"`
}

// DeliveryID names the delivery of event id to the endpoint at index i of
// the configured list.
func DeliveryID(eventID string, i int) string { return fmt.Sprintf("%s/%d", eventID, i) }

// ErrInvalid marks a queue message that can never be delivered.
var ErrInvalid = errors.New("invalid webhook delivery")

// Encode gives the queue message for d.
func (d Delivery) Encode() (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode webhook delivery %s: %w", d.ID, err)
	}
	return string(b), nil
}

// Decode reads and checks a queue message.
func Decode(body string) (Delivery, error) {
	var d Delivery
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return d, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	switch {
	case d.ID == "" || d.Event == "":
		return d, fmt.Errorf("%w: needs delivery_id and event", ErrInvalid)
	case d.Attempt < 1:
		return d, fmt.Errorf("%w %s: attempt %d", ErrInvalid, d.ID, d.Attempt)
	case len(d.Body) == 0 || !json.Valid(d.Body):
		return d, fmt.Errorf("%w %s: body is not JSON", ErrInvalid, d.ID)
	}
	if err := ValidateURL(d.URL); err != nil {
		return d, fmt.Errorf("%w %s: %v", ErrInvalid, d.ID, err)
	}
	return d, nil
}

// Next is the message for the attempt after d, which failed for reason.
func (d Delivery) Next(reason string) Delivery {
	n := d
	n.Attempt++
	n.LastError = reason
	return n
}

// ValidateURL accepts https endpoints, and http only to a loopback host
// (local development): lead data and its signature must not cross a
// network in the clear.
func ValidateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("webhook URL is not a URL")
	}
	if u.Host == "" || u.User != nil {
		return fmt.Errorf("webhook URL %s must be absolute, without user:password", Redact(raw))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
			return nil
		}
	}
	return fmt.Errorf("webhook URL %s must use https (http only to localhost)", Redact(raw))
}

// ParseURLs reads the comma-separated endpoint list (WEBHOOK_URLS). An
// empty list is valid: no webhooks are sent.
func ParseURLs(v string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for part := range strings.SplitSeq(v, ",") {
		u := strings.TrimSpace(part)
		if u == "" {
			continue
		}
		if err := ValidateURL(u); err != nil {
			return nil, err
		}
		if seen[u] {
			return nil, fmt.Errorf("webhook URL %s listed twice", Redact(u))
		}
		seen[u] = true
		out = append(out, u)
	}
	return out, nil
}

// Redact shows an endpoint as scheme://host only: many webhook URLs carry a
// secret in their path or query (chat and automation hooks do), so logs and
// errors never print more.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host
}
