package form

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/lazyregexp"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Limits on one submission.
const (
	// MaxBodyBytes bounds a posted body: 50 fields of a few KB each fit, and
	// nothing larger is ever decoded.
	MaxBodyBytes = 64 * 1024
	// maxKeys bounds how many keys a body may carry, known or not.
	maxKeys = 200
	// maxIDLen matches the tracking parser's limit on ids.
	maxIDLen     = 200
	maxUTMLen    = 200
	maxUserAgent = 512
	// maxReported bounds the problems listed in one error.
	maxReported = 20
)

// EventName is the track event every accepted submission produces.
const EventName = "Form Submitted"

// Error is a submission the sender must fix. Code is machine-readable;
// Fields lists the problem of each field, for a form to highlight them.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

// FieldError is one field's problem.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Error codes.
const (
	CodeInvalidBody       = "invalid_body"
	CodeBodyTooLarge      = "body_too_large"
	CodeUnsupportedType   = "unsupported_media_type"
	CodeInvalidSubmission = "invalid_submission"
)

// Submission is a parsed, validated form fill.
type Submission struct {
	Form Form
	// Spam is set when the honeypot was filled; nothing else is parsed then,
	// so a bot learns nothing from the answer.
	Spam bool
	// Email is normalised (contact.NormalizeEmail).
	Email string
	// Values holds each non-empty field's value by field name: a string, a
	// float64 for number fields, a bool for checkboxes.
	Values      map[string]any
	AnonymousID string
	Page        *tracking.Page
	Campaign    *tracking.Campaign
	// Consented is true when the form records consent and this submission
	// gave it (its consent checkbox was ticked, or it needs none).
	Consented bool
	At        time.Time
	// IP is already truncated; the full address is never kept.
	IP        string
	UserAgent string
	// digest identifies the submission's content (see Messages).
	digest string
}

// Status is "pending", "subscribed" or "received" (see Form.Status).
func (s Submission) Status() string { return s.Form.Status(s.Consented) }

