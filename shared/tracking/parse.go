package tracking

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadflow/leadflow/shared/timezone"
)

// Error is a problem with a request that the client must fix. Code is
// machine-readable; Message names the message index and field at fault.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Request is what a tracking endpoint received.
type Request struct {
	// Type is the implied message type for single-call paths ("track" for
	// /v1/track), or "" for /v1/batch, where each message names its own.
	Type string
	// Body is the request body. Parse keeps no reference to it: the
	// messages' strings share one copy of it.
	Body []byte
	// BodyText, when not empty, is the body as a string, and Body is not
	// read: the messages' strings share BodyText itself, without a copy.
	// The ingest function has the body as a string already (the API
	// Gateway event's), and a copy of 25 KB per request was a tenth of
	// its time.
	BodyText   string
	ReceivedAt time.Time
	// SourceIP is the caller's address, used when the message has no context.ip.
	// (The request's User-Agent is not used: server libraries would stamp
	// their own on every visitor. Browser clients send context.userAgent.)
	SourceIP string
	// Zones remembers which time zone names are valid across requests
	// (nil: each request checks its own).
	Zones *timezone.Cache
}

// PathType maps a tracking path to the message type it implies; batch paths
// map to "". ok is false for paths that are not tracking endpoints.
func PathType(path string) (typ string, ok bool) {
	switch strings.TrimPrefix(path, "/v1/") {
	case "batch", "import":
		return "", true
	case "track", "t":
		return TypeTrack, true
	case "page", "p":
		return TypePage, true
	case "identify", "i":
		return TypeIdentify, true
	case "screen", "s":
		return TypeScreen, true
	case "group", "g":
		return TypeGroup, true
	case "alias", "a":
		return TypeAlias, true
	}
	return "", false
}

// Parsed is a validated request: its messages and the write key it carried
// in its body, if any.
type Parsed struct {
	WriteKey string
	Messages []Message
}

type wireBatch struct {
	Batch    []json.RawMessage `json:"batch"`
	WriteKey string            `json:"writeKey"`
	SentAt   json.RawMessage   `json:"sentAt"`
	Context  json.RawMessage   `json:"context"`
}

type wireMessage struct {
	Type              string          `json:"type"`
	MessageID         json.RawMessage `json:"messageId"`
	AnonymousID       json.RawMessage `json:"anonymousId"`
	UserID            json.RawMessage `json:"userId"`
	Event             json.RawMessage `json:"event"`
	Name              json.RawMessage `json:"name"`
	Category          json.RawMessage `json:"category"`
	GroupID           json.RawMessage `json:"groupId"`
	PreviousID        json.RawMessage `json:"previousId"`
	Properties        json.RawMessage `json:"properties"`
	Traits            json.RawMessage `json:"traits"`
	Context           json.RawMessage `json:"context"`
	Timestamp         json.RawMessage `json:"timestamp"`
	OriginalTimestamp json.RawMessage `json:"originalTimestamp"`
	SentAt            json.RawMessage `json:"sentAt"`
	Integrations      json.RawMessage `json:"integrations"`
	WriteKey          string          `json:"writeKey"`
}

// Parse validates a request body and returns its messages, normalised:
// every message has a messageId, a corrected timestamp, receivedAt, and a
// truncated IP. Any invalid message rejects the whole request, so nothing of
// a bad batch is ever stored.
//
// A well-formed request is decoded in one pass over its bytes (decode.go).
// Anything that pass is not sure of, every invalid request among it, is
// parsed again by parseExact, the encoding/json reading that defines
// Parse's results and error messages: errors are rare, and one definition
// of them is easier to keep right than two.
func Parse(r Request) (Parsed, error) {
	if p, ok := parseFast(r); ok {
		return p, nil
	}
	if r.BodyText != "" {
		r.Body = []byte(r.BodyText)
	}
	return parseExact(r)
}

