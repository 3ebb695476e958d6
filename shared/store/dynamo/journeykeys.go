package dynamo

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Keys of journeys (KEYS.md, "Journeys"). A run's record lives in its
// contact's partition, so a contact's runs are one Query; a journey's step
// counters live in the journey's partition, one item per version and
// shard, so the counts of every step and version are one Query too.
const (
	prefixJourneyRun   = "JR#"
	prefixJourneyStats = "JSTAT#"
	// journeyStatShards spreads a busy journey's counter updates (one per
	// processor batch) over a few items; reading sums them.
	journeyStatShards = 4
)

// journeyRunSK is a run's record under C#<contact>.
func journeyRunSK(journeyID, runID string) string {
	return prefixJourneyRun + journeyID + "#" + runID
}

// journeyStatsPK is a journey's counters partition.
func journeyStatsPK(journeyID string) string { return prefixJourneyStats + journeyID }

// journeyStatsSK is one version's counter item in a shard; the version is
// zero-padded so items sort by version.
func journeyStatsSK(version int64, shard int) string {
	return fmt.Sprintf("V#%010d#%d", version, shard)
}

func parseJourneyStatsSK(sk string) (int64, bool) {
	rest, ok := strings.CutPrefix(sk, "V#")
	if !ok {
		return 0, false
	}
	v, _, _ := strings.Cut(rest, "#")
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// journeyCounterAttr names a step's metric in a counter item: "c:" then
// the step ("" for the journey) and the metric, split by "|" (step ids
// cannot contain it).
func journeyCounterAttr(step, metric string) string { return "c:" + step + "|" + metric }

func parseJourneyCounterAttr(a string) (step, metric string, ok bool) {
	rest, ok := strings.CutPrefix(a, "c:")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, "|")
}

// Contacts at a step: an active run's record carries gsi1 keys naming its
// journey, version and step, so listing who is at a step is one Query of
// a keys-only index partition. The sort key is when the run's wait ends
// (held runs sort last), and the listing reads only entries that end after
// the present (less a grace): so a run that ends at or after its wake can
// leave its entry behind, already out of the listing, and the write that
// ends it costs no index delete. A run that leaves its step early (the
// awaited event, a goal, an exit segment, a stop) still removes its entry,
// and one that comes to rest at another step re-keys it (two small
// writes).
const gsiJourneyStepPrefix = "JAT#"

// journeyStepGSIPK is the index partition of one journey version's step.
func journeyStepGSIPK(journeyID string, version int64, step string) string {
	return fmt.Sprintf("%s%s#%d#%s", gsiJourneyStepPrefix, journeyID, version, step)
}

// journeyStepTimeLayout is fixed-width, so index keys sort by time.
const journeyStepTimeLayout = "2006-01-02T15:04:05.000000000Z"

// journeyStepHeld is the sort time of a run held by a paused journey (it
// waits for no time): after every wake.
var journeyStepHeld = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)

// journeyStepGSISK orders a step's runs by when their wait ends (until;
// zero for a held run, which sorts last); the contact id makes it unique
// and is the page cursor's tie-breaker.
func journeyStepGSISK(until time.Time, contactID string) string {
	if until.IsZero() {
		until = journeyStepHeld
	}
	return until.UTC().Format(journeyStepTimeLayout) + "#" + contactID
}

func parseJourneyStepGSISK(sk string) (time.Time, string, bool) {
	ts, contactID, ok := strings.Cut(sk, "#")
	t, err := time.Parse(journeyStepTimeLayout, ts)
	return t, contactID, ok && err == nil && contactID != ""
}

// Held runs: while a journey is paused, each run it holds is listed in the
// journey's held partition, so resume reads exactly those runs (a Query)
// instead of every run resting at a step.
const prefixJourneyHeld = "JHELD#"

// journeyHeldPK is a journey's held partition.
func journeyHeldPK(journeyID string) string { return prefixJourneyHeld + journeyID }

// journeyHeldSK names one held run; the run id is the page cursor's
// tie-breaker after the contact id.
func journeyHeldSK(contactID, runID string) string { return contactID + "#" + runID }

func parseJourneyHeldSK(sk string) (contactID, runID string, ok bool) {
	contactID, runID, ok = strings.Cut(sk, "#")
	return contactID, runID, ok && contactID != "" && runID != ""
}

// Planned volume: a journey's runs whose wait ends on a day, in the
// journey's counters partition beside the step counters (P# sorts before
// V#, and StepCounts reads only V#): one item per day and shard, so a
// calendar's range is one Query per journey. The items expire
// journeyPlanKeep after their day, when nothing is planned on it any more.
const (
	prefixJourneyPlan = "P#"
	journeyPlanKeep   = 35 * 24 * time.Hour
)

// journeyPlanSK is a day's planned-volume item in a shard.
func journeyPlanSK(day string, shard int) string {
	return fmt.Sprintf("%s%s#%d", prefixJourneyPlan, day, shard)
}

func parseJourneyPlanSK(sk string) (string, bool) {
	rest, ok := strings.CutPrefix(sk, prefixJourneyPlan)
	if !ok {
		return "", false
	}
	day, _, ok := strings.Cut(rest, "#")
	return day, ok
}
