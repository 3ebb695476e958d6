// Package report keeps the dashboard's counters as contacts change and mail
// goes out, and answers the overview and funnel reports from them. Nothing
// here scans contacts or timelines: each writer sums what it saw over a
// batch into per-day counts (a Tally) and adds them to one counter item per
// day and shard; a report reads the days' items and adds them up.
//
// Days are UTC calendar days. A report time zone would need counters per
// hour (or per zone) to re-cut days; the console says the days are UTC.
package report

import (
	"math"
	"sort"
	"time"
)

// DayLayout is how a day is written in keys and in the API.
const DayLayout = "2006-01-02"

// DayOf is the UTC day of t.
func DayOf(t time.Time) string { return t.UTC().Format(DayLayout) }

// Shards is how many counter items share one day. Every processor, sender
// and SES events invocation adds to the day's counters, each on the next
// shard of its own rotation, so one hot day item never takes every write;
// a report reads all of them (a 90-day report is 720 small items, eight
// BatchGetItem calls).
const Shards = 8

// Counter names: the stored attribute names, short because every counter
// write carries them.
const (
	NewContacts   = "nc" // contacts created
	Identified    = "id" // contacts that became known (email or user id)
	Events        = "ev" // events from sites and forms (not Leadflow's own email events)
	FormFills     = "ff" // "Form Submitted" events
	Sent          = "es" // mails SES accepted (sender, once per batch)
	Delivered     = "ed" // SES delivery events
	Bounced       = "eb" // bounces recorded on contacts
	Complained    = "ec" // complaints recorded on contacts
	OpensHuman    = "oh" // first open of a send by a person
	OpensMachine  = "om" // first open of a send by a privacy proxy or scanner
	ClicksHuman   = "ch" // unique clicks per send and link by a person
	ClicksMachine = "cm" // the same by a link scanner
	Unsubscribes  = "eu" // opt-outs (all marketing or one topic)
)

// Series are the overview's daily series: API name and counter, in the
// order the API and the console show them.
var Series = []struct{ Name, Counter string }{
	{"new_contacts", NewContacts},
	{"identified_leads", Identified},
	{"events", Events},
	{"form_fills", FormFills},
	{"emails_sent", Sent},
	{"emails_delivered", Delivered},
	{"emails_bounced", Bounced},
	{"emails_complained", Complained},
	{"opens_human", OpensHuman},
	{"opens_machine", OpensMachine},
	{"clicks_human", ClicksHuman},
	{"clicks_machine", ClicksMachine},
	{"unsubscribes", Unsubscribes},
}

// Counts are counter increments (or totals) of one day, by counter name.
type Counts map[string]int64

// Tally is counts by day.
type Tally map[string]Counts

// Add adds n to a day's counter.
func (t Tally) Add(day, counter string, n int64) {
	if n == 0 {
		return
	}
	c := t[day]
	if c == nil {
		c = Counts{}
		t[day] = c
	}
	c[counter] += n
}

// Merge adds o into t.
func (t Tally) Merge(o Tally) {
	for day, cs := range o {
		for k, n := range cs {
			t.Add(day, k, n)
		}
	}
}

// Days lists t's days in order.
func (t Tally) Days() []string {
	days := make([]string, 0, len(t))
	for d := range t {
		days = append(days, d)
	}
	sort.Strings(days)
	return days
}

// Velocity histograms: the hours a contact took from one funnel stage to
// the next fall in log-scale buckets, two per doubling: bucket 0 is under
// an hour, bucket k ≥ 1 holds [2^((k-1)/2), 2^(k/2)) hours, and the last
// bucket everything from about 2.7 years. A median read from the buckets
// is within a factor √2 of the true one whatever the spread, and a day's
// histogram per stage pair is a handful of small numbers.
const (
	HistogramBuckets = 30
)

// Bucket is the histogram bucket of a duration in hours.
func Bucket(hours float64) int {
	if !(hours >= 1) { // also NaN and negative (clock skew): the first bucket
		return 0
	}
	k := 1 + int(math.Floor(2*math.Log2(hours)))
	return min(k, HistogramBuckets-1)
}

// BucketBounds are the hours a bucket covers, [lo, hi); the last bucket's
// hi is its lo times √2, the value a median in it is capped at.
func BucketBounds(k int) (lo, hi float64) {
	if k <= 0 {
		return 0, 1
	}
	return math.Pow(2, float64(k-1)/2), math.Pow(2, float64(k)/2)
}

// Median reads the median from bucket counts: the middle sample (the mean
// of the two middle ones for an even count), each placed inside its bucket
// as if the bucket's samples were spread evenly (linearly in the first
// bucket, geometrically in the log-scale ones). ok is false with no
// samples.
func Median(buckets []int64) (hours float64, ok bool) {
	var total int64
	for _, n := range buckets {
		total += n
	}
	if total == 0 {
		return 0, false
	}
	lo, hi := (total-1)/2, total/2
	return (sampleAt(buckets, lo) + sampleAt(buckets, hi)) / 2, true
}

// sampleAt estimates the i-th smallest sample (0-based, i < total).
func sampleAt(buckets []int64, i int64) float64 {
	var before int64
	for k, n := range buckets {
		if before+n > i {
			// Sample j of the bucket sits (j + 0.5) / n of the way through.
			frac := (float64(i-before) + 0.5) / float64(n)
			lo, hi := BucketBounds(k)
			if k == 0 {
				return lo + (hi-lo)*frac
			}
			return lo * math.Pow(hi/lo, frac)
		}
		before += n
	}
	return 0 // unreachable for i < total
}
