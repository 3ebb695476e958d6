package scoring

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/leadflow/leadflow/shared/lazyregexp"
)

// Routing assigns an owner when a contact reaches a stage (MQL by default):
// territories pick the team, then round-robin picks the person.
type Routing struct {
	// OnStage is the stage whose reaching triggers routing; "" means mql.
	OnStage Stage `json:"on_stage,omitempty"`
	// Teams maps a team name to its members (owner ids, e.g. emails).
	Teams map[string][]string `json:"teams,omitempty"`
	// Territories are tried in order; the first that matches picks the team,
	// else the default territory does.
	Territories []Territory `json:"territories,omitempty"`
	// RoundRobin rotates over a team's members; without it the first member
	// owns every lead the team gets.
	RoundRobin bool `json:"round_robin"`
}

// Territory matches contacts by country and company size band. Each list it
// sets must contain the contact's value (an unknown value matches nothing).
type Territory struct {
	Name         string   `json:"name,omitempty"`
	Team         string   `json:"team"`
	Countries    []string `json:"countries,omitempty"`     // ISO 3166-1 alpha-2
	CompanySizes []string `json:"company_sizes,omitempty"` // SizeBands names
	// Default marks the territory that takes every contact no other matches.
	Default bool `json:"default,omitempty"`
}

// Assignment is a routing decision.
type Assignment struct {
	Team   string `json:"team"`
	Owner  string `json:"owner"`
	Reason string `json:"reason"`
}

// Stage is the stage that triggers routing.
func (r Routing) Stage() Stage {
	if r.OnStage == StageNone {
		return MQL
	}
	return r.OnStage
}

// Enabled reports whether any team is configured.
func (r Routing) Enabled() bool { return len(r.Teams) > 0 }

// Triggers reports whether a move from one stage to another crosses the
// routing stage: reaching it, or jumping past it (subscriber straight to sql).
// A contact moved back below it (or out of disqualified) and forward again
// is routed again, which is what sales expects of a lead that re-qualifies.
func (r Routing) Triggers(from, to Stage) bool {
	target := r.Stage()
	return r.Enabled() && (from.Before(target) || from == Disqualified) && to.Valid() && to != Disqualified && !to.Before(target)
}

// Route picks the team for a contact and says why; Owner is left empty, since
// round-robin needs the chosen team's counter (see Assign).
func (r Routing) Route(f Facts) Assignment {
	country := ""
	if f.Location != nil {
		country = strings.ToUpper(strings.TrimSpace(f.Location.Country))
	}
	band := f.SizeBand()
	var fallback *Territory
	for i := range r.Territories {
		t := &r.Territories[i]
		if t.Default {
			fallback = t
			continue
		}
		if len(t.Countries) > 0 && !slices.ContainsFunc(t.Countries, func(c string) bool { return strings.EqualFold(c, country) }) {
			continue
		}
		if len(t.CompanySizes) > 0 && !slices.ContainsFunc(t.CompanySizes, func(b string) bool { return canonicalBand(b) == band && band != "" }) {
			continue
		}
		var why []string
		if len(t.Countries) > 0 {
			why = append(why, "country "+country)
		}
		if len(t.CompanySizes) > 0 {
			why = append(why, "company size "+band)
		}
		return Assignment{Team: t.Team, Reason: fmt.Sprintf("territory %s: %s", t.label(i), strings.Join(why, ", "))}
	}
	if fallback != nil {
		return Assignment{Team: fallback.Team, Reason: "default territory: no other territory matched"}
	}
	if len(r.Teams) == 1 {
		for team := range r.Teams {
			return Assignment{Team: team, Reason: "only team"}
		}
	}
	return Assignment{Reason: "no territory matched and none is the default"}
}

func (t *Territory) label(i int) string {
	if t.Name != "" {
		return fmt.Sprintf("%q", t.Name)
	}
	return fmt.Sprintf("#%d", i)
}

// Owner picks the member of team for a counter value. The caller draws the
// value from a counter shared by every function (one per team, e.g. an
// atomic DynamoDB ADD), so concurrent qualifications rotate fairly.
func (r Routing) Owner(team string, counter int64) string {
	members := r.Teams[team]
	if len(members) == 0 {
		return ""
	}
	if !r.RoundRobin {
		return members[0]
	}
	n := int64(len(members))
	return members[((counter%n)+n)%n]
}

// Assign routes a contact and picks its owner. next draws the team's counter
// and is called only when round-robin has a choice to make, so a
// one-person team costs no counter write.
func (r Routing) Assign(f Facts, next func(team string) (int64, error)) (Assignment, error) {
	a := r.Route(f)
	if a.Team == "" {
		return a, nil
	}
	var counter int64
	if r.RoundRobin && len(r.Teams[a.Team]) > 1 {
		n, err := next(a.Team)
		if err != nil {
			return a, fmt.Errorf("draw round-robin counter of team %s: %w", a.Team, err)
		}
		counter = n
	}
	a.Owner = r.Owner(a.Team, counter)
	return a, nil
}

var countryPattern = lazyregexp.New(`^[A-Za-z]{2}$`)

const maxTeamMembers = 200

func validateRouting(r Routing, bad func(format string, args ...any)) {
	if r.OnStage != StageNone && (!r.OnStage.Valid() || r.OnStage == Disqualified) {
		bad("routing.on_stage %q must be a funnel stage (%s)", r.OnStage, stageList())
	}
	for _, name := range slices.Sorted(maps.Keys(r.Teams)) {
		members := r.Teams[name]
		where := fmt.Sprintf("routing.teams[%q]", name)
		if !idPattern.MatchString(name) {
			bad("%s: team name must be lower-case letters, digits, '-' or '_' (at most 64)", where)
		}
		if len(members) == 0 || len(members) > maxTeamMembers {
			bad("%s: needs 1 to %d members", where, maxTeamMembers)
		}
		seen := map[string]bool{}
		for _, m := range members {
			if strings.TrimSpace(m) == "" || len(m) > 254 {
				bad("%s: member %q must be a non-empty owner id (at most 254 characters)", where, m)
			}
			if seen[m] {
				bad("%s: member %q listed twice", where, m)
			}
			seen[m] = true
		}
	}
	defaults := 0
	for i, t := range r.Territories {
		where := fmt.Sprintf("routing.territories[%d]", i)
		if _, ok := r.Teams[t.Team]; !ok {
			bad("%s: team %q is not in routing.teams", where, t.Team)
		}
		for _, c := range t.Countries {
			if !countryPattern.MatchString(c) {
				bad("%s: country %q must be an ISO 3166-1 alpha-2 code", where, c)
			}
		}
		for _, b := range t.CompanySizes {
			if !validBand(b) {
				bad("%s: company size %q is not a band (%s)", where, b, strings.Join(SizeBands(), ", "))
			}
		}
		if t.Default {
			defaults++
			if len(t.Countries) > 0 || len(t.CompanySizes) > 0 {
				bad("%s: the default territory takes everyone; it sets no countries or company_sizes", where)
			}
		} else if len(t.Countries) == 0 && len(t.CompanySizes) == 0 {
			bad("%s: needs countries or company_sizes (or default: true)", where)
		}
	}
	switch {
	case defaults > 1:
		bad("routing.territories: %d default territories; at most one", defaults)
	case defaults == 0 && len(r.Teams) > 1:
		bad("routing.territories: %d teams but no default territory, so some leads would get no owner", len(r.Teams))
	}
}
