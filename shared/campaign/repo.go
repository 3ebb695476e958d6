package campaign

import (
	"fmt"
	"strings"
	"time"
)

// RepoSchedule is the schedule of a campaign kept in the repo
// (definitions/campaigns): the stack creates it as a CloudFormation
// resource, the local runner keeps it in its Scheduler at start. Both
// take the list from RepoSchedules, so they fire the same schedules.
type RepoSchedule struct {
	Campaign string
	// Name is the schedule's name in the campaigns' group.
	Name string
	SchedulePlan
}

// RepoScheduleName is the schedule of a campaign kept in the repo: "r-"
// where the runtime's are "c-", so the API's schedule calls (a
// re-approval, the delete when a campaign is sent or cancelled) never
// touch a resource CloudFormation owns. A firing of a sent or cancelled
// campaign is ignored by the fan-out, and both schedules name the same
// occurrence, which runs once.
func RepoScheduleName(id string) string {
	n := "r-" + id
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

// RepoSchedules are the schedules of the repo's campaigns still to fire at
// now: a "now" campaign has none (it starts when scheduled through the
// API), and one whose time or end passed is left out.
func RepoSchedules(campaigns []Campaign, now time.Time) ([]RepoSchedule, error) {
	var out []RepoSchedule
	for _, c := range campaigns {
		plan, ok, err := PlanOf(c)
		if err != nil {
			return nil, fmt.Errorf("campaign %s: %w", c.ID, err)
		}
		if !ok {
			continue
		}
		if end := PlanEnd(plan); !end.IsZero() && end.Before(now) {
			continue
		}
		out = append(out, RepoSchedule{Campaign: c.ID, Name: RepoScheduleName(c.ID), SchedulePlan: plan})
	}
	return out, nil
}

// PlanEnd is when a plan stops firing: a one-time schedule's time, a
// recurring one's end (zero: never).
func PlanEnd(p SchedulePlan) time.Time {
	if at, ok := strings.CutPrefix(p.Expression, "at("); ok {
		loc, err := loadZone(p.Zone)
		if err != nil {
			return p.End
		}
		if t, err := time.ParseInLocation("2006-01-02T15:04:05", strings.TrimSuffix(at, ")"), loc); err == nil {
			return t
		}
	}
	return p.End
}
