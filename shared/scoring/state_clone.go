package scoring

import "maps"

// Clone copies a state deeply, so a working copy can be changed and thrown
// away (an optimistic write that lost its race) without touching the original.
func (s State) Clone() State {
	c := s
	c.FitBreakdown = maps.Clone(s.FitBreakdown)
	c.ByRule = maps.Clone(s.ByRule)
	c.Caps = maps.Clone(s.Caps)
	return c
}