// parseExact is Parse by encoding/json: the reference the single-pass
// decoder must agree with (FuzzParse checks it does), and the path of every
// request it declines.
func parseExact(r Request) (Parsed, error) {
	if len(r.Body) == 0 {
		return Parsed{}, errorf("invalid_body", "request body is empty")
	}
	if len(r.Body) > MaxBatchBytes {
		return Parsed{}, errorf("batch_too_large", "request body is %d bytes; the limit is %d", len(r.Body), MaxBatchBytes)
	}
	if !utf8.Valid(r.Body) {
		return Parsed{}, errorf("invalid_json", "request body is not valid UTF-8")
	}
	body := bytes.TrimSpace(r.Body)
	if len(body) == 0 || body[0] != '{' {
		return Parsed{}, errorf("invalid_json", "request body must be a JSON object")
	}
	if !json.Valid(body) {
		return Parsed{}, errorf("invalid_json", "request body is not valid JSON")
	}
	d, lone := scanJSON(body)
	if d > MaxNesting {
		return Parsed{}, errorf("too_deep", "request body nests %d levels deep; the limit is %d", d, MaxNesting)
	}
	if lone {
		return Parsed{}, errorf("invalid_json", "request body escapes half a UTF-16 surrogate pair (\\ud800-\\udfff): not valid Unicode")
	}

	var raws []json.RawMessage
	var writeKey string
	var batchSentAt *time.Time
	var batchContext json.RawMessage
	if r.Type == "" {
		var wb wireBatch
		if err := json.Unmarshal(body, &wb); err != nil {
			return Parsed{}, errorf("invalid_json", "batch: %s", jsonProblem(err))
		}
		if wb.Batch == nil {
			return Parsed{}, errorf("invalid_batch", `body must have a "batch" array of messages`)
		}
		if len(wb.Batch) == 0 {
			return Parsed{}, errorf("invalid_batch", "batch is empty")
		}
		if len(wb.Batch) > MaxBatchLen {
			return Parsed{}, errorf("batch_too_large", "batch has %d messages; the limit is %d", len(wb.Batch), MaxBatchLen)
		}
		raws, writeKey, batchContext = wb.Batch, wb.WriteKey, wb.Context
		t, err := parseOptionalTime(wb.SentAt)
		if err != nil {
			return Parsed{}, errorf("invalid_timestamp", "sentAt: %v", err)
		}
		batchSentAt = t
	} else {
		raws = []json.RawMessage{body}
	}

	out := Parsed{WriteKey: writeKey, Messages: make([]Message, 0, len(raws))}
	for i, raw := range raws {
		m, wk, err := parseMessage(raw, r, batchSentAt, batchContext)
		if err != nil {
			var te *Error
			if errors.As(err, &te) {
				if r.Type == "" {
					te.Message = fmt.Sprintf("batch[%d]: %s", i, te.Message)
				}
				return Parsed{}, te
			}
			return Parsed{}, err
		}
		if out.WriteKey == "" {
			out.WriteKey = wk
		}
		out.Messages = append(out.Messages, m)
	}
	return out, nil
}