// Parse reads a posted form: application/x-www-form-urlencoded,
// multipart/form-data (without files) or JSON (also sent as text/plain, which
// browsers post without a CORS preflight). page is the Referer, used when the
// body has no page_url; ip is the caller's full address, truncated here. A
// filled honeypot returns a Submission with Spam set and no error. Every
// other problem is an *Error listing all the fields at fault.
func Parse(f Form, contentType string, body []byte, now time.Time, page, ip, ua string) (Submission, error) {
	raw, err := decode(contentType, body)
	if err != nil {
		return Submission{}, err
	}
	sub := Submission{Form: f, At: now.UTC()}
	for _, v := range raw[f.Honeypot()] {
		if strings.TrimSpace(v) != "" {
			sub.Spam = true
			return sub, nil
		}
	}

	var problems []FieldError
	bad := func(field, code, format string, args ...any) {
		problems = append(problems, FieldError{Field: clip(field), Code: code, Message: fmt.Sprintf(format, args...)})
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !utf8.ValidString(k) {
			bad(strings.ToValidUTF8(k, "?"), "invalid_value", "field name is not valid UTF-8")
			continue
		}
		if _, known := f.Field(k); known || reservedField(k) || k == f.Honeypot() {
			continue
		}
		bad(k, "unknown_field", "%q is not a field of this form", clip(k))
	}

	// The extra keys every form accepts.
	anon, err := single(raw, "anonymous_id", "anonymousId")
	if err != nil {
		bad("anonymous_id", "invalid_value", "%v", err)
	}
	if anon = cleanLine(anon); utf8.RuneCountInString(anon) > maxIDLen {
		bad("anonymous_id", "too_long", "anonymous_id is over %d characters", maxIDLen)
	} else {
		sub.AnonymousID = anon
	}
	pageURL, err := single(raw, "page_url")
	if err != nil {
		bad("page_url", "invalid_value", "%v", err)
	}
	if pageURL = cleanLine(pageURL); pageURL != "" {
		if !validPageURL(pageURL) {
			bad("page_url", "invalid_value", "page_url must be an absolute http(s) URL of at most %d characters", maxURLLen)
			pageURL = ""
		}
	} else if p := cleanLine(page); validPageURL(p) {
		// The Referer is a hint, not input: a bad one is ignored, not refused.
		pageURL = p
	}
	if pageURL != "" {
		sub.Page = pageOf(pageURL)
	}
	var c tracking.Campaign
	for _, u := range []struct {
		key string
		dst *string
	}{{"utm_source", &c.Source}, {"utm_medium", &c.Medium}, {"utm_campaign", &c.Name}, {"utm_term", &c.Term}, {"utm_content", &c.Content}} {
		v, err := single(raw, u.key)
		if err != nil {
			bad(u.key, "invalid_value", "%v", err)
		}
		if v = cleanLine(v); utf8.RuneCountInString(v) > maxUTMLen {
			bad(u.key, "too_long", "%s is over %d characters", u.key, maxUTMLen)
		} else {
			*u.dst = v
		}
	}
	if !c.Empty() {
		sub.Campaign = &c
	} else if sub.Page != nil {
		sub.Campaign = tracking.CampaignFromURL(sub.Page.URL)
	}

	sub.Values = map[string]any{}
	for _, x := range f.Fields {
		vs := raw[x.Name]
		if x.Type == TypeCheckbox {
			ticked, err := checkbox(vs)
			switch {
			case err != nil:
				bad(x.Name, "invalid_value", "%s: %v", x.label(), err)
			case !ticked && x.Required:
				bad(x.Name, "required", "%s must be ticked", x.label())
			case ticked:
				sub.Values[x.Name] = true
			}
			continue
		}
		if len(vs) > 1 {
			bad(x.Name, "invalid_value", "%s was sent %d times; send it once", x.label(), len(vs))
			continue
		}
		v := ""
		if len(vs) == 1 {
			v = vs[0]
		}
		if !utf8.ValidString(v) {
			bad(x.Name, "invalid_value", "%s is not valid UTF-8 text", x.label())
			continue
		}
		if x.Type == TypeTextarea {
			v = cleanText(v)
		} else {
			v = cleanLine(v)
		}
		if v == "" {
			if x.Required {
				bad(x.Name, "required", "%s is required", x.label())
			}
			continue
		}
		if n := utf8.RuneCountInString(v); n > x.limit() {
			bad(x.Name, "too_long", "%s is %d characters; at most %d", x.label(), n, x.limit())
			continue
		}
		switch x.Type {
		case TypeEmail:
			e := email(v)
			if e == "" {
				bad(x.Name, "invalid_email", "%s %q is not an email address", x.label(), clip(v))
				continue
			}
			sub.Email = e
			sub.Values[x.Name] = e
		case TypeNumber:
			n, err := strconv.ParseFloat(v, 64)
			if !numberPattern.MatchString(v) || err != nil || math.IsInf(n, 0) {
				bad(x.Name, "invalid_value", "%s must be a number", x.label())
				continue
			}
			sub.Values[x.Name] = n
		case TypeTel:
			if !telPattern.MatchString(v) || digits(v) < 3 {
				bad(x.Name, "invalid_value", "%s %q is not a phone number", x.label(), clip(v))
				continue
			}
			sub.Values[x.Name] = v
		case TypeSelect:
			if !containsString(x.Options, v) {
				bad(x.Name, "invalid_value", "%s must be one of: %s", x.label(), strings.Join(x.Options, ", "))
				continue
			}
			sub.Values[x.Name] = v
		default:
			sub.Values[x.Name] = v
		}
		if tv, ok := sub.Values[x.Name]; ok && x.Trait != "" {
			// The same door as identify calls: no markup in traits.
			if err := tracking.ValidateTraits(map[string]any{x.Trait: tv}); err != nil {
				delete(sub.Values, x.Name)
				bad(x.Name, "invalid_value", "%s must not contain HTML tags or javascript: URLs", x.label())
			}
		}
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return fieldOrder(f, problems[i].Field) < fieldOrder(f, problems[j].Field) })
		if len(problems) > maxReported {
			problems = problems[:maxReported]
		}
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Message
		}
		return Submission{}, &Error{Code: CodeInvalidSubmission, Message: strings.Join(msgs, "; "), Fields: problems}
	}
	if sub.Email == "" { // Validate makes the email field required; a form that skipped it is a bug
		return Submission{}, &Error{Code: CodeInvalidSubmission, Message: "the form has no email field"}
	}
	if cf := f.Consent; cf != nil {
		sub.Consented = cf.Field == "" || sub.Values[cf.Field] == true
	}
	sub.IP = tracking.TruncateIP(ip)
	sub.UserAgent = truncateRunes(cleanLine(ua), maxUserAgent)
	sub.digest = sub.contentDigest()
	return sub, nil
}

