package campaign

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed EventBridge Scheduler cron expression, the six fields
// "minutes hours day-of-month month day-of-week year" that cron(...) takes.
// It is parsed here so the calendar, the validator and the local runner
// answer exactly the occurrences the Scheduler will fire.
//
// Supported: numbers, *, ?, lists (a,b), ranges (a-b), steps (*/n, a/n,
// a-b/n), month names JAN-DEC, weekday names SUN-SAT (1 = Sunday, as in
// EventBridge), L in day-of-month (last day), and n#k in day-of-week (the
// k-th weekday n of the month: MON#1 is the first Monday). W and L in
// day-of-week are refused: the validator names what it cannot honour.
type Cron struct {
	expr    string
	minutes []int
	hours   []int
	dom     []int // empty with domAny
	domAny  bool
	last    bool // L: last day of the month
	months  []int
	dow     []int // time.Weekday values
	dowAny  bool
	nth     int // with one dow: the nth such weekday (1-5)
	years   []int
	yearAny bool
}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

// ParseCron parses an expression with or without its "cron(" ")" wrapper.
func ParseCron(expr string) (Cron, error) {
	s := strings.TrimSpace(expr)
	if strings.HasPrefix(s, "cron(") && strings.HasSuffix(s, ")") {
		s = s[5 : len(s)-1]
	}
	f := strings.Fields(s)
	if len(f) != 6 {
		return Cron{}, fmt.Errorf("cron %q: want 6 fields (minutes hours day-of-month month day-of-week year), got %d", expr, len(f))
	}
	c := Cron{expr: strings.Join(f, " ")}
	var err error
	if c.minutes, err = field(f[0], 0, 59, nil); err != nil {
		return Cron{}, fmt.Errorf("cron %q: minutes: %w", expr, err)
	}
	if c.hours, err = field(f[1], 0, 23, nil); err != nil {
		return Cron{}, fmt.Errorf("cron %q: hours: %w", expr, err)
	}
	if c.months, err = field(f[3], 1, 12, monthNames); err != nil {
		return Cron{}, fmt.Errorf("cron %q: month: %w", expr, err)
	}
	switch {
	case f[4] == "?" && f[2] == "?":
		return Cron{}, fmt.Errorf("cron %q: day-of-month and day-of-week cannot both be ?", expr)
	case f[4] != "?" && f[2] != "?":
		return Cron{}, fmt.Errorf("cron %q: one of day-of-month and day-of-week must be ? (EventBridge rule)", expr)
	}
	switch {
	case f[2] == "?":
		c.domAny = true
	case f[2] == "L":
		c.last = true
	default:
		if c.dom, err = field(f[2], 1, 31, nil); err != nil {
			return Cron{}, fmt.Errorf("cron %q: day-of-month: %w", expr, err)
		}
	}
	switch {
	case f[4] == "?":
		c.dowAny = true
	case strings.Contains(f[4], "#"):
		day, n, _ := strings.Cut(f[4], "#")
		d, err := value(day, 1, 7, dayNames)
		if err != nil {
			return Cron{}, fmt.Errorf("cron %q: day-of-week: %w", expr, err)
		}
		k, err := strconv.Atoi(n)
		if err != nil || k < 1 || k > 5 {
			return Cron{}, fmt.Errorf("cron %q: day-of-week: %q: the week after # must be 1 to 5", expr, f[4])
		}
		c.dow, c.nth = []int{d - 1}, k
	default:
		days, err := field(f[4], 1, 7, dayNames)
		if err != nil {
			return Cron{}, fmt.Errorf("cron %q: day-of-week: %w", expr, err)
		}
		for _, d := range days {
			c.dow = append(c.dow, d-1)
		}
	}
	if f[5] == "*" {
		c.yearAny = true
	} else if c.years, err = field(f[5], 1970, 2199, nil); err != nil {
		return Cron{}, fmt.Errorf("cron %q: year: %w", expr, err)
	}
	return c, nil
}

// String is the expression without its wrapper.
func (c Cron) String() string { return c.expr }

func value(s string, lo, hi int, names map[string]int) (int, error) {
	if n, ok := names[strings.ToUpper(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a value from %d to %d", s, lo, hi)
	}
	return n, nil
}

// field expands one field into its sorted values.
func field(s string, lo, hi int, names map[string]int) ([]int, error) {
	set := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		rng, stepS, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepS)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%q: bad step", part)
			}
			step = n
		}
		from, to := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = value(a, lo, hi, names); err != nil {
				return nil, err
			}
			if to, err = value(b, lo, hi, names); err != nil {
				return nil, err
			}
			if to < from {
				return nil, fmt.Errorf("%q: range runs backwards", part)
			}
		default:
			v, err := value(rng, lo, hi, names)
			if err != nil {
				return nil, err
			}
			from = v
			if !hasStep {
				to = v
			}
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	out := make([]int, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

// day reports whether the cron fires on a date.
func (c Cron) day(y int, m time.Month, d int) bool {
	if !c.yearAny && !slices.Contains(c.years, y) {
		return false
	}
	if !slices.Contains(c.months, int(m)) {
		return false
	}
	date := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	switch {
	case c.last:
		return date.AddDate(0, 0, 1).Day() == 1
	case !c.domAny:
		return slices.Contains(c.dom, d)
	}
	if !slices.Contains(c.dow, int(date.Weekday())) {
		return false
	}
	return c.nth == 0 || (d-1)/7+1 == c.nth
}

// Next returns the first firing strictly after t, in loc, or false when
// there is none before horizon.
func (c Cron) Next(t time.Time, loc *time.Location, horizon time.Time) (time.Time, bool) {
	lt := t.In(loc)
	y, m, d := lt.Date()
	for day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC); ; day = day.AddDate(0, 0, 1) {
		dy, dm, dd := day.Date()
		// A day's firings all lie within about a day of its noon.
		if LocalTime(dy, dm, dd, 0, 0, loc).After(horizon) {
			return time.Time{}, false
		}
		if !c.yearAny && dy > c.years[len(c.years)-1] {
			return time.Time{}, false
		}
		if !c.day(dy, dm, dd) {
			continue
		}
		for _, h := range c.hours {
			for _, mi := range c.minutes {
				at := LocalTime(dy, dm, dd, h, mi, loc)
				if at.After(t) {
					if at.After(horizon) {
						return time.Time{}, false
					}
					return at, true
				}
			}
		}
	}
}

// LocalTime is the instant a wall-clock time has in a zone, settled the
// way the Scheduler settles daylight saving changes: a time the clocks
// skip (02:30 on a spring-forward night) is taken as the same time after
// the jump (03:30 summer time), and a time that happens twice (02:30 on
// a fall-back night) is taken the first time only.
func LocalTime(y int, m time.Month, d, hour, min int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, hour, min, 0, 0, loc)
	if t.Hour() != hour || t.Minute() != min {
		// Skipped: time.Date may move either way; move forward by the gap.
		before := time.Date(y, m, d, hour, min, 0, 0, time.UTC)
		_, off1 := time.Date(y, m, d, 0, 0, 0, 0, loc).Zone()
		return before.Add(-time.Duration(off1) * time.Second).In(loc)
	}
	// Repeated: an hour earlier may show the same wall clock.
	for _, shift := range []time.Duration{-time.Hour, -30 * time.Minute} {
		e := t.Add(shift)
		if e.Hour() == hour && e.Minute() == min && e.Day() == d {
			return e
		}
	}
	return t
}
