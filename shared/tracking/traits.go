package tracking

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
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
var markup = regexp.MustCompile(`(?i)<\s*[a-z/!?]|javascript\s*:`)

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
	if markup.MatchString(k) {
		return fmt.Errorf("key %q contains markup", truncate(k, 40))
	}
	switch x := v.(type) {
	case string:
		if len(x) > maxTraitValue {
			return fmt.Errorf("%q is %d characters; the limit is %d", k, len(x), maxTraitValue)
		}
		if markup.MatchString(x) {
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
