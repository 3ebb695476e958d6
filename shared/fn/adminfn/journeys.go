package adminfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/journeyrun"
	"github.com/leadflow/leadflow/shared/preference"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// journeyRoutes are the journey routes beyond the registry's own
// (GET/PUT/DELETE /v1/journeys/{id} come from the definition routes, with
// journeyHooks checking references): publishing, pausing and resuming (each
// a new version through the registry, so the history and the audit log
// show it), the simulator, step counts, and a contact's runs.
func (h *Handler) journeyRoutes() map[string]routeFunc {
	return map[string]routeFunc{
		"POST /v1/journeys/{id}/publish": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.setJourneyStatus(ctx, req, journey.StatusLive)
		},
		"POST /v1/journeys/{id}/pause": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.setJourneyStatus(ctx, req, journey.StatusPaused)
		},
		"POST /v1/journeys/{id}/resume": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.setJourneyStatus(ctx, req, journey.StatusLive)
		},
		"POST /v1/journeys/{id}/simulate":              h.simulateJourney,
		"GET /v1/journeys/{id}/steps":                  h.journeySteps,
		"GET /v1/journeys/{id}/steps/{step}/contacts":  h.stepContacts,
		"GET /v1/contacts/{id}/journeys":               h.contactJourneys,
		"POST /v1/contacts/{id}/journeys/{runId}/stop": h.stopRun,
	}
}

// checkJourneyRefs refuses a journey naming templates, topics, forms,
// segments or lists that do not exist (the validator alone checks its shape).
func (h *Handler) checkJourneyRefs(ctx context.Context, body json.RawMessage) error {
	j, err := definition.DecodeAs[journey.Journey](body)
	if err != nil {
		return err
	}
	refs := journey.Refs{Templates: map[string]bool{}, Topics: map[string]bool{}, Forms: map[string]bool{}}
	for kind, set := range map[definition.Kind]map[string]bool{definitions.KindTemplates: refs.Templates, definitions.KindForms: refs.Forms} {
		ds, err := h.reg.List(ctx, kind)
		if err != nil {
			return fmt.Errorf("list %s: %w", kind, err)
		}
		for _, d := range ds {
			set[d.ID] = true
		}
	}
	segs, err := h.reg.List(ctx, definitions.KindSegments)
	if err != nil {
		return fmt.Errorf("list segments: %w", err)
	}
	known := map[string]bool{}
	for _, d := range segs {
		known[d.ID] = true
	}
	refs.Segments = func(id string) bool { return known[id] }
	lists, err := h.reg.List(ctx, definitions.KindLists)
	if err != nil {
		return fmt.Errorf("list lists: %w", err)
	}
	knownLists := map[string]bool{}
	for _, d := range lists {
		knownLists[d.ID] = true
	}
	refs.Lists = func(id string) bool { return knownLists[id] }
	td, err := h.reg.Get(ctx, definitions.KindTopics, definition.DefaultID)
	if err != nil {
		return fmt.Errorf("read topics: %w", err)
	}
	topics, err := definition.DecodeAs[definitions.TopicList](td.Body)
	if err != nil {
		return fmt.Errorf("read topics: %w", err)
	}
	for _, t := range topics.Topics {
		refs.Topics[t.ID] = true
	}
	return journey.CheckRefs(j, refs)
}

// invalidJourney answers a refused journey with its problems, each tied to
// the step it concerns, for the journey map to show on the node.
func invalidJourney(err error) (httpapi.Response, bool) {
	if !errors.Is(err, journey.ErrInvalid) {
		return httpapi.Response{}, false
	}
	return httpapi.JSON(http.StatusUnprocessableEntity, map[string]any{"error": map[string]any{
		"code": "invalid_journey", "message": err.Error(), "problems": journey.ProblemsOf(err),
	}}, nil), true
}

