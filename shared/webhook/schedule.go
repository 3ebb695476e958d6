package webhook

import (
	"fmt"
	"strings"
	"time"
)

// MaxDelay is the longest wait between attempts: SQS delays a message at
// most 15 minutes, and the retry rides on that delay.
const MaxDelay = 15 * time.Minute

// Schedule is the wait before each retry: Schedule[i] follows the failure of
// attempt i+1, so a schedule of n waits allows n+1 attempts.
type Schedule []time.Duration

// DefaultSchedule makes 8 attempts over about 53 minutes: quick retries for
// a blip, then every 15 minutes for a receiver that is down for a while.
var DefaultSchedule = Schedule{
	10 * time.Second, 30 * time.Second, 2 * time.Minute, 5 * time.Minute,
	15 * time.Minute, 15 * time.Minute, 15 * time.Minute,
}

// MaxAttempts is how many attempts the schedule allows.
func (s Schedule) MaxAttempts() int { return len(s) + 1 }

// Delay is the wait after attempt failed, and false when it was the last.
// A receiver's Retry-After lengthens the wait (up to MaxDelay), never
// shortens it.
func (s Schedule) Delay(attempt int, retryAfter time.Duration) (time.Duration, bool) {
	if attempt < 1 || attempt > len(s) {
		return 0, false
	}
	return min(max(s[attempt-1], retryAfter), MaxDelay), true
}

// String is the schedule in ParseSchedule's format.
func (s Schedule) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// ParseSchedule reads a comma-separated list of Go durations
// ("10s,30s,2m"). Tests shorten the schedule this way; each wait must be
// positive and at most MaxDelay.
func ParseSchedule(v string) (Schedule, error) {
	var s Schedule
	for part := range strings.SplitSeq(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("webhook backoff %q: %w", v, err)
		}
		if d <= 0 || d > MaxDelay {
			return nil, fmt.Errorf("webhook backoff %q: each wait must be in (0, %s]", v, MaxDelay)
		}
		s = append(s, d)
	}
	return s, nil
}
