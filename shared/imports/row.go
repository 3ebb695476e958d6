package imports

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/leadflow/leadflow/shared/tracking"
)

// MaxTraitLen bounds a trait value read from a file, in characters.
const MaxTraitLen = 1000

// columns are the mapping resolved to field positions of the header.
type columns struct {
	width                   int
	email, phone, tags, yes int // -1: not mapped
	traits                  []traitCol
	fixedTags               []string
}

type traitCol struct {
	name string
	at   int
}

func mapColumns(d Definition, header []string) (columns, error) {
	at := func(h string) int {
		if h == "" {
			return -1
		}
		return slices.Index(header, h)
	}
	c := columns{width: len(header), email: at(d.Columns.Email), phone: at(d.Columns.Phone), tags: at(d.Columns.Tags), yes: at(d.Columns.Consent), fixedTags: d.Tags}
	if c.email < 0 {
		return c, fmt.Errorf("%w: the header row has no column %q", ErrFile, d.Columns.Email)
	}
	for _, name := range sortedKeys(d.Columns.Traits) {
		i := at(d.Columns.Traits[name])
		if i < 0 {
			return c, fmt.Errorf("%w: the header row has no column %q", ErrFile, d.Columns.Traits[name])
		}
		c.traits = append(c.traits, traitCol{name, i})
	}
	return c, nil
}

// row checks one record; the first problem found is the reason.
func (c columns) row(line int, rec []string) (Row, *RowError) {
	raw := ""
	if c.email < len(rec) {
		raw = strings.TrimSpace(rec[c.email])
	}
	fail := func(format string, args ...any) (Row, *RowError) {
		return Row{}, &RowError{Line: line, Email: clip(raw, 254), Reason: fmt.Sprintf(format, args...)}
	}
	if len(rec) != c.width {
		return fail("has %d fields, the header has %d", len(rec), c.width)
	}
	if raw == "" {
		return fail("no email")
	}
	email := tracking.NormalizeEmail(raw)
	if email == "" {
		return fail("invalid email %q", clip(raw, 100))
	}
	r := Row{Line: line, Email: email}
	if c.phone >= 0 {
		if v := strings.TrimSpace(rec[c.phone]); v != "" {
			p, ok := NormalizePhone(v)
			if !ok {
				return fail("phone %q is not in international format (+ and country code, 8 to 15 digits)", clip(v, 40))
			}
			r.Phone = p
		}
	}
	for _, t := range c.traits {
		v := tracking.CleanLine(strings.TrimSpace(rec[t.at]))
		if v == "" {
			continue // an empty cell leaves the contact's trait as it is
		}
		if utf8.RuneCountInString(v) > MaxTraitLen {
			return fail("trait %s is longer than %d characters", t.name, MaxTraitLen)
		}
		if r.Traits == nil {
			r.Traits = map[string]any{}
		}
		r.Traits[t.name] = v
	}
	r.Tags = slices.Clone(c.fixedTags)
	if c.tags >= 0 {
		for t := range strings.FieldsFuncSeq(rec[c.tags], func(r rune) bool { return r == ';' || r == ',' }) {
			t = tracking.CleanLine(strings.TrimSpace(t))
			if t == "" {
				continue
			}
			if !tagPattern.MatchString(t) {
				return fail("tag %q must be 1-64 letters, digits, spaces or _:.-", clip(t, 70))
			}
			if !slices.Contains(r.Tags, t) {
				r.Tags = append(r.Tags, t)
			}
		}
		if len(r.Tags) > MaxTags+len(c.fixedTags) {
			return fail("more than %d tags", MaxTags)
		}
	}
	if c.yes >= 0 {
		yes, ok := parseYes(rec[c.yes])
		if !ok {
			return fail("consent %q must be yes or no (true/false, 1/0, y/n, x or empty)", clip(rec[c.yes], 40))
		}
		r.Consent = yes
	}
	return r, nil
}

func parseYes(s string) (yes, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true", "1", "x", "opted in", "opt-in", "subscribed":
		return true, true
	case "no", "n", "false", "0", "", "opted out", "opt-out", "unsubscribed":
		return false, true
	}
	return false, false
}

// NormalizePhone returns a phone number in E.164 (+ and 8 to 15 digits, the
// first not 0) from a number written in international form with spaces,
// dashes, dots, slashes or parentheses, or with 00 instead of +.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "00"):
		s = s[2:]
	default:
		return "", false
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/':
		default:
			return "", false
		}
	}
	out := b.String()
	if n := len(out) - 1; n < 8 || n > 15 || out[1] == '0' {
		return "", false
	}
	return out, true
}
