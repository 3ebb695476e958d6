// Package form holds lead-capture forms as data: which fields a form has,
// how they map to contact traits, what consent a submission records, and
// how a posted body becomes the tracking messages the contact pipeline
// applies. It is plain Go: storage is behind the Store port.
//
// Values people type are stored as text exactly as typed (after trimming and
// removing control characters); nothing here escapes HTML. Fields mapped to
// contact traits follow the tracking API's trait rules
// (tracking.ValidateTraits): markup there is refused, because traits are
// merged into emails and shown to marketers. Unmapped fields (a message, a
// hidden value) become event properties and may hold any text, "<script>"
// included, exactly like tracking properties: every place that shows a value
// (the admin API's JSON, emails, pages) must escape it for its own output, as
// the error page in ingestfn does with html/template.
package form

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadflow/leadflow/shared/lazyregexp"
	"github.com/leadflow/leadflow/shared/site"
)

// Field types a form may have.
const (
	TypeEmail    = "email"
	TypeText     = "text"
	TypeTextarea = "textarea"
	TypeTel      = "tel"
	TypeNumber   = "number"
	TypeCheckbox = "checkbox"
	TypeSelect   = "select"
	TypeHidden   = "hidden"
)

// DefaultHoneypot is the honeypot field's name when a form names none. The
// name looks like a real field to a bot; the page hides it from people.
const DefaultHoneypot = "website_url"

// Limits on a definition. They keep a form's item and its submissions small.
const (
	maxFields       = 50
	maxMaxLength    = 10000
	maxOptions      = 100
	maxOptionLen    = 200
	maxNameLen      = 200
	maxConsentText  = 2000
	maxTagsOrLists  = 20
	maxOrigins      = 20
	maxURLLen       = 2048
	maxLabelLen     = 200
	maxPurposeLen   = 64
	maxFieldNameLen = 64
	// maxTraitLen keeps a mapped value within the tracking API's trait limit
	// (2,000 bytes) whatever the script: a character is at most 4 bytes.
	maxTraitLen = 500
)

// defaultMaxLength is each type's length limit (in characters) when the
// definition sets none: enough for real input, small enough that a form fill
// cannot bloat a profile.
var defaultMaxLength = map[string]int{
	TypeEmail:    254, // RFC 5321's limit on a forward path
	TypeText:     500,
	TypeTextarea: 5000,
	TypeTel:      40,
	TypeNumber:   40,
	TypeCheckbox: 10,
	TypeSelect:   maxOptionLen,
	TypeHidden:   500,
}

