package campaign

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Schedule types.
const (
	// Now sends when the campaign is scheduled.
	Now = "now"
	// At sends once, at a wall-clock time in a zone.
	At = "at"
	// RecipientTime sends on a date at a wall-clock time in each
	// recipient's own zone (DefaultZone for contacts without one): one
	// wave per distinct instant.
	RecipientTime = "recipient_time"
	// Recurring sends at each firing of a cron expression in a zone,
	// until End.
	Recurring = "recurring"
)

// LocalLayout is how wall-clock times are written in a schedule; seconds
// may follow (LocalLayoutSeconds), as the Scheduler's at() allows.
const (
	LocalLayout        = "2006-01-02T15:04"
	LocalLayoutSeconds = "2006-01-02T15:04:05"
)

func parseLocal(v string) (time.Time, error) {
	if t, err := time.Parse(LocalLayoutSeconds, v); err == nil {
		return t, nil
	}
	return time.Parse(LocalLayout, v)
}

// Schedule is when a campaign goes out.
type Schedule struct {
	Type string `json:"type"`
	// At is the wall-clock time of an "at" schedule ("2026-12-24T09:00").
	At string `json:"at,omitempty"`
	// Zone is the IANA zone of At and Cron.
	Zone string `json:"zone,omitempty"`
	// Date and Time are a recipient-time schedule's day and local time.
	Date string `json:"date,omitempty"`
	Time string `json:"time,omitempty"`
	// DefaultZone is the zone of recipients without a known one.
	DefaultZone string `json:"default_zone,omitempty"`
	// Cron is an EventBridge cron expression (six fields).
	Cron string `json:"cron,omitempty"`
	// End is a recurring schedule's last moment, a wall-clock time in Zone.
	End string `json:"end,omitempty"`
}

// Validate checks a schedule's fields for its type.
func (s Schedule) Validate() error {
	var p []string
	add := func(f string, a ...any) { p = append(p, fmt.Sprintf(f, a...)) }
	unused := func(names ...string) {
		vals := map[string]string{"at": s.At, "zone": s.Zone, "date": s.Date, "time": s.Time, "default_zone": s.DefaultZone, "cron": s.Cron, "end": s.End}
		for _, n := range names {
			if vals[n] != "" {
				add("%s does not apply to a %q schedule", n, s.Type)
			}
		}
	}
	switch s.Type {
	case Now:
		unused("at", "zone", "date", "time", "default_zone", "cron", "end")
	case At:
		unused("date", "time", "default_zone", "cron", "end")
		if _, err := loadZone(s.Zone); err != nil {
			add("zone: %v", err)
		}
		if _, err := parseLocal(s.At); err != nil {
			add("at: a local time such as 2026-12-24T09:00")
		}
	case RecipientTime:
		unused("at", "zone", "cron", "end")
		if _, err := time.Parse(time.DateOnly, s.Date); err != nil {
			add("date: a day such as 2026-12-24")
		}
		if _, err := time.Parse("15:04", s.Time); err != nil {
			add("time: a local time such as 09:00")
		}
		if _, err := loadZone(s.DefaultZone); err != nil {
			add("default_zone: %v", err)
		}
	case Recurring:
		unused("at", "date", "time", "default_zone")
		if _, err := loadZone(s.Zone); err != nil {
			add("zone: %v", err)
		}
		if _, err := ParseCron(s.Cron); err != nil {
			add("%v", err)
		}
		if s.End != "" {
			if _, err := time.Parse(LocalLayout, s.End); err != nil {
				add("end: a local time such as 2027-06-30T00:00")
			}
		}
	default:
		add(`type: one of "now", "at", "recipient_time", "recurring"`)
	}
	if len(p) > 0 {
		return fmt.Errorf("%s", strings.Join(p, "; "))
	}
	return nil
}

// Occurrence is one planned send of a campaign.
type Occurrence struct {
	// ID names the occurrence in send ids and results: its firing time
	// in UTC, minute precision.
	ID string `json:"id"`
	// At is when the schedule fires (for recipient time: the first wave).
	At time.Time `json:"at"`
	// Waves are a recipient-time occurrence's sends per zone.
	Waves []Wave `json:"waves,omitempty"`
}

// Wave is the recipients of the zones whose local time falls at one
// instant.
type Wave struct {
	At    time.Time `json:"at"`
	Zones []string  `json:"zones"`
}

// OccurrenceID is the id of an occurrence firing at t.
func OccurrenceID(t time.Time) string { return t.UTC().Format("20060102T1504Z") }

// ParseOccurrenceID reads an occurrence id back into its time.
func ParseOccurrenceID(id string) (time.Time, error) {
	t, err := time.Parse("20060102T1504Z", id)
	if err != nil {
		return t, fmt.Errorf("occurrence %q: %w", id, err)
	}
	return t, nil
}

// EarliestZone and LatestZone bound where a wall-clock time happens first
// and last on Earth: a recipient-time send starts at its local time in
// UTC+14 and ends at UTC-12.
var (
	EarliestZone = time.FixedZone("UTC+14", 14*3600)
	LatestZone   = time.FixedZone("UTC-12", -12*3600)
)