func parseMessage(raw json.RawMessage, r Request, batchSentAt *time.Time, batchContext json.RawMessage) (Message, string, error) {
	if len(raw) > MaxMessageBytes {
		return Message{}, "", errorf("message_too_large", "message is %d bytes; the limit is %d", len(raw), MaxMessageBytes)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return Message{}, "", errorf("invalid_message", "message must be a JSON object")
	}
	var w wireMessage
	if err := json.Unmarshal(raw, &w); err != nil {
		return Message{}, "", errorf("invalid_message", "%s", jsonProblem(err))
	}
	m := Message{Type: w.Type, ReceivedAt: r.ReceivedAt.UTC()}
	if r.Type != "" {
		if m.Type != "" && m.Type != r.Type {
			return Message{}, "", errorf("invalid_type", "type %q does not match the endpoint's type %q", m.Type, r.Type)
		}
		m.Type = r.Type
	}
	switch m.Type {
	case TypeTrack, TypePage, TypeIdentify, TypeScreen, TypeGroup, TypeAlias:
	case "":
		return Message{}, "", errorf("invalid_type", `type is required: one of "track", "page", "identify", "screen", "group", "alias"`)
	default:
		return Message{}, "", errorf("invalid_type", "type %q is not one of track, page, identify, screen, group, alias", truncate(m.Type, 40))
	}

	var err error
	fields := []struct {
		name string
		raw  json.RawMessage
		dst  *string
		max  int
	}{
		{"messageId", w.MessageID, &m.MessageID, maxIDLen},
		{"anonymousId", w.AnonymousID, &m.AnonymousID, maxIDLen},
		{"userId", w.UserID, &m.UserID, maxIDLen},
		{"event", w.Event, &m.Event, maxEventNameLen},
		{"name", w.Name, &m.Name, maxEventNameLen},
		{"category", w.Category, &m.Category, maxEventNameLen},
		{"groupId", w.GroupID, &m.GroupID, maxIDLen},
		{"previousId", w.PreviousID, &m.PreviousID, maxIDLen},
	}
	for _, f := range fields {
		if *f.dst, err = idString(f.raw); err != nil {
			return Message{}, "", errorf("invalid_field", "%s %v", f.name, err)
		}
		if len(*f.dst) > f.max {
			return Message{}, "", errorf("invalid_field", "%s is %d characters; the limit is %d", f.name, len(*f.dst), f.max)
		}
	}
	if m.UserID == "" && m.AnonymousID == "" {
		return Message{}, "", errorf("missing_identity", "message needs a userId or an anonymousId")
	}
	if m.Type == TypeTrack && m.Event == "" {
		return Message{}, "", errorf("missing_event", "a track call needs an event name")
	}
	if m.Type == TypeGroup && m.GroupID == "" {
		return Message{}, "", errorf("missing_field", "a group call needs a groupId")
	}
	if m.Type == TypeAlias && m.PreviousID == "" {
		return Message{}, "", errorf("missing_field", "an alias call needs a previousId")
	}
	if m.Properties, err = object(w.Properties); err != nil {
		return Message{}, "", errorf("invalid_field", "properties %v", err)
	}
	if m.Traits, err = object(w.Traits); err != nil {
		return Message{}, "", errorf("invalid_field", "traits %v", err)
	}
	if err := ValidateTraits(m.Traits); err != nil {
		return Message{}, "", errorf("invalid_traits", "traits: %v", err)
	}
	m.Traits = CleanTraits(m.Traits)
	ctxRaw := w.Context
	if len(bytes.TrimSpace(ctxRaw)) == 0 || string(bytes.TrimSpace(ctxRaw)) == "null" {
		ctxRaw = batchContext
	}
	if m.Context, err = parseContext(ctxRaw); err != nil {
		return Message{}, "", errorf("invalid_field", "context %v", err)
	}
	if err := ValidateTraits(m.Context.Traits); err != nil {
		return Message{}, "", errorf("invalid_traits", "context.traits: %v", err)
	}
	m.Context.Traits = CleanTraits(m.Context.Traits)
	// The hash leaves both trait maps first, so the merge below cannot copy it.
	m.UserHash = userHash(w.Integrations, m.Traits, m.Context.Traits)
	if m.Type == TypeIdentify {
		if m.Traits, err = identifyTraits(m.Traits, m.Context.Traits); err != nil {
			return Message{}, "", errorf("invalid_traits", "traits and context.traits: %v", err)
		}
	}
	if m.Context.IP == "" {
		m.Context.IP = r.SourceIP
	}
	m.Context.IP = TruncateIP(m.Context.IP)
	if m.Context.Page == nil && (m.Type == TypePage || m.Type == TypeScreen) {
		// Server libraries (analytics-node) send the page only as the page
		// call's properties, as the spec defines them.
		m.Context.Page = pageFromProperties(m.Properties)
	}
	if m.Context.Campaign.Empty() && m.Context.Page != nil {
		m.Context.Campaign = CampaignFromURL(m.Context.Page.URL)
	}

	if err := m.setTimes(w, batchSentAt); err != nil {
		return Message{}, "", err
	}
	if m.MessageID == "" {
		// A deterministic id means a client that retries the same bytes
		// without an id is still de-duplicated.
		sum := sha256.Sum256(raw)
		m.MessageID = "lf-" + hex.EncodeToString(sum[:16])
	}
	return m, w.WriteKey, nil
}

// UserHashKey is the field that carries a user hash: in
// integrations.Leadflow (how analytics.js and RudderStack pass options to
// one destination, as Segment's Intercom destination takes its user_hash),
// or in traits or context.traits (what the Leadflow snippet and libraries
// that only pass traits can send).
const UserHashKey = "user_hash"

