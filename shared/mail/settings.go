package mail

import (
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/template"
	"github.com/leadflow/leadflow/shared/timezone"
)

// Settings are the account's sending rules: who mail comes from, the
// postal address every marketing footer shows, frequency caps, quiet hours,
// the send rate and the bulk-mail circuit breaker. The repo's
// definitions/sending.json holds them; its JSON is this type's.
type Settings struct {
	Sender Sender `json:"sender"`
	// FrequencyCaps limit marketing mail per contact over rolling windows
	// ("at most 2 a day and 5 a week"). A send over a cap is deferred until
	// the window lets it through, never dropped.
	FrequencyCaps []Cap `json:"frequency_caps,omitempty"`
	// QuietHours defers marketing mail that would arrive at night in the
	// contact's time zone to the end of the quiet hours.
	QuietHours *QuietHours `json:"quiet_hours,omitempty"`
	// DefaultTimezone is used for contacts without a known time zone.
	DefaultTimezone string `json:"default_timezone,omitempty"`
	// RequireOptIn: marketing mail goes only to contacts who subscribed
	// (status "subscribed"). Off, contacts never asked ("" status) get
	// marketing mail too, as in opt-out regimes; unsubscribed and pending
	// contacts never do.
	RequireOptIn bool `json:"require_opt_in"`
	// MaxSendRate caps the messages per second below the account's SES
	// limit (0: the account's limit). The SES_MAX_SEND_RATE environment
	// variable overrides it.
	MaxSendRate float64 `json:"max_send_rate,omitempty"`
	// CircuitBreaker pauses bulk (marketing) mail when bounces or
	// complaints near the rates at which SES puts an account under review.
	CircuitBreaker CircuitBreaker `json:"circuit_breaker"`
	// ConfirmLinkDays is how long a double opt-in link stays valid.
	ConfirmLinkDays int `json:"confirm_link_days"`
	// InDoubtAfterMinutes is how long a claimed send may go without an
	// outcome before it is treated as in doubt (a crash between the claim
	// and the SES call's result).
	InDoubtAfterMinutes int `json:"in_doubt_after_minutes"`
	// LinkHosts are hosts a tracked click may redirect to whatever the
	// template: "example.com", or "*.example.com" for every name below it
	// (not example.com itself). A click also redirects to the hosts its
	// template's links are written with and to Leadflow's own host; see
	// ClickGuard.
	LinkHosts []string `json:"link_hosts,omitempty"`
	// CampaignApproval: a campaign must be approved by a user other than
	// its author (admin or approver role) before it is scheduled, and again
	// after any change.
	CampaignApproval bool `json:"campaign_approval,omitempty"`
}

// Sender is the default sender identity; a template's own from and
// reply-to take precedence.
type Sender struct {
	From    template.Address `json:"from"`
	ReplyTo []string         `json:"reply_to,omitempty"`
	// PostalAddress is the physical address CAN-SPAM requires in every
	// marketing message ({{ sender.address }}).
	PostalAddress string `json:"postal_address"`
}

// Cap is at most Max marketing messages per contact in any window of Per.
type Cap struct {
	Max int `json:"max"`
	// Per is "day", "week" or a Go duration ("36h").
	Per string `json:"per"`
}

// Window is the cap's rolling window.
func (c Cap) Window() (time.Duration, error) {
	switch c.Per {
	case "day":
		return 24 * time.Hour, nil
	case "week":
		return 7 * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(c.Per)
	if err != nil || d < time.Hour || d > 31*24*time.Hour {
		return 0, fmt.Errorf("per %q must be day, week or a duration from 1h to 744h", c.Per)
	}
	return d, nil
}

// QuietHours is a nightly span in local time, "21:00" to "08:00".
type QuietHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

func clock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not a time of day like 21:00", s)
	}
	return hh*60 + mm, nil
}

// CircuitBreaker thresholds. SES reviews an account at a 5% bounce rate
// and a 0.1% complaint rate; pausing a little below them keeps bulk mail
// from pushing the account over while the cause is looked at.
type CircuitBreaker struct {
	// WindowHours is the representative window the rates are taken over.
	WindowHours int `json:"window_hours"`
	// MinSends below which the rates say nothing (one bounce in ten mails
	// is not a 10% problem).
	MinSends      int     `json:"min_sends"`
	BounceRate    float64 `json:"bounce_rate"`
	ComplaintRate float64 `json:"complaint_rate"`
	// PauseMinutes is how long a paused bulk send waits before it looks
	// again.
	PauseMinutes int `json:"pause_minutes"`
}