// Occurrences lists the occurrences that fire in [from, to). started is
// when a "now" campaign was scheduled (zero: not yet); zones are the
// recipients' zones known for the wave plan of a recipient-time send
// (the default zone is always added).
func (s Schedule) Occurrences(from, to, started time.Time, zones []string) ([]Occurrence, error) {
	var out []Occurrence
	one := func(t time.Time) {
		if !t.Before(from) && t.Before(to) {
			out = append(out, Occurrence{ID: OccurrenceID(t), At: t.UTC()})
		}
	}
	switch s.Type {
	case Now:
		if !started.IsZero() {
			one(started.Truncate(time.Minute))
		}
	case At:
		t, err := s.AtTime()
		if err != nil {
			return nil, err
		}
		one(t)
	case RecipientTime:
		first, err := s.WaveTime(EarliestZone)
		if err != nil {
			return nil, err
		}
		waves, err := s.Waves(zones)
		if err != nil {
			return nil, err
		}
		// A recipient-time occurrence is in range when any wave is.
		for _, w := range waves {
			if !w.At.Before(from) && w.At.Before(to) {
				out = append(out, Occurrence{ID: OccurrenceID(first), At: first.UTC(), Waves: waves})
				break
			}
		}
	case Recurring:
		c, err := ParseCron(s.Cron)
		if err != nil {
			return nil, err
		}
		loc, err := loadZone(s.Zone)
		if err != nil {
			return nil, err
		}
		horizon := to.Add(-time.Nanosecond)
		if end, ok, err := s.EndTime(); err != nil {
			return nil, err
		} else if ok && end.Before(horizon) {
			horizon = end
		}
		for t := from.Add(-time.Nanosecond); ; {
			next, ok := c.Next(t, loc, horizon)
			if !ok {
				break
			}
			one(next)
			t = next
			if len(out) > 10000 {
				return nil, fmt.Errorf("schedule: more than 10000 occurrences in the range")
			}
		}
	default:
		return nil, fmt.Errorf("schedule: unknown type %q", s.Type)
	}
	return out, nil
}

// AtTime is an "at" schedule's instant.
func (s Schedule) AtTime() (time.Time, error) {
	loc, err := loadZone(s.Zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("schedule zone: %w", err)
	}
	t, err := parseLocal(s.At)
	if err != nil {
		return time.Time{}, fmt.Errorf("schedule at: %w", err)
	}
	return LocalTime(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), loc).Add(time.Duration(t.Second()) * time.Second).UTC(), nil
}

// EndTime is a recurring schedule's end, if it has one.
func (s Schedule) EndTime() (time.Time, bool, error) {
	if s.End == "" {
		return time.Time{}, false, nil
	}
	loc, err := loadZone(s.Zone)
	if err != nil {
		return time.Time{}, false, err
	}
	t, err := time.Parse(LocalLayout, s.End)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("schedule end: %w", err)
	}
	return LocalTime(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), loc).UTC(), true, nil
}

// WaveTime is the instant a recipient-time send reaches a zone.
func (s Schedule) WaveTime(loc *time.Location) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s.Date)
	if err != nil {
		return time.Time{}, fmt.Errorf("schedule date: %w", err)
	}
	hm, err := time.Parse("15:04", s.Time)
	if err != nil {
		return time.Time{}, fmt.Errorf("schedule time: %w", err)
	}
	return LocalTime(d.Year(), d.Month(), d.Day(), hm.Hour(), hm.Minute(), loc).UTC(), nil
}

// RecipientZone is the zone a recipient is sent in: theirs when it loads,
// else the default.
func (s Schedule) RecipientZone(contactZone string) (string, *time.Location) {
	if contactZone != "" {
		if loc, err := loadZone(contactZone); err == nil {
			return contactZone, loc
		}
	}
	loc, err := loadZone(s.DefaultZone)
	if err != nil {
		return "UTC", time.UTC
	}
	return s.DefaultZone, loc
}

// Waves groups zones by the instant the local time falls there, earliest
// first; unknown zones count as the default zone.
func (s Schedule) Waves(zones []string) ([]Wave, error) {
	byAt := map[time.Time][]string{}
	add := func(name string) error {
		z, loc := s.RecipientZone(name)
		t, err := s.WaveTime(loc)
		if err != nil {
			return err
		}
		if !slices.Contains(byAt[t], z) {
			byAt[t] = append(byAt[t], z)
		}
		return nil
	}
	if err := add(s.DefaultZone); err != nil {
		return nil, err
	}
	for _, z := range zones {
		if err := add(z); err != nil {
			return nil, err
		}
	}
	out := make([]Wave, 0, len(byAt))
	for t, zs := range byAt {
		slices.Sort(zs)
		out = append(out, Wave{At: t, Zones: zs})
	}
	slices.SortFunc(out, func(a, b Wave) int { return a.At.Compare(b.At) })
	return out, nil
}

// Expression is the EventBridge Scheduler expression and zone of a
// schedule that the Scheduler fires: at(...) for one-time sends (a
// recipient-time send fires at its first wave, UTC+14), cron(...) for
// recurring ones. "now" has none: scheduling it starts it.
func (s Schedule) Expression() (expr, zone string, err error) {
	switch s.Type {
	case At:
		t, err := parseLocal(s.At)
		if err != nil {
			return "", "", fmt.Errorf("schedule at: %w", err)
		}
		return "at(" + t.Format("2006-01-02T15:04:05") + ")", s.Zone, nil
	case RecipientTime:
		t, err := s.WaveTime(EarliestZone)
		if err != nil {
			return "", "", err
		}
		return "at(" + t.UTC().Format("2006-01-02T15:04:05") + ")", "UTC", nil
	case Recurring:
		c, err := ParseCron(s.Cron)
		if err != nil {
			return "", "", err
		}
		return "cron(" + c.String() + ")", s.Zone, nil
	}
	return "", "", fmt.Errorf("a %q schedule has no Scheduler expression", s.Type)
}

// Ends is when the Scheduler must stop firing a recurring schedule.
func (s Schedule) Ends() (time.Time, bool) {
	t, ok, err := s.EndTime()
	return t, ok && err == nil
}