// userHash takes the call's user hash and removes it from the traits: it is
// a credential of the call, not a fact about the person, so it is never
// stored. A non-string value counts as no hash.
func userHash(integrations json.RawMessage, traits ...map[string]any) string {
	return takeUserHash(integrationsHash(integrations), traits...)
}

// integrationsHash is the user hash in integrations.Leadflow, or "".
func integrationsHash(integrations json.RawMessage) string {
	var hash string
	var opts map[string]json.RawMessage
	if json.Unmarshal(integrations, &opts) == nil {
		for k, v := range opts {
			if !strings.EqualFold(k, "leadflow") {
				continue
			}
			var dest map[string]any
			if json.Unmarshal(v, &dest) == nil {
				if s, ok := dest[UserHashKey].(string); ok && hash == "" {
					hash = s
				}
			}
		}
	}
	return hash
}

// takeUserHash removes the hash from the trait maps and returns the call's
// hash: the one from integrations when given, else the first in traits.
func takeUserHash(hash string, traits ...map[string]any) string {
	for _, t := range traits {
		if v, ok := t[UserHashKey]; ok {
			if s, ok := v.(string); ok && hash == "" {
				hash = s
			}
			delete(t, UserHashKey)
		}
	}
	return truncate(strings.TrimSpace(hash), 128)
}

func pageFromProperties(props map[string]any) *Page {
	str := func(k string) string { s, _ := props[k].(string); return s }
	p := &Page{URL: str("url"), Title: str("title"), Referrer: str("referrer"), Path: str("path"), Search: str("search")}
	if *p == (Page{}) {
		return nil
	}
	return p
}

// setTimes applies the spec's clock-skew correction: when the client says
// when it sent the request, timestamp = receivedAt - (sentAt - originalTimestamp).
func (m *Message) setTimes(w wireMessage, batchSentAt *time.Time) error {
	ts, err := parseOptionalTime(w.Timestamp)
	if err != nil {
		return errorf("invalid_timestamp", "timestamp: %v", err)
	}
	orig, err := parseOptionalTime(w.OriginalTimestamp)
	if err != nil {
		return errorf("invalid_timestamp", "originalTimestamp: %v", err)
	}
	sent, err := parseOptionalTime(w.SentAt)
	if err != nil {
		return errorf("invalid_timestamp", "sentAt: %v", err)
	}
	m.applyTimes(ts, orig, sent, batchSentAt)
	return nil
}

// applyTimes sets the message's times from the client's (nil when absent).
func (m *Message) applyTimes(ts, orig, sent, batchSentAt *time.Time) {
	if sent == nil {
		sent = batchSentAt
	}
	if orig == nil {
		orig = ts
	}
	m.SentAt = sent
	m.OriginalTimestamp = orig
	switch {
	case orig != nil && sent != nil:
		m.Timestamp = m.ReceivedAt.Add(-sent.Sub(*orig))
	case orig != nil:
		m.Timestamp = orig.UTC()
	default:
		m.Timestamp = m.ReceivedAt
	}
	// A clock far in the future would pin "last seen" there for good, and one
	// far in the past would let anyone holding the public write key backdate
	// a contact's first seen and first touch: outside the window the event
	// happened when it was received (the client's time stays in
	// originalTimestamp).
	if m.Timestamp.After(m.ReceivedAt.Add(MaxClockAhead)) || m.Timestamp.Before(m.ReceivedAt.Add(-MaxClockBehind)) {
		m.Timestamp = m.ReceivedAt
	}
}

// The window an event's timestamp may lie in around the time it is received;
// outside it the receive time is used.
const (
	MaxClockAhead = 24 * time.Hour
	// MaxClockBehind covers clients that queue events offline (the Segment
	// libraries retry for days) and SQS's retention, not history imports.
	MaxClockBehind = 7 * 24 * time.Hour
)

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func parseOptionalTime(raw json.RawMessage) (*time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("must be an ISO-8601 string")
	}
	return parseTimeString(s)
}

// parseTimeString reads a client's time; "" is none.
func parseTimeString(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, fmt.Errorf("%q is not an ISO-8601 date-time", truncate(s, 40))
}

