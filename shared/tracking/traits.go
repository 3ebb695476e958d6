package tracking

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leadflow/leadflow/shared/lazyregexp"
)

const (
	maxTraitKey   = 128
	maxTraitValue = 2000
	maxTraits     = 200
	maxTraitDepth = 4
)

// markup finds an HTML tag or a javascript: URL. Traits are shown to
// marketers and merged into emails; they are always escaped when rendered,
// but a tag in a name or job title is an injection attempt, not data, so it
// is refused at the door. Event properties are not checked: search queries
// and page content legitimately carry such text.
var markup = lazyregexp.New(`(?i)<\s*[a-z/!?]|javascript\s*:`)

// hasMarkup is markup.MatchString, skipping the regexp for the usual trait
// (a name, an email) that cannot match: ASCII with no '<' and no 'j' or 'J'
// cannot hold a tag or "javascript" in any case. Anything not ASCII goes to
// the regexp, whose case folding reaches beyond ASCII ("ſ" is an "s").
// Every identify's traits are checked, and the regexp was 4% of ingest.
func hasMarkup(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<' || c == 'j' || c == 'J' || c >= utf8.RuneSelf:
			return markup.MatchString(s)
		}
	}
	return false
}

// ValidateTraits reports the first problem with a traits object: too many
// keys, long keys or values, markup, too deep, or an invalid email.
func ValidateTraits(traits map[string]any) error {
	if len(traits) > maxTraits {
		return fmt.Errorf("has %d keys; the limit is %d", len(traits), maxTraits)
	}
	keys := make([]string, 0, len(traits))
	for k := range traits {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report problems deterministically
	for _, k := range keys {
		if err := validateTrait(k, traits[k], 1); err != nil {
			return err
		}
	}
	if e, ok := traits["email"]; ok && e != nil {
		s, isString := e.(string)
		if !isString || (strings.TrimSpace(s) != "" && NormalizeEmail(s) == "") {
			return fmt.Errorf("email %q is not a valid email address", truncate(fmt.Sprint(e), 80))
		}
	}
	return nil
}

func validateTrait(k string, v any, depth int) error {
	if k == "" || len(k) > maxTraitKey {
		return fmt.Errorf("key %q must be 1-%d characters", truncate(k, 40), maxTraitKey)
	}
	if hasMarkup(k) {
		return fmt.Errorf("key %q contains markup", truncate(k, 40))
	}
	switch x := v.(type) {
	case string:
		if len(x) > maxTraitValue {
			return fmt.Errorf("%q is %d characters; the limit is %d", k, len(x), maxTraitValue)
		}
		if hasMarkup(x) {
			return fmt.Errorf("%q contains markup (an HTML tag or a javascript: URL)", k)
		}
	case map[string]any:
		if depth >= maxTraitDepth {
			return fmt.Errorf("%q nests deeper than %d levels", k, maxTraitDepth)
		}
		for kk, vv := range x {
			if err := validateTrait(kk, vv, depth+1); err != nil {
				return fmt.Errorf("%s.%w", k, err)
			}
		}
	case []any:
		if len(x) > 100 {
			return fmt.Errorf("%q has %d items; the limit is 100", k, len(x))
		}
		for _, vv := range x {
			if err := validateTrait(k, vv, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// identifyTraits returns the traits an identify call sets. The spec puts
// them at the top level; RudderStack's browser SDK (and some server
// libraries) send them only in context.traits. Both are read: a key in
// both takes the top-level value, the identify's own payload, over the
// context's copy. Only identify calls set traits; on other calls
// context.traits stays context (the email fallback in Message.Email aside).
func identifyTraits(top, ctx map[string]any) (map[string]any, error) {
	if len(ctx) == 0 {
		return top, nil
	}
	out := make(map[string]any, len(top)+len(ctx))
	for k, v := range ctx {
		out[k] = v
	}
	for k, v := range top {
		out[k] = v
	}
	if len(out) > maxTraits {
		return nil, fmt.Errorf("have %d keys together; the limit is %d", len(out), maxTraits)
	}
	return out, nil
}

// NormalizeEmail lower-cases and trims an address; "" if it is not one.
func NormalizeEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 || len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>()[],;:\\\"") {
		return ""
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return ""
	}
	return s
}

// MaxNesting bounds how deep a request's JSON may nest (objects and arrays):
// deeper documents are no real client's and break readers of what is stored.
const MaxNesting = 32

// scanJSON reads valid JSON once for what json.Valid does not check: how
// deep objects and arrays nest, and whether a string escapes half a
// surrogate pair ("\ud800" alone), which encoding/json would silently
// replace with U+FFFD: such text is not valid Unicode, so it is refused, as
// invalid UTF-8 is.
func scanJSON(b []byte) (deepest int, loneSurrogate bool) {
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				if i+1 < len(b) && b[i+1] == 'u' {
					r := hex4(b, i+2)
					switch {
					case r >= 0xd800 && r < 0xdc00:
						// A high half must be followed by a low half.
						if i+11 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
							if lo := hex4(b, i+8); lo >= 0xdc00 && lo < 0xe000 {
								i += 11
								continue
							}
						}
						loneSurrogate = true
					case r >= 0xdc00 && r < 0xe000:
						loneSurrogate = true
					}
					i += 5
					continue
				}
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			deepest = max(deepest, depth)
		case '}', ']':
			depth--
		}
	}
	return deepest, loneSurrogate
}

// hex4 reads the four hex digits at b[i:], or -1; the raw body and the
// single-pass decoder's strings share it.
func hex4[T string | []byte](b T, i int) int {
	if i+4 > len(b) {
		return -1
	}
	v := 0
	for _, c := range []byte(b[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | int(c-'A'+10)
		default:
			return -1
		}
	}
	return v
}

// CleanTraits removes control characters, bidi overrides and other invisible
// format characters from trait keys and string values, at any depth, and
// turns line breaks into spaces: a trait is one line of display text, merged
// into emails and shown to marketers, where such characters only mislead
// (an RTL override that reverses a name) or break headers. Forms clean their
// values the same way.
func CleanTraits(traits map[string]any) map[string]any {
	if traits == nil {
		return nil
	}
	out := make(map[string]any, len(traits))
	for k, v := range traits {
		if k = CleanLine(k); k != "" {
			out[k] = cleanTraitValue(v)
		}
	}
	return out
}

func cleanTraitValue(v any) any {
	switch x := v.(type) {
	case string:
		return CleanLine(x)
	case map[string]any:
		return CleanTraits(x)
	case []any:
		for i := range x {
			x[i] = cleanTraitValue(x[i])
		}
	}
	return v
}

// CleanLine makes s one line of display text: it removes invisible
// characters (IsInvisible), turns line breaks and tabs into spaces and trims.
// Trait values and form fields both go through it.
func CleanLine(s string) string {
	if strings.IndexFunc(s, IsInvisible) < 0 {
		return s
	}
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case IsInvisible(r):
			return -1
		}
		return r
	}, s))
}

// IsInvisible covers C0/C1 controls, DEL, the format characters (bidi
// overrides and isolates, zero-width marks) and the replacement character.
func IsInvisible(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
}
