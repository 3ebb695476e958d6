package main

import (
	"slices"
	"strings"
	"time"
)

// Rate is how SendEmail calls spread over calendar seconds.
type Rate struct {
	// PerSecond counts calls in each calendar second from the first
	// call's to the last's, empty seconds included.
	PerSecond []int
	Peak      int
	// Sustained is the mean over the full seconds: the first and last
	// are partial (the run starts and ends inside them).
	Sustained float64
}

// RateOf counts calls by calendar second.
func RateOf(times []time.Time) Rate {
	if len(times) == 0 {
		return Rate{}
	}
	first, last := times[0].Unix(), times[0].Unix()
	for _, t := range times {
		first, last = min(first, t.Unix()), max(last, t.Unix())
	}
	r := Rate{PerSecond: make([]int, last-first+1)}
	for _, t := range times {
		r.PerSecond[t.Unix()-first]++
	}
	r.Peak = slices.Max(r.PerSecond)
	full := r.PerSecond
	if len(full) >= 3 {
		full = full[1 : len(full)-1]
	}
	sum := 0
	for _, c := range full {
		sum += c
	}
	r.Sustained = float64(sum) / float64(len(full))
	return r
}

// Buckets sums PerSecond over windows of width seconds (the last may be
// shorter), for printing a long run.
func (r Rate) Buckets(width int) []int {
	var out []int
	for i := 0; i < len(r.PerSecond); i += width {
		sum := 0
		for _, c := range r.PerSecond[i:min(i+width, len(r.PerSecond))] {
			sum += c
		}
		out = append(out, sum)
	}
	return out
}

// Delivery compares the messages each address got with the addresses
// that must get exactly one.
type Delivery struct {
	Once               int
	Missing, Duplicate []string // addresses that got none, more than one
	Strangers          int      // messages to addresses not wanted
}

// Deliveries counts per address (case-insensitive).
func Deliveries(got map[string]int, want []string) Delivery {
	var d Delivery
	wanted := make(map[string]bool, len(want))
	for _, a := range want {
		a = strings.ToLower(a)
		wanted[a] = true
		switch n := got[a]; {
		case n == 0:
			d.Missing = append(d.Missing, a)
		case n == 1:
			d.Once++
		default:
			d.Duplicate = append(d.Duplicate, a)
		}
	}
	for a, n := range got {
		if !wanted[strings.ToLower(a)] {
			d.Strangers += n
		}
	}
	return d
}

// OK says every wanted address got exactly one message and nobody else
// got any.
func (d Delivery) OK() bool { return len(d.Missing) == 0 && len(d.Duplicate) == 0 && d.Strangers == 0 }

// AWSLatency is the assumed in-region latency of one call (typical p50s),
// for the modelled times: a fan-out page's calls run one after the other.
var AWSLatency = map[string]time.Duration{
	"DynamoDB":    8 * time.Millisecond,
	"SQS":         10 * time.Millisecond,
	"EventBridge": 20 * time.Millisecond,
	"Scheduler":   30 * time.Millisecond,
}

// AWSPageOverhead is a warm Lambda invocation from SQS, per fan-out page
// (the event source mapping's pick-up included).
const AWSPageOverhead = 100 * time.Millisecond

// Model is the modelled time of a campaign on AWS.
type Model struct {
	Recipients int
	SESRate    float64
	// PageSize recipients per fan-out page; PageCalls is the calls one
	// page makes, by service (measured, per page).
	PageSize  int
	PageCalls map[string]float64
}

// PageTime is one page's calls in sequence plus its invocation.
func (m Model) PageTime() time.Duration {
	d := AWSPageOverhead
	for svc, n := range m.PageCalls {
		d += time.Duration(n * float64(AWSLatency[svc]))
	}
	return d
}

// FanoutTime is the whole audience's pages, one chain.
func (m Model) FanoutTime() time.Duration {
	pages := (m.Recipients + m.PageSize - 1) / m.PageSize
	return time.Duration(pages) * m.PageTime()
}

// SendTime is the audience at the SES rate.
func (m Model) SendTime() time.Duration {
	return time.Duration(float64(m.Recipients) / m.SESRate * float64(time.Second))
}

// EndToEnd is schedule fired to last mail: sends start after the first
// page and go at the SES rate unless the fan-out falls behind it.
func (m Model) EndToEnd() time.Duration {
	return m.PageTime() + max(m.SendTime(), m.FanoutTime())
}
