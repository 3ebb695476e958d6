package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"

	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// benchJourneys are what a marketing team might run beside the repo's
// welcome journey: a few entered by what the workload does (videos,
// whitepapers, the trial CTA, the pricing segment), with goals on events
// it sends, and the rest on triggers it never fires (their triggers and
// goals still cost an evaluation per event, which is what -journeys
// measures). Email steps reach only subscribed contacts; the workload's
// visitors are not, so they are skipped, as for a real anonymous visitor.
var benchJourneys = []struct{ id, trigger, goals, steps string }{
	{"video-nurture", `{"kind":"event","event":"Video Played"}`, `[{"name":"clicked a CTA","event":"CTA Clicked"}]`,
		`[{"id":"wait","kind":"wait","wait":{"for":"3d"},"next":"tips"},{"id":"tips","kind":"email","email":{"template":"welcome-tips"}}]`},
	{"whitepaper-follow-up", `{"kind":"event","event":"Whitepaper Downloaded","where":[{"property":"format","op":"eq","value":"pdf"}]}`,
		`[{"name":"viewed a plan","event":"Pricing Plan Viewed"}]`,
		`[{"id":"mail","kind":"email","email":{"template":"lead-nurture-1"},"next":"wait"},{"id":"wait","kind":"wait","wait":{"for":"2d"},"next":"hot"},
		  {"id":"hot","kind":"branch","branch":{"cases":[{"name":"hot","condition":{"score":{"kind":"total","op":"gte","value":30}},"next":"tell"}]}},
		  {"id":"tell","kind":"notify","notify":{"event":"journey.hot_lead"}}]`},
	{"pricing-interest", `{"kind":"segment.entered","segment":"pricing-visitors"}`, `[{"name":"requested a demo","event":"Demo Requested"}]`,
		`[{"id":"wait","kind":"wait","wait":{"for":"1d"},"next":"nudge"},{"id":"nudge","kind":"email","email":{"template":"demo-nudge"}}]`},
	{"trial-cta", `{"kind":"event","event":"CTA Clicked","where":[{"property":"label","op":"contains","value":"trial"}]}`, `[]`,
		`[{"id":"await","kind":"wait","wait":{"event":"Pricing Plan Viewed","timeout":"7d","timeout_next":"nudge"},"next":"tag"},
		  {"id":"tag","kind":"update","update":{"add_tags":["trial-intent"]}},{"id":"nudge","kind":"email","email":{"template":"demo-nudge"}}]`},
	{"high-score", `{"kind":"score","score":50}`, `[]`, `[{"id":"tell","kind":"notify","notify":{"event":"journey.high_score"}}]`},
	{"sql-handoff", `{"kind":"stage","stage":"sql"}`, `[]`, `[{"id":"tell","kind":"notify","notify":{"event":"journey.sql"}}]`},
	{"demo-booked", `{"kind":"form","form":"demo-request"}`, `[{"name":"became a customer","condition":{"stage":{"in":["customer"]}}}]`,
		`[{"id":"wait","kind":"wait","wait":{"for":"1d"},"next":"mail"},{"id":"mail","kind":"email","email":{"template":"lead-nurture-1"}}]`},
	{"trial-ending", `{"kind":"date","date":{"trait":"trial_ends_at","offset_days":-3,"at":"10:00"}}`, `[{"name":"paid","event":"Invoice Paid"}]`,
		`[{"id":"mail","kind":"email","email":{"template":"lead-nurture-1"}}]`},
	{"webinar", `{"kind":"event","event":"Webinar Registered"}`, `[{"name":"attended","event":"Webinar Attended"}]`,
		`[{"id":"wait","kind":"wait","wait":{"for":"1w"},"next":"mail"},{"id":"mail","kind":"email","email":{"template":"lead-nurture-1"}}]`},
	{"signup-onboarding", `{"kind":"event","event":"Signup Completed"}`, `[{"name":"activated","event":"Feature Used","where":[{"property":"feature","op":"eq","value":"import"}]}]`,
		`[{"id":"welcome","kind":"email","email":{"template":"welcome"},"next":"wait"},{"id":"wait","kind":"wait","wait":{"for":"2d"},"next":"tips"},
		  {"id":"tips","kind":"email","email":{"template":"welcome-tips"}}]`},
	{"ebook", `{"kind":"event","event":"Ebook Downloaded"}`, `[]`,
		`[{"id":"split","kind":"split","split":[{"name":"a","percent":50,"next":"mail-a"},{"name":"b","percent":50,"next":"mail-b"}]},
		  {"id":"mail-a","kind":"email","email":{"template":"lead-nurture-1"}},{"id":"mail-b","kind":"email","email":{"template":"welcome-tips"}}]`},
	{"case-study", `{"kind":"event","event":"Case Study Viewed"}`, `[{"name":"requested a demo","event":"Demo Requested"}]`,
		`[{"id":"wait","kind":"wait","wait":{"weekdays":["tue","wed","thu"],"at":"10:00"},"next":"mail"},{"id":"mail","kind":"email","email":{"template":"demo-nudge"}}]`},
	{"churn-risk", `{"kind":"event","event":"Support Ticket Opened","where":[{"property":"priority","op":"eq","value":"high"}]}`, `[]`,
		`[{"id":"tell","kind":"notify","notify":{"event":"journey.churn_risk"}}]`},
	{"upgrade", `{"kind":"event","event":"Plan Limit Reached"}`, `[{"name":"upgraded","event":"Plan Upgraded"}]`,
		`[{"id":"wait","kind":"wait","wait":{"for":"1d"},"next":"mail"},{"id":"mail","kind":"email","email":{"template":"lead-nurture-1"}}]`},
	{"event-invite", `{"kind":"event","event":"Event Interest"}`, `[]`,
		`[{"id":"tag","kind":"update","update":{"add_tags":["event-invite"]}}]`},
	{"reactivation", `{"kind":"segment.exited","segment":"pricing-visitors"}`, `[{"name":"came back to pricing","event":"Pricing Plan Viewed"}]`,
		`[{"id":"wait","kind":"wait","wait":{"for":"2w"},"next":"mail"},{"id":"mail","kind":"email","email":{"template":"lead-nurture-1"}}]`},
	{"partner-lead", `{"kind":"event","event":"Partner Referral"}`, `[]`,
		`[{"id":"tag","kind":"update","update":{"add_tags":["partner"],"stage":"mql"}}]`},
	{"mql", `{"kind":"stage","stage":"mql"}`, `[{"name":"became sql","condition":{"stage":{"in":["sql"]}}}]`,
		`[{"id":"wait","kind":"wait","wait":{"for":"3d"},"next":"mail"},{"id":"mail","kind":"email","email":{"template":"demo-nudge"}}]`},
	{"feedback", `{"kind":"event","event":"Order Delivered"}`, `[]`,
		`[{"id":"wait","kind":"wait","wait":{"for":"1w"},"next":"mail"},{"id":"mail","kind":"email","email":{"template":"lead-nurture-1"}}]`},
	{"win-back", `{"kind":"event","event":"Subscription Cancelled"}`, `[{"name":"resubscribed","event":"Subscription Confirmed"}]`,
		`[{"id":"wait","kind":"wait","wait":{"for":"30d"},"next":"mail"},{"id":"mail","kind":"email","email":{"template":"lead-nurture-1"}}]`},
}

