package campaign

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Counts are named counters.
type Counts map[string]int64

func (c Counts) add(o Counts) {
	for k, v := range o {
		c[k] += v
	}
}

// OccurrenceResult is one occurrence's counters and fan-out progress.
type OccurrenceResult struct {
	ID     string `json:"id"`
	Counts Counts `json:"counts"`
	// Queued is how many sends the fan-out queued so far; Done says it read
	// the whole audience (of the current phase).
	Queued    int64             `json:"queued"`
	Phase     string            `json:"phase,omitempty"`
	Done      bool              `json:"fanout_done"`
	StartedAt time.Time         `json:"started_at,omitzero"`
	Winner    string            `json:"winner,omitempty"`
	Decision  *Decision         `json:"decision,omitempty"`
	DecideAt  time.Time         `json:"decide_at,omitzero"`
	Variants  map[string]Counts `json:"variants,omitempty"`
}

// Results are a campaign's counters summed every way the results page
// shows them.
type Results struct {
	Totals      Counts             `json:"totals"`
	Variants    map[string]Counts  `json:"variants,omitempty"`
	Occurrences []OccurrenceResult `json:"occurrences,omitempty"`
	// Rates are shares of the sent mail (of delivered for opens and clicks).
	Rates map[string]float64 `json:"rates"`
	// Links are the unique human clicks of each link (scheme, host and
	// path), most clicked first; the counts also carry them as
	// "click:<link>".
	Links []LinkClicks `json:"links,omitempty"`
}

// LinkClicks is one link's unique human clicks.
type LinkClicks struct {
	URL    string `json:"url"`
	Clicks int64  `json:"clicks"`
}

// Summarize sums counters by occurrence and variant.
func Summarize(c Campaign, counts map[string]map[string]map[string]int64, runs []Run) Results {
	r := Results{Totals: Counts{}, Rates: map[string]float64{}}
	byOcc := map[string]*OccurrenceResult{}
	occ := func(id string) *OccurrenceResult {
		if o, ok := byOcc[id]; ok {
			return o
		}
		o := &OccurrenceResult{ID: id, Counts: Counts{}}
		byOcc[id] = o
		return o
	}
	for id, variants := range counts {
		o := occ(id)
		for v, cs := range variants {
			o.Counts.add(cs)
			r.Totals.add(cs)
			if v == "" {
				continue
			}
			if o.Variants == nil {
				o.Variants = map[string]Counts{}
			}
			if o.Variants[v] == nil {
				o.Variants[v] = Counts{}
			}
			o.Variants[v].add(cs)
			if r.Variants == nil {
				r.Variants = map[string]Counts{}
			}
			if r.Variants[v] == nil {
				r.Variants[v] = Counts{}
			}
			r.Variants[v].add(cs)
		}
	}
	for _, run := range runs {
		o := occ(run.Occurrence)
		o.Queued, o.Phase, o.Done, o.StartedAt = run.Recipients, run.Phase, run.Done, run.StartedAt
		o.Winner, o.Decision, o.DecideAt = run.Winner, run.Decision, run.DecideAt
	}
	for _, o := range byOcc {
		r.Occurrences = append(r.Occurrences, *o)
	}
	slices.SortFunc(r.Occurrences, func(a, b OccurrenceResult) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	for k, v := range r.Totals {
		if u, ok := strings.CutPrefix(k, PrefixLink); ok {
			r.Links = append(r.Links, LinkClicks{URL: u, Clicks: v})
		}
	}
	slices.SortFunc(r.Links, func(a, b LinkClicks) int {
		if a.Clicks != b.Clicks {
			return int(b.Clicks - a.Clicks)
		}
		return strings.Compare(a.URL, b.URL)
	})
	sent := float64(r.Totals[CountSent])
	if sent > 0 {
		for _, k := range []string{CountDelivered, CountBounced, CountComplained, CountUnsubscribed, CountOpensHuman, CountClicksHuman, CountConversions} {
			r.Rates[k] = float64(r.Totals[k]) / sent
		}
	}
	return r
}

// CalendarEntries are a campaign's planned sends in [from, to): each
// occurrence, with its waves for a recipient-time send. Only campaigns
// that will send (scheduled, sending, paused, awaiting approval) are
// planned; a sent or cancelled one shows its past occurrences. zones are
// the zones of the audience estimate (the last run's recipients): a
// recipient-time send lists a wave for each, besides the default zone.
func CalendarEntries(c Campaign, st State, from, to time.Time, estimate any, zones []string) []map[string]any {
	switch st.Status {
	case Draft:
		return nil
	}
	occ, err := c.Schedule.Occurrences(from, to, st.ScheduledAt, zones)
	if err != nil {
		return nil
	}
	out := make([]map[string]any, 0, len(occ))
	for _, o := range occ {
		e := map[string]any{"campaign": c.ID, "name": c.Name, "state": st.Status, "occurrence": o.ID, "at": o.At,
			"schedule": c.Schedule.Type, "audience_estimate": estimate}
		if len(o.Waves) > 0 {
			e["waves"] = o.Waves
		}
		out = append(out, e)
	}
	return out
}

// ZoneSample bounds the members the calendar reads to plan a
// recipient-time campaign's waves before its first run.
const ZoneSample = 200

// SampleZones estimates the zones a campaign's audience has, for the
// calendar's waves before a first run gives the true ones: the first
// members of each source's member index (limit in all, split evenly) and
// their zones. A keyed read of at most limit profiles and one index page
// per source: never a scan. The member index spreads contacts over
// shards by a hash of their id, so its first page is no worse a sample
// than any; a zone held by few contacts may be missed until the run.
func SampleZones(ctx context.Context, pager MemberPager, zr ZoneReader, c Campaign, limit int) ([]string, error) {
	sources := c.Audience.Sources()
	if len(sources) == 0 || limit <= 0 {
		return nil, nil
	}
	per := max(limit/len(sources), 1)
	seen := map[string]bool{}
	for _, src := range sources {
		members, _, err := pager.MemberPage(ctx, src, "", per)
		if err != nil {
			return nil, fmt.Errorf("sample the zones of %s %s: %w", src.Kind, src.ID, err)
		}
		var missing []string
		for _, m := range members {
			if m.Timezone == "" {
				missing = append(missing, m.ID)
			}
		}
		var read map[string]string
		if len(missing) > 0 && zr != nil {
			if read, err = zr.Timezones(ctx, missing); err != nil {
				return nil, fmt.Errorf("sample the zones of %s %s: %w", src.Kind, src.ID, err)
			}
		}
		for _, m := range members {
			z, _ := c.Schedule.RecipientZone(cmp.Or(m.Timezone, read[m.ID]))
			seen[z] = true
		}
	}
	out := make([]string, 0, len(seen))
	for z := range seen {
		out = append(out, z)
	}
	slices.Sort(out)
	return out, nil
}
