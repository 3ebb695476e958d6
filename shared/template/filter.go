package template

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

type filterKind uint8

const (
	filterUnknown filterKind = iota
	filterDefault
	filterUpcase
	filterDowncase
	filterCapitalize
	filterTruncate
	filterDate
)

var filterKinds = map[string]filterKind{
	"default":    filterDefault,
	"upcase":     filterUpcase,
	"downcase":   filterDowncase,
	"capitalize": filterCapitalize,
	"truncate":   filterTruncate,
	"date":       filterDate,
}

type filterCall struct {
	name string
	kind filterKind
	args []operand
	off  int
	// n and s are truncate's length and ellipsis, or date's layout,
	// checked once at compile time.
	n int
	s string
}

// maxTruncate bounds truncate's length; anything longer is a mistake.
const maxTruncate = 10000

// check resolves the filter and its arguments, returning a message when they
// are wrong. Arguments that must be constants (truncate's length, date's
// layout) are checked here so rendering has nothing left to fail on.
func (fc *filterCall) check() string {
	fc.kind = filterKinds[fc.name]
	switch fc.kind {
	case filterUnknown:
		return fmt.Sprintf("unknown filter %q (filters are default, upcase, downcase, capitalize, truncate, date)", fc.name)
	case filterDefault:
		if len(fc.args) != 1 {
			return `default takes one value: default: "there"`
		}
	case filterUpcase, filterDowncase, filterCapitalize:
		if len(fc.args) != 0 {
			return fc.name + " takes no arguments"
		}
	case filterTruncate:
		if len(fc.args) < 1 || len(fc.args) > 2 {
			return `truncate takes a length and optionally an ending: truncate: 40 or truncate: 40, "…"`
		}
		n, ok := fc.args[0].lit.(float64)
		if !fc.args[0].isLit || !ok || n != math.Trunc(n) || n < 1 || n > maxTruncate {
			return fmt.Sprintf("truncate's length must be a whole number from 1 to %d", maxTruncate)
		}
		fc.n, fc.s = int(n), "..."
		if len(fc.args) == 2 {
			s, ok := fc.args[1].lit.(string)
			if !fc.args[1].isLit || !ok {
				return "truncate's ending must be a string"
			}
			fc.s = s
		}
	case filterDate:
		if len(fc.args) != 1 {
			return `date takes a layout: date: "2006-01-02"`
		}
		layout, ok := fc.args[0].lit.(string)
		if !fc.args[0].isLit || !ok {
			return `date's layout must be a string: date: "Jan 2, 2006"`
		}
		if strings.Contains(layout, "%") {
			return `date uses Go layouts written with the reference date Mon Jan 2 15:04:05 MST 2006, e.g. "2006-01-02" or "January 2, 2006", not % codes`
		}
		// A layout without any reference-date element would print itself
		// for every contact.
		if layoutRef.Format(layout) == layout {
			return fmt.Sprintf("date layout %q has no date or time in it; write it with the reference date, e.g. \"2006-01-02\" or \"Jan 2, 2006\"", layout)
		}
		fc.s = layout
	}
	return ""
}

// layoutRef is an instant whose formatting differs from the reference date
// in every element.
var layoutRef = time.Date(1999, 11, 28, 21, 49, 58, 0, time.FixedZone("XYZ", 3*3600))

// apply runs the filter. It never fails: a value a filter cannot use passes
// through as it is.
func (fc *filterCall) apply(v any, st *renderState) any {
	switch fc.kind {
	case filterDefault:
		if !truthy(v) {
			return st.eval(fc.args[0])
		}
		return v
	case filterUpcase:
		return strings.ToUpper(st.str(v))
	case filterDowncase:
		return strings.ToLower(st.str(v))
	case filterCapitalize:
		// Only the first letter: "mcDonald" stays "McDonald", which
		// Liquid's capitalize would turn into "Mcdonald".
		s := st.str(v)
		r, size := utf8.DecodeRuneInString(s)
		if size == 0 || unicode.IsUpper(r) {
			return s
		}
		return string(unicode.ToUpper(r)) + s[size:]
	case filterTruncate:
		return truncate(st.str(v), fc.n, fc.s)
	case filterDate:
		t, ok := st.toTime(v)
		if !ok {
			return v
		}
		return t.Format(fc.s)
	}
	return v
}

// truncate keeps s within n characters, ending included, as Liquid does.
func truncate(s string, n int, ending string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	keep := n - utf8.RuneCountInString(ending)
	if keep <= 0 {
		return string([]rune(ending)[:n])
	}
	rs := []rune(s)[:keep]
	return strings.TrimRightFunc(string(rs), unicode.IsSpace) + ending
}