// defineJourneys makes the first n of benchJourneys live through the admin
// API (the validator of PUT /v1/journeys/{id}). The processor has not run
// yet, so its first batch lists the journeys in effect with them in.
func defineJourneys(ctx context.Context, api, token string, n int) error {
	if n <= 0 {
		return nil
	}
	if n > len(benchJourneys) {
		return fmt.Errorf("-journeys %d: at most %d", n, len(benchJourneys))
	}
	for i := range n {
		j := benchJourneys[i]
		req, err := http.NewRequestWithContext(ctx, "PUT", api+"/v1/journeys/"+j.id, strings.NewReader(journeyBody(i)))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 300 {
			return fmt.Errorf("PUT journey %s: %d %s", j.id, res.StatusCode, raw)
		}
	}
	return nil
}

// journeyBody is bench journey i's definition, starting at its first step.
func journeyBody(i int) string {
	j := benchJourneys[i]
	return fmt.Sprintf(`{"id":%q,"name":%q,"status":"live","trigger":%s,"entry":{"rule":"once"},"goals":%s,"start":%s,"steps":%s}`,
		j.id, j.id, j.trigger, j.goals, firstStep(j.steps), j.steps)
}

// firstStep is the quoted id of a steps array's first step.
func firstStep(steps string) string {
	_, rest, _ := strings.Cut(steps, `"id":"`)
	id, _, _ := strings.Cut(rest, `"`)
	return fmt.Sprintf("%q", id)
}

// journeyEntries reads how many runs each live journey started during the
// run (the step counters of step ""), so a report shows which journeys the
// workload entered.
func journeyEntries(ctx context.Context, ddb *dynamodb.Client, table string, n int) (string, error) {
	if n <= 0 {
		return "", nil
	}
	st := dynamo.New(ddb, table)
	ids := []string{"welcome"}
	for _, j := range benchJourneys[:n] {
		ids = append(ids, j.id)
	}
	var parts []string
	total := int64(0)
	for _, id := range ids {
		cs, err := st.StepCounts(ctx, id)
		if err != nil {
			return "", err
		}
		for _, c := range cs {
			if c.Step == "" && c.Metric == journey.MetricEntered && c.N > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", id, c.N))
				total += c.N
			}
		}
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d runs entered (%s)", total, strings.Join(parts, ", ")), nil
}
