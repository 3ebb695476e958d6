package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Reader reads the counters of some days, summed over their shards.
type Reader interface {
	ReportCounts(ctx context.Context, days []string) (Tally, error)
}

// MaxDays bounds a report's range: a year and a day, so any calendar year
// fits (2,928 counter items, 30 BatchGetItem calls).
const MaxDays = 366

// ErrInvalidRange is a range the caller got wrong; its message says how.
var ErrInvalidRange = errors.New("invalid range")

// Range is a span of whole UTC days, both ends included.
type Range struct {
	From, To time.Time
}

// ParseRange reads from and to (YYYY-MM-DD).
func ParseRange(from, to string) (Range, error) {
	var r Range
	var err error
	if from == "" || to == "" {
		return r, fmt.Errorf("%w: from and to are required (YYYY-MM-DD)", ErrInvalidRange)
	}
	if r.From, err = time.Parse(DayLayout, from); err != nil {
		return r, fmt.Errorf("%w: from %q is not a date (YYYY-MM-DD)", ErrInvalidRange, from)
	}
	if r.To, err = time.Parse(DayLayout, to); err != nil {
		return r, fmt.Errorf("%w: to %q is not a date (YYYY-MM-DD)", ErrInvalidRange, to)
	}
	if r.To.Before(r.From) {
		return r, fmt.Errorf("%w: to %s is before from %s", ErrInvalidRange, to, from)
	}
	if n := len(r.Days()); n > MaxDays {
		return r, fmt.Errorf("%w: %d days asked, at most %d", ErrInvalidRange, n, MaxDays)
	}
	return r, nil
}

// Days lists the range's days.
func (r Range) Days() []string {
	var days []string
	for d := r.From; !d.After(r.To) && len(days) <= MaxDays; d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(DayLayout))
	}
	return days
}

// Overview is the dashboard's daily series.
type Overview struct {
	From     string `json:"from"`
	To       string `json:"to"`
	TimeZone string `json:"time_zone"`
	// Days are the range's days; every series has one value per day.
	Days   []string           `json:"days"`
	Series map[string][]int64 `json:"series"`
	Totals map[string]int64   `json:"totals"`
}

// FunnelStage is one stage of the funnel report.
type FunnelStage struct {
	Stage   string `json:"stage"`
	Reached int64  `json:"reached"`
	// ConversionToNext is the next stage's reached over this one's, in
	// the range (null for the last stage, or when none reached this one).
	ConversionToNext *float64 `json:"conversion_to_next"`
	// MedianHoursToNext is the median time from this stage to the next of
	// the contacts that reached the next in the range, from the
	// histograms (null without samples).
	MedianHoursToNext *float64 `json:"median_hours_to_next"`
	// SamplesToNext is how many moves the median is taken over.
	SamplesToNext int64 `json:"samples_to_next"`
}

// FunnelReport is the lifecycle funnel over a range.
type FunnelReport struct {
	From     string        `json:"from"`
	To       string        `json:"to"`
	TimeZone string        `json:"time_zone"`
	Stages   []FunnelStage `json:"stages"`
}

// Reports answers the reports from the counters.
type Reports struct {
	r Reader
}

// New builds the reports service.
func New(r Reader) *Reports { return &Reports{r: r} }

// Overview returns the daily series of the range.
func (s *Reports) Overview(ctx context.Context, rg Range) (Overview, error) {
	days := rg.Days()
	t, err := s.r.ReportCounts(ctx, days)
	if err != nil {
		return Overview{}, fmt.Errorf("overview: %w", err)
	}
	o := Overview{
		From: days[0], To: days[len(days)-1], TimeZone: "UTC", Days: days,
		Series: map[string][]int64{}, Totals: map[string]int64{},
	}
	for _, sr := range Series {
		vals := make([]int64, len(days))
		var sum int64
		for i, d := range days {
			vals[i] = t[d][sr.Counter]
			sum += vals[i]
		}
		o.Series[sr.Name], o.Totals[sr.Name] = vals, sum
	}
	return o, nil
}

// Funnel returns the funnel of the range.
func (s *Reports) Funnel(ctx context.Context, rg Range) (FunnelReport, error) {
	days := rg.Days()
	t, err := s.r.ReportCounts(ctx, days)
	if err != nil {
		return FunnelReport{}, fmt.Errorf("funnel: %w", err)
	}
	return FunnelOf(t, days), nil
}

// FunnelOf builds the funnel report from summed counters.
func FunnelOf(t Tally, days []string) FunnelReport {
	stages := Funnel()
	out := FunnelReport{From: days[0], To: days[len(days)-1], TimeZone: "UTC", Stages: make([]FunnelStage, len(stages))}
	for i, s := range stages {
		fs := FunnelStage{Stage: string(s)}
		for _, d := range days {
			fs.Reached += t[d][ReachedCounter(s)]
		}
		out.Stages[i] = fs
	}
	for i := range out.Stages[:len(stages)-1] {
		cur, next := &out.Stages[i], out.Stages[i+1]
		if cur.Reached > 0 {
			c := round(float64(next.Reached)/float64(cur.Reached), 4)
			cur.ConversionToNext = &c
		}
		buckets := make([]int64, HistogramBuckets)
		for _, d := range days {
			for k := range buckets {
				buckets[k] += t[d][VelocityCounter(stages[i+1], k)]
			}
		}
		for _, n := range buckets {
			cur.SamplesToNext += n
		}
		if m, ok := Median(buckets); ok {
			m = round(m, 2)
			cur.MedianHoursToNext = &m
		}
	}
	return out
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