// decode turns a body into its keys' values, by media type.
func decode(contentType string, body []byte) (map[string][]string, error) {
	if len(body) > MaxBodyBytes {
		return nil, &Error{Code: CodeBodyTooLarge, Message: fmt.Sprintf("the submission is %d bytes; the limit is %d", len(body), MaxBodyBytes)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &Error{Code: CodeInvalidBody, Message: "the submission is empty"}
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return nil, &Error{Code: CodeUnsupportedType, Message: fmt.Sprintf("Content-Type %q is not a media type", clip(contentType))}
	}
	var out map[string][]string
	switch {
	case mt == "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &Error{Code: CodeInvalidBody, Message: "the form body is not valid URL encoding"}
		}
		out = q
	case mt == "multipart/form-data":
		if out, err = decodeMultipart(body, params["boundary"]); err != nil {
			return nil, err
		}
	case mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		(mt == "text/plain" && bytes.HasPrefix(bytes.TrimSpace(body), []byte("{"))):
		if out, err = decodeJSON(body); err != nil {
			return nil, err
		}
	default:
		return nil, &Error{Code: CodeUnsupportedType, Message: "send the form as application/x-www-form-urlencoded, multipart/form-data or application/json"}
	}
	if len(out) > maxKeys {
		return nil, &Error{Code: CodeInvalidBody, Message: fmt.Sprintf("the submission has %d fields; at most %d", len(out), maxKeys)}
	}
	return out, nil
}

func decodeMultipart(body []byte, boundary string) (map[string][]string, error) {
	if boundary == "" {
		return nil, &Error{Code: CodeInvalidBody, Message: "multipart/form-data needs a boundary parameter"}
	}
	out := map[string][]string{}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for parts := 0; ; parts++ {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, &Error{Code: CodeInvalidBody, Message: "the multipart body is malformed"}
		}
		if parts >= maxKeys {
			return nil, &Error{Code: CodeInvalidBody, Message: fmt.Sprintf("the submission has over %d parts", maxKeys)}
		}
		name := p.FormName()
		if name == "" {
			return nil, &Error{Code: CodeInvalidBody, Message: "a multipart part has no form field name"}
		}
		if p.FileName() != "" {
			return nil, &Error{Code: CodeInvalidBody, Message: fmt.Sprintf("field %q is a file; forms do not accept files", clip(name))}
		}
		v, err := io.ReadAll(io.LimitReader(p, MaxBodyBytes))
		if err != nil {
			return nil, &Error{Code: CodeInvalidBody, Message: "the multipart body is malformed"}
		}
		out[name] = append(out[name], string(v))
	}
}

// decodeJSON reads a flat JSON object. Values are strings, numbers or
// booleans; null is the same as leaving the field out.
func decodeJSON(body []byte) (map[string][]string, error) {
	if !utf8.Valid(body) {
		return nil, &Error{Code: CodeInvalidBody, Message: "the JSON body is not valid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, &Error{Code: CodeInvalidBody, Message: "the body must be a JSON object of field names to values"}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &Error{Code: CodeInvalidBody, Message: "the body has data after its JSON object"}
	}
	out := make(map[string][]string, len(obj))
	for k, v := range obj {
		switch x := v.(type) {
		case nil:
		case string:
			out[k] = []string{x}
		case json.Number:
			out[k] = []string{x.String()}
		case bool:
			out[k] = []string{strconv.FormatBool(x)}
		default:
			return nil, &Error{Code: CodeInvalidSubmission, Message: fmt.Sprintf("field %q must be a string, number or boolean", clip(k)),
				Fields: []FieldError{{Field: clip(k), Code: "invalid_value", Message: "must be a string, number or boolean"}}}
		}
	}
	return out, nil
}

// single returns the one value sent under any of the names.
func single(raw map[string][]string, names ...string) (string, error) {
	var got []string
	for _, n := range names {
		got = append(got, raw[n]...)
	}
	if len(got) == 0 {
		return "", nil
	}
	for _, v := range got[1:] {
		if v != got[0] {
			return "", fmt.Errorf("%s was sent more than once with different values", names[0])
		}
	}
	if !utf8.ValidString(got[0]) {
		return "", fmt.Errorf("%s is not valid UTF-8", names[0])
	}
	return got[0], nil
}

// checkbox reads a checkbox: browsers send "on" (or the value attribute)
// when ticked and nothing when not; scripts send booleans.
func checkbox(vs []string) (bool, error) {
	ticked := false
	for _, v := range vs {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "on", "true", "1", "yes", "checked":
			ticked = true
		case "", "off", "false", "0", "no":
		default:
			return false, fmt.Errorf("a checkbox is ticked (true, on, 1, yes) or not (false, off, 0, no, absent)")
		}
	}
	return ticked, nil
}

// numberPattern is a plain decimal: no hex, exponents, Inf or NaN, which
// ParseFloat would accept but no person types into a number field.
var numberPattern = lazyregexp.New(`^[-+]?[0-9]{1,30}(?:\.[0-9]{1,30})?$`)

var telPattern = lazyregexp.New(`^\+?[0-9 ()./-]+(?:\s*(?:x|ext\.?)\s*[0-9]+)?$`)

func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// email normalises an address and accepts it only if it is a plain
// addr-spec: contact.NormalizeEmail's shape checks, and net/mail must read
// it back as the same address (no display names, comments or brackets).
func email(v string) string {
	e := contact.NormalizeEmail(v)
	if e == "" || len(e) > defaultMaxLength[TypeEmail] || strings.Count(e, "@") != 1 {
		return ""
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return ""
	}
	local, domain, _ := strings.Cut(e, "@")
	if local == "" || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return ""
	}
	return e
}