func (h *Handler) setJourneyStatus(ctx context.Context, req httpapi.Request, status string) (httpapi.Response, error) {
	id := req.PathParameters["id"]
	var in struct {
		// OnNewVersion: finish (runs stay on their version) or move (to the
		// same-named step of this one); unset keeps the journey's setting.
		OnNewVersion string `json:"on_new_version"`
	}
	if body, _ := httpapi.Body(req); len(body) > 0 {
		if err := definition.Decode(body, &in); err != nil {
			return httpapi.Response{}, errBadRequest{"invalid_json", "journey " + req.RouteKey + ": " + err.Error()}
		}
	}
	d, err := h.reg.Get(ctx, definitions.KindJourneys, id)
	if errors.Is(err, definition.ErrNotFound) {
		return httpapi.Fail(http.StatusNotFound, "not_found", "no journey "+id, nil), nil
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	j, err := definition.DecodeAs[journey.Journey](d.Body)
	if err != nil {
		return httpapi.Response{}, err
	}
	j.Status = status
	if in.OnNewVersion != "" {
		j.OnNewVersion = in.OnNewVersion
	}
	raw, err := json.Marshal(j)
	if err != nil {
		return httpapi.Response{}, err
	}
	saved, err := h.reg.Put(ctx, definitions.KindJourneys, id, raw, definition.Write{IfMatch: d.ETag(), By: h.savedBy(ctx), Check: h.checkJourneyRefs})
	var inv *definition.InvalidError
	switch {
	case errors.As(err, &inv):
		if r, ok := invalidJourney(inv.Err); ok {
			return r, nil
		}
		return httpapi.Fail(http.StatusUnprocessableEntity, "invalid_journey", inv.Error(), nil), nil
	case errors.Is(err, definition.ErrStale):
		return httpapi.Fail(http.StatusConflict, "conflict", "the journey changed meanwhile; try again", nil), nil
	case err != nil:
		return httpapi.Response{}, err
	}
	out := map[string]any{"id": id, "status": status, "version": saved.Version, "on_new_version": j.OnNewVersion}
	if status == journey.StatusLive && h.journeyTimers != nil {
		// Runs held while paused have no timer: wake the ones the held
		// index lists. Not only after a pause: a retried resume (the save
		// went through, the wake-ups did not) finds them still listed.
		n, err := journeyrun.NewResumer(h.store, h.journeyTimers, h.now).Resume(ctx, id, saved.Version)
		if err != nil {
			return httpapi.Response{}, fmt.Errorf("journey %s saved live, resuming its held runs: %w", id, err)
		}
		out["resumed_runs"] = n
	}
	h.log.InfoContext(ctx, "journey status", "journey_id", id, "status", status, "version", saved.Version)
	return httpapi.JSON(http.StatusOK, out, nil), nil
}

// simulateJourney runs a journey (the saved one, or a draft sent along)
// over a timeline on a virtual clock: a scripted one, or a contact's
// recorded events. Nothing is sent.
func (h *Handler) simulateJourney(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id := req.PathParameters["id"]
	body, err := httpapi.Body(req)
	if err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_body", err.Error()}
	}
	var in struct {
		Definition json.RawMessage   `json:"definition"`
		Timeline   *journey.Timeline `json:"timeline"`
		ContactID  string            `json:"contact_id"`
		// For is how long the clock runs after the contact's last event.
		For journey.Duration `json:"for"`
	}
	if err := definition.Decode(body, &in); err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_json", "simulate: " + err.Error()}
	}
	if (in.Timeline == nil) == (in.ContactID == "") {
		return httpapi.Response{}, errBadRequest{"invalid_simulation", "send a timeline or a contact_id (one of them)"}
	}
	raw := in.Definition
	if len(raw) == 0 {
		d, err := h.reg.Get(ctx, definitions.KindJourneys, id)
		if errors.Is(err, definition.ErrNotFound) {
			return httpapi.Fail(http.StatusNotFound, "not_found", "no journey "+id, nil), nil
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		raw = d.Body
	}
	var j journey.Journey
	if err := definition.Decode(raw, &j); err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_journey", err.Error()}
	}
	j.Status = journey.StatusLive // a draft can be tried before it is published
	lib, err := journey.NewFixed(j)
	if err != nil {
		if r, ok := invalidJourney(errors.Unwrap(err)); ok {
			return r, nil
		}
		return httpapi.Fail(http.StatusUnprocessableEntity, "invalid_journey", err.Error(), nil), nil
	}
	tl := in.Timeline
	if tl == nil {
		if tl, err = h.recordedTimeline(ctx, in.ContactID, in.For); err != nil {
			return httpapi.Response{}, err
		}
	}
	res, err := journey.Simulate(&journey.Engine{Lib: lib}, *tl)
	if err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_simulation", err.Error()}
	}
	if res.Path == nil {
		res.Path = []journey.Mark{}
	}
	if res.Sends == nil {
		res.Sends = []string{}
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"journey_id": id, "path": res.Path, "sends": res.Sends, "text": journey.FormatPath(res.Path)}, nil), nil
}

