package adminfn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/campaign/memberaudience"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/definition/defapi"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/journeyrun"
	"github.com/leadflow/leadflow/shared/timer"
)

// CampaignStore is what the campaign routes read and write beyond the
// campaign package's Store (the DynamoDB store).
type CampaignStore interface {
	campaign.Store
	campaign.CountStore
	campaign.WaveStore
	timer.Store
	// The member index and profiles: the calendar samples a
	// recipient-time audience's zones before its first run.
	memberaudience.Index
	memberaudience.Profiles
	CampaignStates(ctx context.Context, ids []string) (map[string]campaign.State, error)
	Runs(ctx context.Context, id string) ([]campaign.Run, error)
}

// WithCampaigns gives the handler the campaign service (its store, the
// Scheduler adapter and the campaigns queue); without it the campaign
// actions answer 503.
func (h *Handler) WithCampaigns(store CampaignStore, sch campaign.Scheduler, queue campaign.Queue) *Handler {
	defs := definitions.Campaigns{C: definitions.CampaignCache(h.reg).WithTTL(0, nil)}
	// Resume restarts the waves of a recipient-time send a pause held.
	f := &campaign.Fanout{Store: store, Definitions: defs, Queue: queue, Schedules: sch, Log: h.log, Now: h.now,
		Waves: store, WaveTimers: campaign.WheelWaves{Wheel: timer.NewWheel(store, nil, h.now)}}
	sending := definitions.SendingCache(h.reg).WithTTL(0, nil)
	h.campaigns = &campaign.Service{Store: store, Definitions: defs, Scheduler: sch, Fanout: f, Now: h.now,
		ApprovalRequired: func(ctx context.Context) (bool, error) {
			s, err := sending.Default(ctx)
			return s.CampaignApproval, err
		}}
	h.campaignStore = store
	h.campaignAudience = &memberaudience.Pager{Index: store, Profiles: store}
	return h
}

var errCampaignsOff = errors.New("campaign scheduling is not configured for this deployment")

// campaignHooks are the registry's steps for campaign definitions: a
// change is refused once sending started, and recorded in the state
// (which drops an approval of other content); answers carry the state.
func (h *Handler) campaignHooks() defapi.Hooks {
	return defapi.Hooks{
		Check: func(ctx context.Context, body json.RawMessage) error {
			if h.campaigns == nil {
				return nil
			}
			c, err := definition.DecodeAs[campaign.Campaign](body)
			if err != nil {
				return err
			}
			if err := h.checkCampaignRefs(ctx, c); err != nil {
				return err
			}
			return h.campaigns.CheckEdit(ctx, c.ID)
		},
		Invalid: func(err error) (httpapi.Response, bool) {
			if errors.Is(err, campaign.ErrLocked) {
				return httpapi.Fail(http.StatusConflict, "campaign_locked", err.Error(), nil), true
			}
			return httpapi.Response{}, false
		},
		AfterSave: func(ctx context.Context, s definition.Saved) (map[string]any, error) {
			if h.campaigns == nil {
				return nil, nil
			}
			sum := sha256.Sum256(s.Body)
			st, err := h.campaigns.Edited(ctx, s.ID, hex.EncodeToString(sum[:8]), h.savedBy(ctx))
			if err != nil {
				return nil, err
			}
			return stateFields(st), nil
		},
		Decorate: func(ctx context.Context, d definition.Definition) (map[string]any, error) {
			if h.campaigns == nil {
				return nil, nil
			}
			st, err := h.campaigns.State(ctx, d.ID)
			if err != nil {
				return nil, err
			}
			return stateFields(st), nil
		},
		CheckDelete: func(ctx context.Context, id string) error {
			if h.campaigns == nil {
				return nil
			}
			st, err := h.campaigns.State(ctx, id)
			if err != nil {
				return err
			}
			if !st.Deletable() {
				return fmt.Errorf("campaign %q is %s: cancel it before deleting it", id, st.Status)
			}
			return nil
		},
	}
}

// checkCampaignRefs refuses a campaign naming templates that do not exist
// or belong to another topic.
func (h *Handler) checkCampaignRefs(ctx context.Context, c campaign.Campaign) error {
	for _, id := range c.Templates() {
		t, err := h.templates.Get(ctx, id)
		if errors.Is(err, definition.ErrNotFound) {
			return fmt.Errorf("template %q does not exist", id)
		}
		if err != nil {
			return fmt.Errorf("template %q: %w", id, err)
		}
		if topic := t.Template().Topic; topic != c.Topic {
			return fmt.Errorf("template %q is of topic %q, the campaign of %q", id, topic, c.Topic)
		}
	}
	return nil
}

func stateFields(st campaign.State) map[string]any {
	return map[string]any{"state": st.Status, "lifecycle": st}
}