// idString accepts a JSON string or number (some server libraries send
// numeric user ids) and returns it as a string.
func idString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("is not a valid string")
		}
		return strings.TrimSpace(s), nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", fmt.Errorf("is not a valid number")
		}
		if _, err := strconv.ParseFloat(n.String(), 64); err != nil {
			return "", fmt.Errorf("is not a valid number")
		}
		return n.String(), nil
	}
	return "", fmt.Errorf("must be a string")
}

func object(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf("must be a JSON object")
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("must be a JSON object")
	}
	return m, nil
}

func parseContext(raw json.RawMessage) (Context, error) {
	var c Context
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return c, nil
	}
	if raw[0] != '{' {
		return c, fmt.Errorf("must be a JSON object")
	}
	var fields rawContext
	if err := json.Unmarshal(raw, &fields); err != nil {
		return c, fmt.Errorf("must be a JSON object")
	}
	for key, v := range fields {
		var err error
		switch key {
		case "page":
			c.Page = &Page{}
			err = decodeStrict(v, c.Page)
		case "campaign":
			c.Campaign = &Campaign{}
			err = decodeStrict(v, c.Campaign)
		case "userAgent":
			err = json.Unmarshal(v, &c.UserAgent)
		case "ip":
			err = json.Unmarshal(v, &c.IP)
		case "locale":
			err = json.Unmarshal(v, &c.Locale)
		case "timezone":
			// Only a zone or a fixed offset is kept, in the form quiet hours
			// read (see package timezone); anything else ("NA") is dropped.
			if err = json.Unmarshal(v, &c.Timezone); err == nil {
				c.Timezone, _ = timezone.Normalize(c.Timezone)
			}
		case "traits":
			c.Traits, err = object(v)
		case "library":
			c.Library = &Library{}
			err = decodeStrict(v, c.Library)
		case "location":
			c.Location = &Location{}
			err = decodeLenient(v, c.Location)
		case "leadflow":
			// Reserved for Leadflow's own producers: kept as plain data in
			// Extra, never honoured as instructions.
			var x any
			if err = json.Unmarshal(v, &x); err == nil {
				if c.Extra == nil {
					c.Extra = map[string]any{}
				}
				c.Extra["leadflow"] = x
			}
		default:
			var x any
			if err = json.Unmarshal(v, &x); err == nil {
				if c.Extra == nil {
					c.Extra = map[string]any{}
				}
				c.Extra[key] = x
			}
		}
		if err != nil {
			return Context{}, fmt.Errorf("field %q: %s", key, jsonProblem(err))
		}
	}
	if c.Page != nil && *c.Page == (Page{}) {
		c.Page = nil
	}
	if c.Campaign.Empty() {
		c.Campaign = nil
	}
	if c.Location != nil && *c.Location == (Location{}) {
		c.Location = nil
	}
	if c.IP != "" && net.ParseIP(c.IP) == nil {
		return Context{}, fmt.Errorf("field \"ip\": %q is not an IP address", truncate(c.IP, 60))
	}
	return c, nil
}

// decodeLenient decodes what it can: analytics libraries put numbers
// (latitude, speed) beside the strings Leadflow keeps.
func decodeLenient(raw json.RawMessage, dst *Location) error {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	str := func(k string) string { s, _ := m[k].(string); return truncate(s, 100) }
	*dst = Location{Country: str("country"), Region: str("region"), City: str("city")}
	return nil
}

// decodeStrict decodes a JSON object into dst; null leaves dst empty.
func decodeStrict(raw json.RawMessage, dst any) error {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	return json.Unmarshal(raw, dst)
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("field %q must be %s, not %s", te.Field, kind(te.Type.Kind().String()), te.Value)
		}
		return fmt.Sprintf("must be %s, not %s", kind(te.Type.Kind().String()), te.Value)
	}
	return err.Error()
}

func kind(k string) string {
	switch k {
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	}
	return "a " + k
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// TruncateIP drops the host part of an address (IPv4 to /24, IPv6 to /48)
// so no full IP address is ever stored. Invalid input yields "".
func TruncateIP(s string) string {
	ip := net.ParseIP(strings.TrimSpace(s))
	if ip == nil {
		return ""
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.Mask(net.CIDRMask(24, 32)).String()
	}
	return ip.Mask(net.CIDRMask(48, 128)).String()
}
