// Package tracking holds the Segment HTTP Tracking API spec that Leadflow
// accepts: the message types, how a request body becomes a batch, and the
// limits and checks every batch passes before anything is stored.
package tracking

import (
	"encoding/json"
	"time"
)

// Message types of the Segment spec.
const (
	TypeTrack    = "track"
	TypePage     = "page"
	TypeIdentify = "identify"
	TypeScreen   = "screen"
	TypeGroup    = "group"
	TypeAlias    = "alias"
)

// Limits from the Segment HTTP API, which clients already respect.
const (
	MaxMessageBytes = 32 * 1024
	MaxBatchBytes   = 500 * 1024
	MaxBatchLen     = 2500
	maxIDLen        = 200
	maxEventNameLen = 200
)

// Message is one tracking call. Field names follow the spec's JSON.
type Message struct {
	Type              string         `json:"type"`
	MessageID         string         `json:"messageId"`
	AnonymousID       string         `json:"anonymousId,omitempty"`
	UserID            string         `json:"userId,omitempty"`
	Event             string         `json:"event,omitempty"`
	Name              string         `json:"name,omitempty"`
	Category          string         `json:"category,omitempty"`
	GroupID           string         `json:"groupId,omitempty"`
	PreviousID        string         `json:"previousId,omitempty"`
	Properties        map[string]any `json:"properties,omitempty"`
	Traits            map[string]any `json:"traits,omitempty"`
	Context           Context        `json:"context"`
	Timestamp         time.Time      `json:"timestamp"`
	OriginalTimestamp *time.Time     `json:"originalTimestamp,omitempty"`
	SentAt            *time.Time     `json:"sentAt,omitempty"`
	ReceivedAt        time.Time      `json:"receivedAt"`
	// ContactID addresses a contact directly. Only internal producers (timers,
	// email events) set it; Parse never does, so a website cannot.
	ContactID string `json:"contactId,omitempty"`
	// Verified is true when the site proved who sent the call: a valid
	// user hash (UserHash) or the site's identity secret itself. Only ingest
	// sets it, after checking the HMAC; Parse never does, so no client field
	// can. It travels in the queue message to the contact processor, which
	// lets unverified calls add to a known contact but never overwrite it.
	Verified bool `json:"verified,omitempty"`
	// UserHash is the HMAC the client sent with the call
	// (integrations.Leadflow.user_hash, or user_hash in traits or
	// context.traits). Ingest checks it and sets Verified; it is never
	// queued or stored.
	UserHash string `json:"-"`
}

// VerifiedIdentity is what a user hash signs: the user id, or the email
// when the call has no user id (as Intercom's identity verification).
func (m *Message) VerifiedIdentity() string {
	if m.UserID != "" {
		return m.UserID
	}
	return m.Email()
}

// Context is the spec's context object, limited to what Leadflow uses; other
// keys a client sends are kept in Extra so nothing it sent is dropped.
type Context struct {
	Page      *Page          `json:"page,omitempty"`
	Campaign  *Campaign      `json:"campaign,omitempty"`
	UserAgent string         `json:"userAgent,omitempty"`
	IP        string         `json:"ip,omitempty"`
	Locale    string         `json:"locale,omitempty"`
	Timezone  string         `json:"timezone,omitempty"`
	Traits    map[string]any `json:"traits,omitempty"`
	Library   *Library       `json:"library,omitempty"`
	Location  *Location      `json:"location,omitempty"`
	Extra     map[string]any `json:"extra,omitempty"`
	// Leadflow carries instructions from Leadflow's own producers (forms,
	// timers). Parse never sets it: a "leadflow" key a client sends lands in
	// Extra, so no website can grant itself consent or tags.
	Leadflow *Internal `json:"leadflow,omitempty"`
}

// Location is coarse location, from the client or the request's edge headers.
type Location struct {
	Country string `json:"country,omitempty"`
	Region  string `json:"region,omitempty"`
	City    string `json:"city,omitempty"`
}

// Internal is what a form fill (or another internal producer) asks the
// contact pipeline to do besides recording the event.
type Internal struct {
	FormID string `json:"formId,omitempty"`
	// Consent is what the person agreed to, when, where.
	Consent *Consent `json:"consent,omitempty"`
	// DoubleOptIn leaves a new subscriber pending until they confirm.
	DoubleOptIn bool `json:"doubleOptIn,omitempty"`
	// NoConfirmMail: the address has had its share of double opt-in mails
	// for now (ingest's per-address limit), so this fill mails nothing;
	// its consent still waits for a confirmation from an earlier mail.
	NoConfirmMail bool     `json:"noConfirmMail,omitempty"`
	Tags          []string `json:"tags,omitempty"`
	Lists         []string `json:"lists,omitempty"`
	// Import is the CSV import that sent the call (shared/imports). Its
	// consent never resubscribes an unsubscribed contact, and a contact
	// never asked that it brings without marketing consent becomes
	// "no_consent": not marketable until they subscribe themselves.
	Import string `json:"import,omitempty"`
	// NewContact: the producer created the call's contact (an import
	// linked a new email to it), so it has no profile unless another
	// writer made one since. The processor does not read it first: the
	// profile's creation is conditional, and fails into a re-read if it
	// exists after all.
	NewContact bool `json:"newContact,omitempty"`
	// Consents are records besides Consent (an import records one per
	// purpose it covers).
	Consents []Consent `json:"consents,omitempty"`
}

// Consent is a record of agreement, kept as evidence.
type Consent struct {
	Purpose string    `json:"purpose"`
	Text    string    `json:"text,omitempty"`
	At      time.Time `json:"at"`
	Page    string    `json:"page,omitempty"`
	// IP is truncated like every stored address.
	IP     string `json:"ip,omitempty"`
	Source string `json:"source,omitempty"` // e.g. "form:newsletter"
}

// Page describes the web page a call came from.
type Page struct {
	URL      string `json:"url,omitempty"`
	Title    string `json:"title,omitempty"`
	Referrer string `json:"referrer,omitempty"`
	Path     string `json:"path,omitempty"`
	Search   string `json:"search,omitempty"`
}

// Campaign is the UTM attribution of a call.
type Campaign struct {
	Source  string `json:"source,omitempty"`
	Medium  string `json:"medium,omitempty"`
	Name    string `json:"name,omitempty"`
	Term    string `json:"term,omitempty"`
	Content string `json:"content,omitempty"`
}

// Empty reports whether no UTM field is set.
func (c *Campaign) Empty() bool {
	return c == nil || (c.Source == "" && c.Medium == "" && c.Name == "" && c.Term == "" && c.Content == "")
}

// Library names the client that sent the call.
type Library struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// Batch is one accepted request: the messages of one HTTP call, bound to the
// site they were sent for. It travels as a single queue message.
type Batch struct {
	RequestID  string    `json:"requestId"`
	SiteKey    string    `json:"siteKey"`
	ReceivedAt time.Time `json:"receivedAt"`
	Messages   []Message `json:"messages"`
}

// IdentityKey returns the identifier that groups this message's events:
// the user id when known, else the anonymous id.
func (m *Message) IdentityKey() string {
	if m.UserID != "" {
		return "u:" + m.UserID
	}
	return "a:" + m.AnonymousID
}

// Email returns the message's email trait, from traits or context.traits.
func (m *Message) Email() string {
	for _, t := range []map[string]any{m.Traits, m.Context.Traits} {
		if s, ok := t["email"].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// rawContext is decoded first so unknown context keys survive in Extra.
type rawContext map[string]json.RawMessage