// recordedTimeline is a contact's stored events as a timeline, starting
// from the contact as they are now (traits, status, zone).
func (h *Handler) recordedTimeline(ctx context.Context, contactID string, tail journey.Duration) (*journey.Timeline, error) {
	p, err := h.store.GetProfile(ctx, contactID)
	if err != nil {
		return nil, err
	}
	msgs, err := h.store.Timeline(ctx, append([]string{p.ID}, p.MergedIDs...), time.Time{}, 500)
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", contactID, err)
	}
	sort.SliceStable(msgs, func(a, b int) bool { return msgs[a].Timestamp.Before(msgs[b].Timestamp) })
	tl := &journey.Timeline{Contact: journey.Contact{ID: p.ID, Email: p.Email, Status: p.Status, Timezone: p.Timezone, Stage: string(p.Stage), Tags: p.Tags}, For: tail}
	for _, m := range msgs {
		if m.Type != tracking.TypeTrack {
			continue
		}
		hp := journey.Happening{At: m.Timestamp, Event: m.Event, Properties: m.Properties}
		if m.Context.Leadflow != nil {
			hp.Form = m.Context.Leadflow.FormID
		}
		tl.Entries = append(tl.Entries, hp)
	}
	if len(tl.Entries) == 0 {
		return nil, errBadRequest{"invalid_simulation", "contact " + contactID + " has no recorded events"}
	}
	tl.Start = tl.Entries[0].At
	return tl, nil
}

// stepSummary is one node of the journey map: a step of a version and how
// many runs entered it, wait there, moved on, ended there.
type stepSummary struct {
	Version   int64  `json:"version"`
	Step      string `json:"step"`
	Entered   int64  `json:"entered"`
	Waiting   int64  `json:"waiting"`
	Left      int64  `json:"moved_on"`
	Converted int64  `json:"converted"`
	Exited    int64  `json:"exited"`
	Completed int64  `json:"completed"`
	Stopped   int64  `json:"stopped"`
	// Merged: runs ended here because their contact was merged into one
	// already running the journey.
	Merged int64 `json:"merged"`
}

func (h *Handler) journeySteps(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id := req.PathParameters["id"]
	if _, err := h.reg.Get(ctx, definitions.KindJourneys, id); errors.Is(err, definition.ErrNotFound) {
		return httpapi.Fail(http.StatusNotFound, "not_found", "no journey "+id, nil), nil
	} else if err != nil {
		return httpapi.Response{}, err
	}
	counts, err := h.store.StepCounts(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	type key struct {
		v int64
		s string
	}
	nodes := map[key]*stepSummary{}
	var order []key
	edges := []edgeCount{}
	raw := make([]journeyrun.StepCount, 0, len(counts))
	for _, c := range counts {
		if to, ok := journey.EdgeTo(c.Metric); ok {
			edges = append(edges, edgeCount{Version: c.Version, From: c.Step, To: to, N: c.N})
			continue
		}
		raw = append(raw, c)
		k := key{c.Version, c.Step}
		n, ok := nodes[k]
		if !ok {
			n = &stepSummary{Version: c.Version, Step: c.Step}
			nodes[k] = n
			order = append(order, k)
		}
		switch c.Metric {
		case journey.MetricEntered:
			n.Entered += c.N
		case journey.MetricLeft:
			n.Left += c.N
		case journey.MetricConverted:
			n.Converted += c.N
		case journey.MetricExited:
			n.Exited += c.N
		case journey.MetricCompleted:
			n.Completed += c.N
		case journey.MetricStopped:
			n.Stopped += c.N
		case journey.MetricMerged:
			n.Merged += c.N
		}
	}
	summary := make([]stepSummary, 0, len(order))
	for _, k := range order {
		n := nodes[k]
		if n.Step != "" {
			// A run that completed at a step was counted as leaving it;
			// converted, exited and stopped runs were not.
			n.Waiting = max(0, n.Entered-n.Left-n.Converted-n.Exited-n.Stopped-n.Merged)
		}
		summary = append(summary, *n)
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"journey_id": id, "steps": raw, "nodes": summary, "edges": edges}, nil), nil
}

