package dynamo

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Keys of the timer wheel (KEYS.md, "Timers"). They live beside keys.go
// rather than in it so the timer adapter can be added without touching the
// contact keys; nothing else spells a timer key.
const (
	prefixTimer = "T#"
	// timerCursorKey is both pk and sk of the one cursor item.
	timerCursorKey = "TIMERCURSOR"
	// timerSafetyTTL lets DynamoDB remove a timer the wheel somehow never
	// fired (say, written behind the cursor by a badly skewed clock) instead
	// of keeping it for ever. A week is far beyond any tick backlog.
	timerSafetyTTL = 7 * 24 * time.Hour
	// timerDueLayout is RFC 3339 with all nine fraction digits. Go's
	// time.RFC3339Nano drops trailing zeros, and then 12:00:01.5Z sorts
	// before 12:00:01Z ('.' < 'Z'); a fixed width keeps the sort key in due
	// order, which the wheel relies on to stop at the first not-yet-due timer.
	timerDueLayout = "2006-01-02T15:04:05.000000000Z"
	// timerBucketLayout names a minute bucket.
	timerBucketLayout = time.RFC3339
)

// timerPK is the partition of one shard of one minute bucket.
func timerPK(bucket time.Time, shard int) string {
	return prefixTimer + bucket.UTC().Format(timerBucketLayout) + "#" + strconv.Itoa(shard)
}

// timerSK orders a partition by due time; the id makes it unique.
func timerSK(due time.Time, id string) string {
	return due.UTC().Format(timerDueLayout) + "#" + id
}

// parseTimerSK splits a sort key into the due time and the timer id. The
// due part has a fixed width, so an id may itself contain '#'.
func parseTimerSK(sk string) (time.Time, string, error) {
	n := len(timerDueLayout)
	if len(sk) < n+2 || sk[n] != '#' {
		return time.Time{}, "", fmt.Errorf("timer sort key %q is not <due>#<id>", sk)
	}
	due, err := time.Parse(timerDueLayout, sk[:n])
	if err != nil {
		return time.Time{}, "", fmt.Errorf("timer sort key %q: %w", sk, err)
	}
	return due.UTC(), sk[n+1:], nil
}

func formatTimerCursor(bucket time.Time) string { return bucket.UTC().Format(timerBucketLayout) }

func parseTimerCursor(v string) (time.Time, error) {
	t, err := time.Parse(timerBucketLayout, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, fmt.Errorf("timer cursor %q: %w", v, err)
	}
	return t.UTC(), nil
}
