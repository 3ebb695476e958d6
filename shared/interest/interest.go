// Package interest derives interests from behaviour: configurable rules map
// page URLs, paths, page categories and event names to interests, so a
// visitor reading product A's pages shows interest in A and not in B.
package interest

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/leadflow/leadflow/shared/lazyregexp"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Rule gives an interest to messages that match every condition it sets.
type Rule struct {
	Interest string `json:"interest"`
	// PathPrefix matches the page path ("/products/a/" matches its subpages).
	PathPrefix string `json:"path_prefix,omitempty"`
	// PathGlob matches the page path with path.Match syntax ("/docs/*/a").
	PathGlob string `json:"path_glob,omitempty"`
	// Host restricts a rule to one site's host name.
	Host string `json:"host,omitempty"`
	// Category matches a page call's category.
	Category string `json:"category,omitempty"`
	// Event matches a track call's event name.
	Event string `json:"event,omitempty"`
}

// Rules is a validated rule set.
type Rules struct {
	Rules []Rule `json:"rules"`
}

var namePattern = lazyregexp.New(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Validate reports every problem with a rule set; the admin API and the
// repo's definitions both go through it.
func (rs Rules) Validate() error {
	var problems []string
	if len(rs.Rules) > 500 {
		problems = append(problems, fmt.Sprintf("%d rules; at most 500", len(rs.Rules)))
	}
	for i, r := range rs.Rules {
		if !namePattern.MatchString(r.Interest) {
			problems = append(problems, fmt.Sprintf("rules[%d]: interest %q must be lower-case letters, digits, '-' or '_' (at most 64)", i, r.Interest))
		}
		if r.PathPrefix == "" && r.PathGlob == "" && r.Category == "" && r.Event == "" {
			problems = append(problems, fmt.Sprintf("rules[%d]: needs at least one of path_prefix, path_glob, category, event", i))
		}
		if r.PathPrefix != "" && !strings.HasPrefix(r.PathPrefix, "/") {
			problems = append(problems, fmt.Sprintf("rules[%d]: path_prefix %q must start with /", i, r.PathPrefix))
		}
		if r.PathGlob != "" {
			if _, err := path.Match(r.PathGlob, "/"); err != nil {
				problems = append(problems, fmt.Sprintf("rules[%d]: path_glob %q: %v", i, r.PathGlob, err))
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Match returns the interests a message shows, sorted and without repeats.
func (rs Rules) Match(m tracking.Message) []string {
	if len(rs.Rules) == 0 {
		return nil
	}
	var host, p string
	if pg := m.Context.Page; pg != nil {
		p = pg.Path
		if u, err := url.Parse(pg.URL); err == nil {
			host = strings.ToLower(u.Hostname())
			if p == "" {
				p = u.Path
			}
		}
	}
	seen := map[string]bool{}
	for _, r := range rs.Rules {
		if seen[r.Interest] || !r.matches(m, host, p) {
			continue
		}
		seen[r.Interest] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (r Rule) matches(m tracking.Message, host, p string) bool {
	if r.Host != "" && !strings.EqualFold(r.Host, host) {
		return false
	}
	if r.Event != "" && (m.Type != tracking.TypeTrack || !strings.EqualFold(r.Event, m.Event)) {
		return false
	}
	if r.Category != "" && !strings.EqualFold(r.Category, m.Category) {
		return false
	}
	if r.PathPrefix != "" || r.PathGlob != "" {
		if p == "" || (m.Type != tracking.TypePage && m.Type != tracking.TypeScreen) {
			return false
		}
		if r.PathPrefix != "" && !strings.HasPrefix(p, r.PathPrefix) {
			return false
		}
		if r.PathGlob != "" {
			if ok, _ := path.Match(r.PathGlob, p); !ok {
				return false
			}
		}
	}
	return true
}