// edgeCount is how many runs moved from one step to the next (From "" is
// the trigger), for the map's edges.
type edgeCount struct {
	Version int64  `json:"version"`
	From    string `json:"from"`
	To      string `json:"to"`
	N       int64  `json:"n"`
}

// stepContact is one contact at a step: where the index put them, and
// from their profile (the truth) what the run waits for.
type stepContact struct {
	ContactID string    `json:"contact_id"`
	Email     string    `json:"email,omitempty"`
	Run       string    `json:"run_id"`
	Since     time.Time `json:"since"`
	Until     time.Time `json:"waiting_until,omitzero"`
	For       string    `json:"waiting_for,omitempty"`
	Held      bool      `json:"held,omitempty"`
}

// maxStepPageReads bounds the index reads behind one page of contacts at
// a step, so a step thick with entries of ended runs answers a short page
// (with a cursor) rather than reading on for a long time.
const maxStepPageReads = 5

// stepContacts pages through the contacts whose active run rests at a
// step of a journey version (default: the version in effect): the
// drill-down index, then the page's profiles, which drop a run that has
// moved on since (the index trails the profile by a batch, and a run that
// ended at its wake leaves its entry for a while: KEYS.md). A page the
// profiles thinned is filled from the next index pages, a few at most.
func (h *Handler) stepContacts(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id, step := req.PathParameters["id"], req.PathParameters["step"]
	q := req.QueryStringParameters
	limit, err := intParam(q, "limit", 50, 1, 100)
	if err != nil {
		return httpapi.Response{}, err
	}
	d, err := h.reg.Get(ctx, definitions.KindJourneys, id)
	if errors.Is(err, definition.ErrNotFound) {
		return httpapi.Fail(http.StatusNotFound, "not_found", "no journey "+id, nil), nil
	} else if err != nil {
		return httpapi.Response{}, err
	}
	version := d.Version
	if v := q["version"]; v != "" {
		if version, err = strconv.ParseInt(v, 10, 64); err != nil || version < 0 {
			return httpapi.Response{}, errBadRequest{"invalid_parameter", "version: a version number (0 is the repo's)"}
		}
	}
	out := make([]stepContact, 0, limit)
	next, now := q["cursor"], h.now()
	for reads := 0; reads < maxStepPageReads && len(out) < limit; reads++ {
		runs, cursor, err := h.store.StepContacts(ctx, id, version, step, next, limit-len(out), now)
		if errors.Is(err, journeyrun.ErrBadCursor) {
			return httpapi.Response{}, errBadRequest{"invalid_parameter", "cursor: not one this listing gave out"}
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		ids := make([]string, 0, len(runs))
		for _, r := range runs {
			ids = append(ids, r.ContactID)
		}
		profiles, err := h.store.GetProfiles(ctx, ids)
		if err != nil {
			return httpapi.Response{}, err
		}
		for _, r := range runs {
			p := profiles[r.ContactID]
			if p == nil || p.Journeys == nil || p.MergedInto != "" {
				continue // a merged-away contact's runs are its survivor's now
			}
			for _, a := range p.Journeys.Runs {
				if a.ID == r.Run && a.Journey == id && a.Version == version && a.Step == step {
					out = append(out, stepContact{ContactID: p.ID, Email: p.Email, Run: a.ID, Since: a.Since, Until: a.Until, For: a.For, Held: a.Held})
				}
			}
		}
		if next = cursor; next == "" {
			break
		}
	}
	page := map[string]any{"journey_id": id, "version": version, "step": step, "contacts": out}
	if next != "" {
		page["next_cursor"] = next
	}
	return httpapi.JSON(http.StatusOK, page, nil), nil
}

func (h *Handler) contactJourneys(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, err := h.store.GetProfile(ctx, req.PathParameters["id"])
	if err != nil {
		return httpapi.Response{}, err
	}
	runs, err := h.store.ContactRuns(ctx, p.ID)
	if err != nil {
		return httpapi.Response{}, err
	}
	if runs == nil {
		runs = []journeyrun.RunRecord{}
	}
	// The profile's active runs are the truth for where a run waits now;
	// the history may trail it by a batch.
	active := map[string]journey.Run{}
	if p.Journeys != nil {
		for _, r := range p.Journeys.Runs {
			active[r.ID] = r
		}
	}
	for i, r := range runs {
		if a, ok := active[r.Run]; ok {
			runs[i].Status, runs[i].Step, runs[i].Until, runs[i].For, runs[i].Version = journeyrun.StatusActive, a.Step, a.Until, a.For, a.Version
		}
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"contact_id": p.ID, "runs": runs}, nil), nil
}