// Form is one lead-capture form. Its JSON is the format of the repo's
// definitions/forms/*.json files and of the admin API.
type Form struct {
	// ID appears in the form's action URL: POST /v1/forms/{id}.
	ID   string `json:"id"`
	Name string `json:"name"`
	// SiteKey, when set, ties the form to one site: its allowed origins apply
	// (unless the form lists its own) and its events are queued under it.
	SiteKey string  `json:"site_key,omitempty"`
	Fields  []Field `json:"fields"`
	// ThankYouURL is where an HTML form's browser is sent after a
	// submission; scripts get it back as "redirect".
	ThankYouURL string `json:"thank_you_url"`
	// DoubleOptIn leaves a new subscriber "pending" until they confirm.
	DoubleOptIn bool     `json:"double_opt_in,omitempty"`
	Consent     *Consent `json:"consent,omitempty"`
	// Tags and Lists are added to the contact on every submission.
	Tags  []string `json:"tags,omitempty"`
	Lists []string `json:"lists,omitempty"`
	// HoneypotField is a field people never fill (the page hides it); a
	// submission that fills it is answered like a success and dropped.
	// Empty means DefaultHoneypot.
	HoneypotField string `json:"honeypot_field,omitempty"`
	// AllowedOrigins restricts which pages may post the form, as
	// scheme://host[:port] or "*". Empty: the site's origins when SiteKey is
	// set, else any origin.
	AllowedOrigins []string  `json:"allowed_origins,omitempty"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
}

// Field is one input of a form.
type Field struct {
	// Name is the input's name attribute.
	Name string `json:"name"`
	Type string `json:"type"`
	// Label names the field in error messages; Name is used when empty.
	Label    string `json:"label,omitempty"`
	Required bool   `json:"required,omitempty"`
	// MaxLength is in characters; 0 means the type's default.
	MaxLength int `json:"max_length,omitempty"`
	// Options are a select field's allowed values.
	Options []string `json:"options,omitempty"`
	// Trait maps the field to a contact trait ("first_name"); the email
	// field always sets the "email" trait. A field without a trait is kept
	// as a property of the "Form Submitted" event instead (except email and
	// tel fields, which are never copied into event properties).
	Trait string `json:"trait,omitempty"`
}

// Consent is what a submission agrees to.
type Consent struct {
	// Purpose names what was agreed to ("newsletter", "marketing").
	Purpose string `json:"purpose"`
	// Text is the wording shown next to the form, kept as evidence.
	Text string `json:"text"`
	// Field is the checkbox that must be ticked for consent to be recorded;
	// "" means submitting the form is itself the consent.
	Field string `json:"field,omitempty"`
}

// ErrNotFound: no form with that id (the registry's readers return it).
var ErrNotFound = errors.New("form not found")

var (
	idPattern        = lazyregexp.New(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	fieldNamePattern = lazyregexp.New(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
	traitPattern     = lazyregexp.New(`^[a-z][a-z0-9_]{0,63}$`)
	tagPattern       = lazyregexp.New(`^[a-z0-9][a-z0-9_:.-]{0,63}$`)
	purposePattern   = lazyregexp.New(`^[a-z][a-z0-9_-]{0,63}$`)
)

// reservedField reports whether a name is one of the extra keys every
// submission may carry besides the form's fields.
func reservedField(name string) bool {
	switch name {
	case "anonymous_id", "anonymousId", "page_url":
		return true
	}
	return strings.HasPrefix(name, "utm_")
}

// Honeypot is the name of the form's honeypot field.
func (f Form) Honeypot() string {
	if f.HoneypotField == "" {
		return DefaultHoneypot
	}
	return f.HoneypotField
}

// Field returns the named field.
func (f Form) Field(name string) (Field, bool) {
	for _, x := range f.Fields {
		if x.Name == name {
			return x, true
		}
	}
	return Field{}, false
}

// EmailField returns the form's email field (Validate ensures there is one).
func (f Form) EmailField() Field {
	for _, x := range f.Fields {
		if x.Type == TypeEmail {
			return x
		}
	}
	return Field{}
}

// limit is the field's effective maximum length.
func (x Field) limit() int {
	if x.MaxLength > 0 {
		return x.MaxLength
	}
	return defaultMaxLength[x.Type]
}

// label is how error messages name the field.
func (x Field) label() string {
	if x.Label != "" {
		return x.Label
	}
	return x.Name
}

// Validate reports every problem with a definition, or nil. The repo's
// definitions (in CI) and the admin API both go through it.
func (f Form) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	if !idPattern.MatchString(f.ID) {
		add("id %q must be 1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit", clip(f.ID))
	}
	if strings.TrimSpace(f.Name) == "" || utf8.RuneCountInString(f.Name) > maxNameLen {
		add("name is required (at most %d characters)", maxNameLen)
	}
	if f.SiteKey != "" {
		if err := (site.Site{Key: f.SiteKey, Name: "x"}).Validate(); err != nil {
			add("site_key %q: %v", clip(f.SiteKey), err)
		}
	}
	if u, err := url.Parse(f.ThankYouURL); f.ThankYouURL == "" || err != nil || !u.IsAbs() ||
		(u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(f.ThankYouURL) > maxURLLen {
		add("thank_you_url %q must be an absolute http(s) URL (at most %d characters)", clip(f.ThankYouURL), maxURLLen)
	}

	honeypot := f.Honeypot()
	if !fieldNamePattern.MatchString(honeypot) || reservedField(honeypot) {
		add("honeypot_field %q must be a field name (a letter, then letters, digits, '-' or '_') other than anonymous_id, page_url and utm_*", clip(honeypot))
	}

	if len(f.Fields) == 0 || len(f.Fields) > maxFields {
		add("fields: a form needs 1 to %d fields, has %d", maxFields, len(f.Fields))
	}
	names := map[string]bool{}
	traits := map[string]string{}
	emails := 0
	for i, x := range f.Fields {
		at := fmt.Sprintf("fields[%d]", i)
		if x.Name != "" {
			at = fmt.Sprintf("fields[%d] (%s)", i, clip(x.Name))
		}
		switch {
		case !fieldNamePattern.MatchString(x.Name):
			add("%s: name must be a letter, then up to %d letters, digits, '-' or '_'", at, maxFieldNameLen-1)
		case reservedField(x.Name):
			add("%s: name is reserved (anonymous_id, anonymousId, page_url and utm_* are read by every form)", at)
		case x.Name == honeypot:
			add("%s: name is the honeypot field's; a real field must not be the honeypot", at)
		case names[strings.ToLower(x.Name)]:
			add("%s: name is used twice (names are compared ignoring case)", at)
		}
		names[strings.ToLower(x.Name)] = true
		if _, ok := defaultMaxLength[x.Type]; !ok {
			add("%s: type %q must be one of email, text, textarea, tel, number, checkbox, select, hidden", at, clip(x.Type))
		}
		if x.Type == TypeEmail {
			emails++
			if !x.Required {
				add("%s: the email field must be required (a submission is keyed by its email)", at)
			}
			if x.Trait != "" && x.Trait != "email" {
				add("%s: the email field always sets the \"email\" trait; trait %q is not allowed", at, clip(x.Trait))
			}
		}
		if x.MaxLength < 0 || x.MaxLength > maxMaxLength {
			add("%s: max_length must be 0 (the type's default) to %d", at, maxMaxLength)
		}
		if x.Type == TypeEmail && x.MaxLength > defaultMaxLength[TypeEmail] {
			add("%s: an email address is at most %d characters", at, defaultMaxLength[TypeEmail])
		}
		if utf8.RuneCountInString(x.Label) > maxLabelLen {
			add("%s: label is over %d characters", at, maxLabelLen)
		}
		if x.Type == TypeSelect {
			if len(x.Options) == 0 || len(x.Options) > maxOptions {
				add("%s: a select field needs 1 to %d options", at, maxOptions)
			}
			seen := map[string]bool{}
			for _, o := range x.Options {
				if strings.TrimSpace(o) != o || o == "" || utf8.RuneCountInString(o) > maxOptionLen || hasControl(o) {
					add("%s: option %q must be 1-%d characters, without surrounding spaces or control characters", at, clip(o), maxOptionLen)
				}
				if seen[o] {
					add("%s: option %q is listed twice", at, clip(o))
				}
				seen[o] = true
			}
		} else if len(x.Options) > 0 {
			add("%s: options are only for select fields", at)
		}
		if x.Trait != "" {
			switch {
			case !traitPattern.MatchString(x.Trait):
				add("%s: trait %q must be lower-case letters, digits or '_', starting with a letter", at, clip(x.Trait))
			case x.Trait == "email" && x.Type != TypeEmail:
				add("%s: only the email field may set the \"email\" trait", at)
			case traits[x.Trait] != "":
				add("%s: trait %q is already set by field %s", at, x.Trait, traits[x.Trait])
			case x.limit() > maxTraitLen:
				add("%s: a field mapped to a trait is at most %d characters (set max_length); longer text belongs in an unmapped field", at, maxTraitLen)
			}
			traits[x.Trait] = x.Name
		}
	}
	if emails != 1 {
		add("fields: a form needs exactly one email field, has %d", emails)
	}

	if c := f.Consent; c != nil {
		if !purposePattern.MatchString(c.Purpose) {
			add("consent.purpose %q must be lower-case letters, digits, '-' or '_' (at most %d)", clip(c.Purpose), maxPurposeLen)
		}
		if strings.TrimSpace(c.Text) == "" || utf8.RuneCountInString(c.Text) > maxConsentText {
			add("consent.text is required: the exact wording people agree to (at most %d characters)", maxConsentText)
		}
		if c.Field != "" {
			if x, ok := f.Field(c.Field); !ok || x.Type != TypeCheckbox {
				add("consent.field %q must name a checkbox field of this form", clip(c.Field))
			}
		}
	}
	if f.DoubleOptIn && f.Consent == nil {
		add("double_opt_in needs consent: a double opt-in confirms a consent")
	}
	for _, set := range []struct {
		name string
		xs   []string
	}{{"tags", f.Tags}, {"lists", f.Lists}} {
		if len(set.xs) > maxTagsOrLists {
			add("%s: at most %d", set.name, maxTagsOrLists)
		}
		for i, x := range set.xs {
			if !tagPattern.MatchString(x) {
				add("%s[%d] %q must be 1-64 lower-case letters, digits, '_', ':', '.' or '-'", set.name, i, clip(x))
			}
			if slices.Index(set.xs, x) != i {
				add("%s[%d] %q is listed twice", set.name, i, clip(x))
			}
		}
	}
	if len(f.AllowedOrigins) > maxOrigins {
		add("allowed_origins: at most %d", maxOrigins)
	}
	if len(f.AllowedOrigins) > 0 {
		// The same rules as a site's origins, so both behave alike.
		if err := (site.Site{Key: "origins-check", Name: "x", AllowedOrigins: f.AllowedOrigins}).Validate(); err != nil {
			add("%v", err)
		}
	}
	if len(p) > 0 {
		return errors.New(strings.Join(p, "; "))
	}
	return nil
}

// AllowsOrigin reports whether a browser origin may post the form, given
// the origins of its site (nil when the form has no site). An empty Origin
// is allowed, as for tracking calls: the origin check guards browsers, not
// servers.
func (f Form) AllowsOrigin(origin string, siteOrigins []string) bool {
	origins := f.AllowedOrigins
	if len(origins) == 0 {
		if f.SiteKey == "" {
			return true
		}
		origins = siteOrigins
	}
	return site.Site{AllowedOrigins: origins}.AllowsOrigin(origin)
}

// Bound reports whether the form names the pages allowed to post it: a site
// of its own, or origins that are not the wildcard. Only a bound form can
// tell a fill from its own pages from a forged one.
func (f Form) Bound() bool {
	if len(f.AllowedOrigins) == 0 {
		return f.SiteKey != ""
	}
	return !slices.Contains(f.AllowedOrigins, "*")
}

// TrustsOrigin reports whether a fill sent with this Origin came from the
// form's own pages: the form is bound and the origin is one of its (or its
// site's) origins. An empty Origin (a server, curl) is never trusted: anyone
// can send one.
func (f Form) TrustsOrigin(origin string, siteOrigins []string) bool {
	return origin != "" && f.Bound() && f.AllowsOrigin(origin, siteOrigins)
}

// ForFill is the form as it applies to one fill. Consent given through a
// fill that did not come from the form's own pages (TrustsOrigin false) is
// unverified: anyone can post any address, so it must be confirmed by the
// address's owner. Such a fill runs as a double opt-in whatever the
// definition says: the contact stays pending, with no marketing, until the
// confirmation link is used.
func (f Form) ForFill(trusted bool) Form {
	if !trusted && f.Consent != nil {
		f.DoubleOptIn = true
	}
	return f
}

// Status is what a submission that gives consent does to the contact:
// "pending" until a double opt-in is confirmed, else "subscribed"; a
// submission without consent leaves the subscription as it was ("received").
func (f Form) Status(consented bool) string {
	switch {
	case !consented || f.Consent == nil:
		return StatusReceived
	case f.DoubleOptIn:
		return StatusPending
	default:
		return StatusSubscribed
	}
}

// Statuses a submission answers with.
const (
	StatusPending    = "pending"
	StatusSubscribed = "subscribed"
	StatusReceived   = "received"
)

// clip shortens user-supplied text quoted in an error message.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	for i := n; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}