// cleanLine trims a one-line value and removes control characters; line
// breaks become spaces (a text input cannot contain them). The same rule as
// for traits sent through the tracking API.
func cleanLine(s string) string { return tracking.CleanLine(s) }

// cleanText is cleanLine for multi-line text: it keeps line breaks (as \n)
// and tabs.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\n' || r == '\t':
			return r
		case isControl(r):
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// isControl covers C0/C1 controls, DEL, and the invisible format characters
// (bidi overrides, zero-width) that make stored text display misleadingly.
func isControl(r rune) bool { return tracking.IsInvisible(r) }

func hasControl(s string) bool { return strings.IndexFunc(s, isControl) >= 0 }

func validPageURL(s string) bool {
	if s == "" || len(s) > maxURLLen {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// pageOf describes the page a form was on. The fragment is dropped: it is
// client-side state, and it may carry tokens.
func pageOf(raw string) *tracking.Page {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	u.Fragment, u.RawFragment = "", ""
	p := &tracking.Page{URL: u.String(), Path: u.EscapedPath()}
	if u.RawQuery != "" {
		p.Search = "?" + u.RawQuery
	}
	return p
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// fieldOrder sorts problems in the form's field order, extras last.
func fieldOrder(f Form, name string) int {
	for i, x := range f.Fields {
		if x.Name == name {
			return i
		}
	}
	return len(f.Fields)
}

// contentDigest identifies what was submitted: the form, the UTC day, the
// anonymous id and every normalised value. Two identical submissions on the
// same day (a double click, a browser resubmitting) get the same message
// ids, so the processor applies them once; the same answers on another day
// count again.
func (s Submission) contentDigest() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", s.Form.ID, s.At.Format("2006-01-02"), s.AnonymousID)
	names := make([]string, 0, len(s.Values))
	for k := range s.Values {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(h, "%s=%T:%v\x00", k, s.Values[k], s.Values[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Messages turns a submission into what the contact pipeline applies: an
// identify carrying the mapped traits (so the email becomes an identity and
// traits merge by recency), then a "Form Submitted" track carrying the form's
// instructions (consent, double opt-in, tags, lists) in context.leadflow.
// Both carry the posted anonymous id, so a known visitor's earlier events
// and this form fill end up on one contact. A spam submission has none.
func (s Submission) Messages() []tracking.Message {
	if s.Spam || s.Email == "" {
		return nil
	}
	f := s.Form
	traits := map[string]any{"email": s.Email}
	props := map[string]any{"form_id": f.ID, "form_name": f.Name}
	for _, x := range f.Fields {
		v, ok := s.Values[x.Name]
		if !ok {
			continue
		}
		switch {
		case x.Type == TypeEmail:
		case x.Trait != "":
			traits[x.Trait] = v
		case x.Type == TypeTel:
			// A phone number is personal data; without a trait it goes nowhere.
		default:
			props[x.Name] = v
		}
	}
	ctx := func() tracking.Context {
		c := tracking.Context{IP: s.IP, UserAgent: s.UserAgent, Library: &tracking.Library{Name: "leadflow-forms"}}
		if s.Page != nil {
			p := *s.Page
			c.Page = &p
		}
		if !s.Campaign.Empty() {
			cp := *s.Campaign
			c.Campaign = &cp
		}
		return c
	}
	in := &tracking.Internal{FormID: f.ID, DoubleOptIn: f.DoubleOptIn && s.Consented,
		Tags: append([]string(nil), f.Tags...), Lists: append([]string(nil), f.Lists...)}
	if s.Consented {
		c := &tracking.Consent{Purpose: f.Consent.Purpose, Text: f.Consent.Text, At: s.At, IP: s.IP, Source: "form:" + f.ID}
		if s.Page != nil {
			c.Page = s.Page.URL
		}
		in.Consent = c
	}

	identify := tracking.Message{
		Type: tracking.TypeIdentify, MessageID: "form:" + s.digest + ":identify",
		AnonymousID: s.AnonymousID, Traits: traits, Context: ctx(),
		Timestamp: s.At, ReceivedAt: s.At,
	}
	track := tracking.Message{
		Type: tracking.TypeTrack, MessageID: "form:" + s.digest + ":track", Event: EventName,
		AnonymousID: s.AnonymousID, Properties: props, Context: ctx(),
		Timestamp: s.At, ReceivedAt: s.At,
	}
	track.Context.Traits = map[string]any{"email": s.Email}
	track.Context.Leadflow = in
	return []tracking.Message{identify, track}
}
