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
	// prefixTimerMark starts the partition of a minute bucket's marks: one
	// item per shard, how far the wheel has fired it.
	prefixTimerMark = "TM#"
	// timerCursorKey is both pk and sk of the one cursor item.
	timerCursorKey = "TIMERCURSOR"
	// timerSafetyTTL is how long a timer (and a bucket's marks) outlive
	// their due time. The wheel does not delete what it fires from a
	// regular shard: DynamoDB's TTL does, without billing a write. It also
	// removes a timer the wheel somehow never fired (say, written behind the
	// cursor by a badly skewed clock). A week is far beyond any tick backlog.
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

// timerMarkPK is the partition of one minute bucket's shard marks.
func timerMarkPK(bucket time.Time) string {
	return prefixTimerMark + bucket.UTC().Format(timerBucketLayout)
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
