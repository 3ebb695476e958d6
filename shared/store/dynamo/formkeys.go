package dynamo

import "time"

// Keys of rate-limit counters (KEYS.md, "Forms and rate limits").
const (
	skRateLimit = "RL"
	// rateLimitGrace keeps a counter an hour past its window, so a clock a
	// little behind never finds its window's counter already gone; TTL then
	// removes it (TTL deletes are free).
	rateLimitGrace = time.Hour
)

// rateLimitPK is one counter: a key (what is limited) and the start of the
// fixed window it counts.
func rateLimitPK(key string, windowStart time.Time) string {
	return "RL#" + key + "#" + windowStart.UTC().Format(time.RFC3339)
}