func (h *Handler) campaignRoutes() map[string]routeFunc {
	action := func(f func(ctx context.Context, id string) (campaign.State, error)) routeFunc {
		return func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			if h.campaigns == nil {
				return httpapi.Fail(http.StatusServiceUnavailable, "campaigns_unavailable", errCampaignsOff.Error(), nil), nil
			}
			id := req.PathParameters["id"]
			if _, err := h.reg.Get(ctx, definitions.KindCampaigns, id); errors.Is(err, definition.ErrNotFound) {
				return httpapi.Fail(http.StatusNotFound, "not_found", fmt.Sprintf("no campaign %q", id), nil), nil
			} else if err != nil {
				return httpapi.Response{}, err
			}
			st, err := f(ctx, id)
			if resp, ok := campaignFailure(err); ok {
				return resp, nil
			}
			if err != nil {
				return httpapi.Response{}, err
			}
			h.log.InfoContext(ctx, "campaign "+req.RouteKey, "campaign_id", id, "state", st.Status)
			return httpapi.JSON(http.StatusOK, map[string]any{"id": id, "state": st.Status, "lifecycle": st}, nil), nil
		}
	}
	by := func(f func(ctx context.Context, id, by string) (campaign.State, error)) func(ctx context.Context, id string) (campaign.State, error) {
		return func(ctx context.Context, id string) (campaign.State, error) { return f(ctx, id, h.actorID(ctx)) }
	}
	return map[string]routeFunc{
		"POST /v1/campaigns/{id}/schedule": action(by(func(ctx context.Context, id, who string) (campaign.State, error) {
			return h.campaigns.Schedule(ctx, id, who)
		})),
		"POST /v1/campaigns/{id}/approve": action(by(func(ctx context.Context, id, who string) (campaign.State, error) {
			return h.campaigns.Approve(ctx, id, who)
		})),
		"POST /v1/campaigns/{id}/pause":  action(func(ctx context.Context, id string) (campaign.State, error) { return h.campaigns.Pause(ctx, id) }),
		"POST /v1/campaigns/{id}/resume": action(func(ctx context.Context, id string) (campaign.State, error) { return h.campaigns.Resume(ctx, id) }),
		"POST /v1/campaigns/{id}/cancel": action(func(ctx context.Context, id string) (campaign.State, error) { return h.campaigns.Cancel(ctx, id) }),
		"POST /v1/campaigns/{id}/winner": h.pickWinner,
		"GET /v1/campaigns/{id}/results": h.campaignResults,
		"GET /v1/calendar":               h.calendar,
	}
}

// actorID names who acts on a campaign: the signed-in user's name (what
// the registry records as a definition's author), or the admin token's.
func (h *Handler) actorID(ctx context.Context) string { return h.savedBy(ctx) }

func campaignFailure(err error) (httpapi.Response, bool) {
	switch {
	case err == nil:
		return httpapi.Response{}, false
	case errors.Is(err, campaign.ErrSelfApproval):
		return httpapi.Fail(http.StatusConflict, "self_approval", err.Error(), nil), true
	case errors.Is(err, campaign.ErrTransition):
		return httpapi.Fail(http.StatusConflict, "invalid_state", err.Error(), nil), true
	case errors.Is(err, campaign.ErrLocked):
		return httpapi.Fail(http.StatusConflict, "campaign_locked", err.Error(), nil), true
	case errors.Is(err, campaign.ErrNotFound), errors.Is(err, definition.ErrNotFound):
		return httpapi.Fail(http.StatusNotFound, "not_found", err.Error(), nil), true
	}
	return httpapi.Response{}, false
}

// pickWinner lets the marketer choose an A/B winner ({"occurrence", "variant"}).
func (h *Handler) pickWinner(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	if h.campaigns == nil {
		return httpapi.Fail(http.StatusServiceUnavailable, "campaigns_unavailable", errCampaignsOff.Error(), nil), nil
	}
	var in struct {
		Occurrence string `json:"occurrence"`
		Variant    string `json:"variant"`
	}
	if err := decodeStrict(req, &in); err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_json", "winner: " + err.Error()}
	}
	id := req.PathParameters["id"]
	run, err := h.campaignStore.Run(ctx, id, in.Occurrence)
	if resp, ok := campaignFailure(err); ok {
		return resp, nil
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	if run.Phase != campaign.PhaseTest || !run.Done {
		return httpapi.Fail(http.StatusConflict, "invalid_state", "the A/B test of this occurrence is not waiting for a winner", nil), nil
	}
	if _, ok := run.Templates[in.Variant]; !ok || in.Variant == "" {
		return httpapi.Response{}, errBadRequest{"invalid_variant", fmt.Sprintf("no variant %q", in.Variant)}
	}
	if err := h.campaigns.Fanout.Pick(ctx, id, in.Occurrence, in.Variant, nil); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"id": id, "occurrence": in.Occurrence, "winner": in.Variant}, nil), nil
}

