package segment

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/engagement"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Counters are the per-contact windowed counts filters need that the
// profile does not hold: events by name, page views by path prefix, email
// opens and clicks (human and machine apart). Each key holds day buckets as
// pairs [day, count, day, count, ...], day being days since 1970-01-01 UTC,
// oldest first. Only keys some live segment needs are kept, each pruned to
// the longest window that needs it, so the profile stays within its write
// unit (see MaxCounterKeys).
type Counters map[string][]int32

// MaxCounterKeys bounds the counters on one profile; MaxCounterPairs the
// day buckets over all of them. With keys under 40 bytes the counters stay
// under ~450 bytes of the profile's 1 KB budget in the common case; a
// definition set needing more keeps the most-needed (shortest key order)
// and the validator of the set reports it (Set.Warnings).
const (
	MaxCounterKeys  = 12
	MaxCounterPairs = 48
)

// Needs maps a counter key to the longest window (days) any segment uses
// it with.
type Needs map[string]int

func (n Needs) add(key string, days int) {
	if days > n[key] {
		n[key] = days
	}
}

// Counter keys.
const (
	keyEvent   = "e:" // + event name
	keyPath    = "p:" // + path prefix
	keyOpen    = "o"  // human opens; + ":" + template
	keyOpenM   = "om" // machine opens
	keyClick   = "c"  // human clicks
	keyClickM  = "cm" // machine clicks
	keySepTmpl = ":"
)

func emailKeys(action, template string, machine bool) []string {
	var base []string
	switch action {
	case ActionOpened:
		base = []string{keyOpen}
	case ActionClicked:
		base = []string{keyClick}
	default:
		base = []string{keyOpen, keyClick}
	}
	var out []string
	for _, b := range base {
		ks := []string{b}
		if machine {
			ks = append(ks, b+"m")
		}
		for _, k := range ks {
			if template != "" {
				k += keySepTmpl + template
			}
			out = append(out, k)
		}
	}
	return out
}

// Day is the day bucket of t.
func Day(t time.Time) int32 { return int32(t.UTC().Unix() / 86400) }

func dayStart(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// RecheckEvent is the track event a segment timer fires so the processor
// re-evaluates the contact when a window moves; it is never counted.
const RecheckEvent = "Segment Recheck"

// Record adds a fresh message to the counters the needs ask for. It
// reports whether anything changed.
func (c *Counters) Record(m tracking.Message, needs Needs, today int32) bool {
	if len(needs) == 0 || m.Event == RecheckEvent {
		return false
	}
	day := Day(m.Timestamp)
	if day > today {
		day = today // a client clock ahead counts as today
	}
	changed := false
	bump := func(key string) {
		w, ok := needs[key]
		if !ok || today-day >= int32(w) {
			return
		}
		if *c == nil {
			*c = Counters{}
		}
		(*c)[key] = addDay((*c)[key], day)
		changed = true
	}
	switch m.Type {
	case tracking.TypeTrack:
		switch m.Event {
		case engagement.EventOpened, engagement.EventClicked:
			k := keyOpen
			if m.Event == engagement.EventClicked {
				k = keyClick
			}
			if machine, _ := m.Properties["machine"].(bool); machine {
				k += "m"
			}
			bump(k)
			if tpl := templateOf(m); tpl != "" {
				bump(k + keySepTmpl + tpl)
			}
		}
		bump(keyEvent + m.Event)
	case tracking.TypePage, tracking.TypeScreen:
		if p := m.Context.Page; p != nil && p.Path != "" {
			for key := range needs {
				if strings.HasPrefix(key, keyPath) && underPath(p.Path, key[len(keyPath):]) {
					bump(key)
				}
			}
		}
	}
	return changed
}

func templateOf(m tracking.Message) string {
	for _, k := range []string{"template_id", "template"} {
		if s, ok := m.Properties[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// underPath: "/pricing" covers /pricing, /pricing/ and /pricing/team, not
// /pricingx.
func underPath(path, prefix string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || strings.HasSuffix(prefix, "/") || path[len(prefix)] == '/' || path[len(prefix)] == '?'
}

func addDay(pairs []int32, day int32) []int32 {
	for i := len(pairs) - 2; i >= 0; i -= 2 {
		if pairs[i] == day {
			pairs[i+1]++
			return pairs
		}
		if pairs[i] < day {
			return slices.Insert(pairs, i+2, day, 1)
		}
	}
	return slices.Insert(pairs, 0, day, 1)
}

// Prune drops keys no segment needs and buckets older than each key's
// window, then bounds the whole (MaxCounterKeys, MaxCounterPairs) by
// dropping the oldest buckets first. It reports whether anything changed.
func (c *Counters) Prune(needs Needs, today int32) bool {
	changed := false
	for k, pairs := range *c {
		w, ok := needs[k]
		if !ok {
			delete(*c, k)
			changed = true
			continue
		}
		i := 0
		for i < len(pairs) && today-pairs[i] >= int32(w) {
			i += 2
		}
		if i > 0 {
			changed = true
			if i == len(pairs) {
				delete(*c, k)
				continue
			}
			(*c)[k] = slices.Clone(pairs[i:])
		}
	}
	if len(*c) > MaxCounterKeys {
		keys := c.keys()
		for _, k := range keys[MaxCounterKeys:] {
			delete(*c, k)
		}
		changed = true
	}
	total := 0
	for _, p := range *c {
		total += len(p) / 2
	}
	for total > MaxCounterPairs {
		// Drop the oldest bucket over all keys.
		oldK, oldD := "", int32(1<<30)
		for _, k := range c.keys() {
			if d := (*c)[k][0]; d < oldD {
				oldK, oldD = k, d
			}
		}
		if p := (*c)[oldK][2:]; len(p) == 0 {
			delete(*c, oldK)
		} else {
			(*c)[oldK] = p
		}
		total--
		changed = true
	}
	if len(*c) == 0 && *c != nil {
		*c = nil
	}
	return changed
}

func (c Counters) keys() []string {
	ks := make([]string, 0, len(c))
	for k := range c {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if len(ks[i]) != len(ks[j]) {
			return len(ks[i]) < len(ks[j])
		}
		return ks[i] < ks[j]
	})
	return ks
}

// count sums key's buckets in the last days days (today included).
func (c Counters) count(key string, today int32, days int) int {
	n := 0
	pairs := c[key]
	for i := len(pairs) - 2; i >= 0; i -= 2 {
		if today-pairs[i] >= int32(days) {
			break
		}
		if pairs[i] <= today {
			n += int(pairs[i+1])
		}
	}
	return n
}

// Clone copies the counters deeply.
func (c Counters) Clone() Counters {
	if c == nil {
		return nil
	}
	out := make(Counters, len(c))
	for k, v := range c {
		out[k] = slices.Clone(v)
	}
	return out
}
