package dynamo

import "time"

// Keys of forms and rate-limit counters (KEYS.md, "Forms and rate limits").
// They live beside keys.go so the forms adapter adds no edits there; nothing
// else spells these keys.
const (
	skForm   = "F"
	gsiForms = "FORMS"

	skRateLimit = "RL"
	// rateLimitGrace keeps a counter an hour past its window, so a clock a
	// little behind never finds its window's counter already gone; TTL then
	// removes it (TTL deletes are free).
	rateLimitGrace = time.Hour
)

func formPK(id string) string { return "F#" + id }

// rateLimitPK is one counter: a key (what is limited) and the start of the
// fixed window it counts.
func rateLimitPK(key string, windowStart time.Time) string {
	return "RL#" + key + "#" + windowStart.UTC().Format(time.RFC3339)
}