// Open reports whether bulk mail must pause, given the sends, bounces and
// complaints over the window, and why.
func (c CircuitBreaker) Open(sent, bounces, complaints int64) (bool, string) {
	if sent < int64(max(c.MinSends, 1)) {
		return false, ""
	}
	br, cr := float64(bounces)/float64(sent), float64(complaints)/float64(sent)
	switch {
	case c.BounceRate > 0 && br >= c.BounceRate:
		return true, fmt.Sprintf("bounce rate %.2f%% over %d sends reached the %.2f%% threshold", 100*br, sent, 100*c.BounceRate)
	case c.ComplaintRate > 0 && cr >= c.ComplaintRate:
		return true, fmt.Sprintf("complaint rate %.3f%% over %d sends reached the %.3f%% threshold", 100*cr, sent, 100*c.ComplaintRate)
	}
	return false, ""
}

// ConfirmLinkTTL is how long a double opt-in link is valid.
func (s Settings) ConfirmLinkTTL() time.Duration {
	return time.Duration(max(s.ConfirmLinkDays, 1)) * 24 * time.Hour
}

// InDoubtAfter is the in-doubt window of a claim.
func (s Settings) InDoubtAfter() time.Duration {
	return time.Duration(max(s.InDoubtAfterMinutes, 1)) * time.Minute
}

// Location is the time zone quiet hours are read in for a contact: its own
// (an IANA name or a fixed offset, see package timezone), else the default.
func (s Settings) Location(tz string) *time.Location {
	for _, name := range []string{tz, s.DefaultTimezone} {
		if loc, ok := timezone.Load(name); ok {
			return loc
		}
	}
	return time.UTC
}

// Validate reports every problem in the settings.
func (s Settings) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !isAddress(s.Sender.From.Address) {
		bad("sender.from.address %q must be an email address", s.Sender.From.Address)
	}
	for i, a := range s.Sender.ReplyTo {
		if !isAddress(a) {
			bad("sender.reply_to[%d] %q must be an email address", i, a)
		}
	}
	if strings.TrimSpace(s.Sender.PostalAddress) == "" {
		bad("sender.postal_address is required: every marketing email shows it (CAN-SPAM)")
	}
	for i, c := range s.FrequencyCaps {
		if c.Max < 1 {
			bad("frequency_caps[%d].max must be at least 1", i)
		}
		if _, err := c.Window(); err != nil {
			bad("frequency_caps[%d]: %v", i, err)
		}
	}
	if q := s.QuietHours; q != nil {
		a, err1 := clock(q.Start)
		b, err2 := clock(q.End)
		for _, err := range []error{err1, err2} {
			if err != nil {
				bad("quiet_hours: %v", err)
			}
		}
		if err1 == nil && err2 == nil && a == b {
			bad("quiet_hours: start and end are the same time")
		}
	}
	if s.DefaultTimezone != "" {
		if _, err := time.LoadLocation(s.DefaultTimezone); err != nil {
			bad("default_timezone %q is not an IANA time zone", s.DefaultTimezone)
		}
	}
	if s.MaxSendRate < 0 {
		bad("max_send_rate must not be negative")
	}
	cb := s.CircuitBreaker
	if cb.WindowHours < 1 || cb.WindowHours > 24*7 {
		bad("circuit_breaker.window_hours must be from 1 to 168")
	}
	if cb.BounceRate < 0 || cb.BounceRate >= 0.05 || cb.ComplaintRate < 0 || cb.ComplaintRate >= 0.001 {
		bad("circuit_breaker: bounce_rate must be under 0.05 and complaint_rate under 0.001 (SES reviews accounts at 5%% and 0.1%%)")
	}
	if cb.PauseMinutes < 1 {
		bad("circuit_breaker.pause_minutes must be at least 1")
	}
	if s.ConfirmLinkDays < 1 || s.ConfirmLinkDays > 30 {
		bad("confirm_link_days must be from 1 to 30")
	}
	if s.InDoubtAfterMinutes < 1 || s.InDoubtAfterMinutes > 14 {
		// The re-check of an in-doubt send rides on an SQS delay, at most 15 minutes.
		bad("in_doubt_after_minutes must be from 1 to 14")
	}
	if len(s.LinkHosts) > maxLinkHosts {
		bad("link_hosts: at most %d hosts", maxLinkHosts)
	}
	for i, h := range s.LinkHosts {
		if err := checkLinkHost(h); err != nil {
			bad("link_hosts[%d] %q: %v", i, h, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sending settings: %w", errors.Join(errs...))
	}
	return nil
}

func isAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}