// campaignResults answers the counters: totals, by variant and by
// occurrence, with each occurrence's fan-out progress and A/B decision.
func (h *Handler) campaignResults(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	if h.campaigns == nil {
		return httpapi.Fail(http.StatusServiceUnavailable, "campaigns_unavailable", errCampaignsOff.Error(), nil), nil
	}
	id := req.PathParameters["id"]
	c, err := h.campaigns.Definitions.Campaign(ctx, id)
	if resp, ok := campaignFailure(err); ok {
		return resp, nil
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	st, err := h.campaigns.State(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	counts, err := h.campaignStore.CampaignCounts(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	runs, err := h.campaignStore.Runs(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	res := campaign.Summarize(c, counts, runs)
	return httpapi.JSON(http.StatusOK, map[string]any{"id": id, "state": st.Status, "results": res,
		"totals": res.Totals, "variants": res.Variants, "occurrences": res.Occurrences, "links": res.Links}, nil), nil
}

// calendar lists every planned send between from and to (RFC 3339 or a
// date; at most 400 days): occurrences of every scheduled campaign, a
// recipient-time send with its waves, and an audience estimate (the last
// occurrence's recipients; none before a first send). A recipient-time
// send's waves come from its run's zones, or, before it ran, from a
// bounded sample of its audience (campaign.SampleZones).
func (h *Handler) calendar(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	q := req.QueryStringParameters
	from, err1 := parseDay(q["from"])
	to, err2 := parseDay(q["to"])
	if err1 != nil || err2 != nil || !to.After(from) || to.Sub(from) > 400*24*time.Hour {
		return httpapi.Response{}, errBadRequest{"invalid_parameter", "from and to are required: RFC 3339 times or dates (2027-01-01), to after from, at most 400 days apart"}
	}
	defs, err := h.reg.List(ctx, definitions.KindCampaigns)
	if err != nil {
		return httpapi.Response{}, err
	}
	ids := make([]string, 0, len(defs))
	for _, d := range defs {
		ids = append(ids, d.ID)
	}
	states := map[string]campaign.State{}
	if h.campaignStore != nil {
		if states, err = h.campaignStore.CampaignStates(ctx, ids); err != nil {
			return httpapi.Response{}, err
		}
	}
	entries := []map[string]any{}
	for _, d := range defs {
		c, err := definition.DecodeAs[campaign.Campaign](d.Body)
		if err != nil {
			continue
		}
		st, ok := states[c.ID]
		if !ok {
			st = campaign.State{ID: c.ID, Status: campaign.Draft}
		}
		var estimate any
		var zones []string
		if h.campaignStore != nil {
			if runs, err := h.campaignStore.Runs(ctx, c.ID); err == nil && len(runs) > 0 {
				last := runs[len(runs)-1]
				estimate = last.Recipients
				for z := range last.Zones {
					zones = append(zones, z)
				}
				slices.Sort(zones)
			}
		}
		planned := campaign.CalendarEntries(c, st, from, to, estimate, zones)
		if len(planned) > 0 && zones == nil && c.Schedule.Type == campaign.RecipientTime && h.campaignAudience != nil {
			// Not run yet, but in the range: its waves from a sample.
			sample, err := campaign.SampleZones(ctx, h.campaignAudience, h.campaignAudience, c, campaign.ZoneSample)
			if err != nil {
				return httpapi.Response{}, fmt.Errorf("calendar: campaign %s: %w", c.ID, err)
			}
			planned = campaign.CalendarEntries(c, st, from, to, estimate, sample)
		}
		entries = append(entries, planned...)
	}
	slices.SortFunc(entries, func(a, b map[string]any) int { return a["at"].(time.Time).Compare(b["at"].(time.Time)) })
	volumes, err := h.journeyVolumes(ctx, from, to)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"from": from, "to": to, "entries": entries, "journeys": volumes}, nil), nil
}

// journeyVolume is a journey's planned volume on a day in the calendar.
type journeyVolume struct {
	journeyrun.PlanCount
	Name   string `json:"name"`
	Status string `json:"status"`
}

// journeyVolumes are the journeys' planned volumes on the calendar's days
// (UTC; from's day through the day before to, or to's day when to is not
// midnight): for each journey, one Query of its planned-volume counters,
// kept as runs come to rest at a wait and move on (journeyrun.PlanCount).
func (h *Handler) journeyVolumes(ctx context.Context, from, to time.Time) ([]journeyVolume, error) {
	out := []journeyVolume{}
	if h.store == nil {
		return out, nil
	}
	last := to.Add(-time.Nanosecond)
	defs, err := h.reg.List(ctx, definitions.KindJourneys)
	if err != nil {
		return nil, err
	}
	for _, d := range defs {
		j, err := definition.DecodeAs[journey.Journey](d.Body)
		if err != nil {
			continue
		}
		days, err := h.store.Planned(ctx, d.ID, journeyrun.PlanDay(from), journeyrun.PlanDay(last))
		if err != nil {
			return nil, fmt.Errorf("calendar: journey %s: %w", d.ID, err)
		}
		for _, p := range days {
			out = append(out, journeyVolume{PlanCount: p, Name: j.Name, Status: j.Status})
		}
	}
	slices.SortFunc(out, func(a, b journeyVolume) int {
		if c := strings.Compare(a.Day, b.Day); c != 0 {
			return c
		}
		return strings.Compare(a.Journey, b.Journey)
	})
	return out, nil
}

func parseDay(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	return time.Parse(time.DateOnly, v)
}
