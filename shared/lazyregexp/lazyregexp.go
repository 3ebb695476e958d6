// Package lazyregexp holds regular expressions that compile on first use
// (as the Go tree's internal/lazyregexp). A package-level
// regexp.MustCompile runs in every cold start of every function that links
// the package, used or not; patterns with counted repetitions ({0,63})
// compile to large programs, and every function links a dozen of them
// through the domain packages.
package lazyregexp

import (
	"regexp"
	"sync"
)

// Regexp is a regexp.Regexp compiled on first use. Its pattern is a
// constant of the program: a bad one panics on first use as MustCompile
// would at start-up (the owning package's tests exercise each).
type Regexp struct {
	str  string
	once sync.Once
	rx   *regexp.Regexp
}

// New returns a Regexp for str, not yet compiled.
func New(str string) *Regexp { return &Regexp{str: str} }

func (r *Regexp) re() *regexp.Regexp {
	r.once.Do(func() { r.rx = regexp.MustCompile(r.str) })
	return r.rx
}

// MatchString is regexp.Regexp.MatchString.
func (r *Regexp) MatchString(s string) bool { return r.re().MatchString(s) }

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (r *Regexp) FindStringSubmatch(s string) []string { return r.re().FindStringSubmatch(s) }

// ReplaceAllString is regexp.Regexp.ReplaceAllString.
func (r *Regexp) ReplaceAllString(src, repl string) string { return r.re().ReplaceAllString(src, repl) }

// String is the pattern.
func (r *Regexp) String() string { return r.str }
