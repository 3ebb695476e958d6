package segment

import (
	"slices"
	"time"
)

// Set is every live segment compiled, in dependency order, so a segment
// that refers to another sees the membership computed in the same pass.
type Set struct {
	progs []*Program
	needs Needs
}

// NewSet checks references and cycles and compiles every segment.
func NewSet(segs []Segment) (*Set, error) {
	sorted, err := order(segs)
	if err != nil {
		return nil, err
	}
	s := &Set{needs: Needs{}}
	for _, seg := range sorted {
		p, err := Compile(seg)
		if err != nil {
			return nil, err
		}
		s.progs = append(s.progs, p)
		for k, d := range p.needs {
			s.needs.add(k, d)
		}
	}
	return s, nil
}

// Programs are the compiled segments in evaluation order.
func (s *Set) Programs() []*Program { return s.progs }

// Needs are the counters any segment of the set reads.
func (s *Set) Needs() Needs { return s.needs }

// Has reports whether the set holds a segment.
func (s *Set) Has(id string) bool {
	for _, p := range s.progs {
		if p.ID == id {
			return true
		}
	}
	return false
}

// Eval evaluates every segment and returns the ids the contact is in,
// sorted. v.Segments is replaced as it goes (memberships of segments not
// in the set are dropped).
func (s *Set) Eval(v *View, now time.Time) []string {
	v.Segments = v.Segments[:0:0]
	for _, p := range s.progs {
		if p.Eval(v, now) {
			v.Segments = append(v.Segments, p.ID)
		}
	}
	out := slices.Clone(v.Segments)
	slices.Sort(out)
	return out
}

// NextChange is the soonest time any segment of the set may change for the
// contact by time alone (zero: never). Call it after Eval.
func (s *Set) NextChange(v *View, now time.Time) time.Time {
	var out time.Time
	for _, p := range s.progs {
		out = sooner(out, p.NextChange(v, now))
	}
	return out
}

// Diff compares two sorted membership lists.
func Diff(before, after []string) (entered, exited []string) {
	for _, id := range after {
		if !slices.Contains(before, id) {
			entered = append(entered, id)
		}
	}
	for _, id := range before {
		if !slices.Contains(after, id) {
			exited = append(exited, id)
		}
	}
	return entered, exited
}