// stopRun ends one contact's run at once. The profile write (optimistic,
// retried on conflict) is the commit; then the run's wake-up, if it was
// resting at a wait, is cancelled on the wheel (one left in place would
// find no run and do nothing but wake the contact).
func (h *Handler) stopRun(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	runID := req.PathParameters["runId"]
	now := h.now().UTC()
	var res journey.Result
	var stopped journey.Run
	p, changed, err := preference.Update(ctx, h.store, req.PathParameters["id"], now, func(p *contact.Profile) bool {
		if p.Journeys == nil {
			return false
		}
		for _, r := range p.Journeys.Runs {
			if r.ID == runID {
				stopped = r
			}
		}
		st := p.Journeys.Clone()
		var ok bool
		if res, ok = journey.Stop(st, runID, now); !ok {
			return false
		}
		p.Journeys = st
		if st.Empty() {
			p.Journeys = nil
		}
		return true
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	if !changed {
		return httpapi.Fail(http.StatusNotFound, "not_found", "no active run "+runID+" for contact "+req.PathParameters["id"], nil), nil
	}
	if h.journeyTimers != nil {
		var cancels []timer.Timer
		for _, ef := range journey.LeftWaits([]journey.Run{stopped}, nil, now) {
			cancels = append(cancels, timer.Timer{ID: ef.ID, ContactID: p.ID, Due: ef.Due})
		}
		if err := h.journeyTimers.Cancel(ctx, cancels); err != nil {
			h.log.WarnContext(ctx, "stopped run's wake-up left in place", "contact_id", p.ID, "run_id", runID, "error", err)
		}
	}
	rec := journeyrun.RunRecord{ContactID: p.ID, Journey: stopped.Journey, Version: stopped.Version, Run: runID, Step: stopped.Step,
		Status: journey.OutcomeStopped, Updated: now, Marks: res.Marks}
	if err := h.store.RecordRuns(ctx, []journeyrun.RunRecord{rec}); err != nil {
		h.log.ErrorContext(ctx, "record stopped run", "contact_id", p.ID, "run_id", runID, "error", err)
	}
	var counts []journeyrun.StepCount
	for _, c := range res.Counts {
		counts = append(counts, journeyrun.StepCount{Journey: c.Journey, Version: c.Version, Step: c.Step, Metric: c.Metric, N: 1})
	}
	if err := h.store.AddStepCounts(ctx, counts); err != nil {
		h.log.ErrorContext(ctx, "count stopped run", "contact_id", p.ID, "run_id", runID, "error", err)
	}
	// A stopped run no longer moves on from its wait: off the calendar.
	if lib, err := journeyrun.NewLibrary(h.reg, definitions.JourneyBodies).Snapshot(ctx); err != nil {
		h.log.ErrorContext(ctx, "plan stopped run", "contact_id", p.ID, "run_id", runID, "error", err)
	} else if plans := journeyrun.PlanDelta(lib, []journey.Run{stopped}, nil); len(plans) > 0 {
		if err := h.store.AddPlanned(ctx, plans); err != nil {
			h.log.ErrorContext(ctx, "plan stopped run", "contact_id", p.ID, "run_id", runID, "error", err)
		}
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"contact_id": p.ID, "run_id": runID, "status": journey.OutcomeStopped}, nil), nil
}
