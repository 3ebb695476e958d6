package adminfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/definition/defapi"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/job"
	"github.com/leadflow/leadflow/shared/membership"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/segment"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// Limits of the segment and list routes.
const (
	// previewPerShard bounds a preview's read: at most 16 x 64 = 1,024
	// identified contacts, the first of each contacts shard (answered
	// "exact": false when there are more).
	previewPerShard = 64
	previewSample   = 10
	maxListBatch    = 1000
)

// WithSegments replaces the segment reactor (New gives it the bus and the
// timer wheel; NewWith's records no timers and announces nothing).
func (h *Handler) WithSegments(r *membership.Reactor) *Handler {
	h.segments = r
	return h
}

func (h *Handler) defaultReactor() *membership.Reactor {
	return membership.NewReactor(liveSegments{h.reg, h}, h.defaultScorer(), h.store, nil, h.store, nil, h.log)
}

func (h *Handler) defaultScorer() membership.Scorer {
	return func(ctx context.Context, s scoring.State, at time.Time) (scoring.Score, error) {
		e, err := h.engine(ctx)
		if err != nil {
			return scoring.Score{}, err
		}
		return e.Score(s, at), nil
	}
}

// liveSegments reads the segments uncached: an admin change must see the
// definitions just saved.
type liveSegments struct {
	reg *definition.Registry
	h   *Handler
}

func (l liveSegments) Set(ctx context.Context) (*segment.Set, error) {
	segs, err := definitions.Segments(ctx, l.reg)
	if err != nil {
		return nil, err
	}
	return definitions.CompileSegments(segs, l.h.log)
}

func (h *Handler) segmentHooks() (segments, lists defapi.Hooks) {
	segments = defapi.Hooks{Check: definitions.CheckSegmentRefs(h.reg), AfterSave: h.segmentSaved, Decorate: h.segmentStatus}
	lists = defapi.Hooks{Decorate: h.listStatus}
	return segments, lists
}

func (h *Handler) segmentRoutes() map[string]routeFunc {
	return map[string]routeFunc{
		"GET /v1/segments/{id}/members": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.members(ctx, req, definitions.KindSegments, membership.Segment)
		},
		"GET /v1/lists/{id}/members": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.members(ctx, req, definitions.KindLists, membership.List)
		},
		"POST /v1/segments/preview": h.preview,
		"POST /v1/lists/{id}/members": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.listMembers(ctx, req, true)
		},
		"DELETE /v1/lists/{id}/members": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.listMembers(ctx, req, false)
		},
	}
}

// buildID names the rebuild of one saved version of a segment.
func buildID(version int64) string { return "v" + strconv.FormatInt(version, 10) }

// segmentSaved starts a rebuild when the filter (or time zone) changed; a
// renamed segment keeps its members.
func (h *Handler) segmentSaved(ctx context.Context, s definition.Saved) (map[string]any, error) {
	next, err := definition.DecodeAs[segment.Segment](s.Body)
	if err != nil {
		return nil, err
	}
	prev, _ := definition.DecodeAs[segment.Segment](s.Previous.Body)
	a, _ := json.Marshal([]any{next.Filter, next.Timezone})
	b, _ := json.Marshal([]any{prev.Filter, prev.Timezone})
	if s.Previous.Body != nil && string(a) == string(b) {
		return nil, nil
	}
	if err := h.startBuild(ctx, next.ID, buildID(s.Version)); err != nil {
		return nil, err
	}
	return map[string]any{"state": membership.StateBuilding, "count": 0}, nil
}

func (h *Handler) startBuild(ctx context.Context, id, build string) error {
	if h.jobs == nil {
		return errors.New("no jobs queue configured")
	}
	ref := membership.Ref{Kind: membership.Segment, ID: id}
	if err := h.store.StartBuild(ctx, ref, build, h.now()); err != nil {
		return err
	}
	if err := job.StartSegmentRebuild(ctx, h.jobs, id, build, dynamo.ContactShards); err != nil {
		return err
	}
	h.log.InfoContext(ctx, "segment rebuild started", "segment_id", id, "build", build)
	return nil
}

// segmentStatus adds the live count and state. A segment never built (a
// repo definition on a new stack) starts its first build when first read.
func (h *Handler) segmentStatus(ctx context.Context, d definition.Definition) (map[string]any, error) {
	ref := membership.Ref{Kind: membership.Segment, ID: d.ID}
	st, err := h.store.Status(ctx, ref)
	if err != nil {
		return nil, err
	}
	if st.Build == "" && h.jobs != nil {
		if err := h.startBuild(ctx, d.ID, buildID(d.Version)); err != nil {
			return nil, err
		}
		st.State = membership.StateBuilding
	}
	return statusView(st, d, true), nil
}

func (h *Handler) listStatus(ctx context.Context, d definition.Definition) (map[string]any, error) {
	st, err := h.store.Status(ctx, membership.Ref{Kind: membership.List, ID: d.ID})
	if err != nil {
		return nil, err
	}
	return statusView(st, d, false), nil
}

func statusView(st membership.Status, d definition.Definition, withState bool) map[string]any {
	out := map[string]any{"count": st.Count, "count_changed_at": nil}
	if !st.ChangedAt.IsZero() {
		out["count_changed_at"] = st.ChangedAt
		if d.UpdatedAt.IsZero() || st.ChangedAt.After(d.UpdatedAt) {
			// updated_at: when the definition or its membership last changed.
			out["updated_at"] = st.ChangedAt
		}
	}
	if withState {
		out["state"] = st.State
		out["build"] = map[string]any{"id": st.Build, "shards_done": st.ShardsDone, "shards": dynamo.ContactShards}
	}
	return out
}

// memberView is one member as the API lists it.
type memberView struct {
	ID    string        `json:"id"`
	Email string        `json:"email,omitempty"`
	Name  string        `json:"name,omitempty"`
	Stage scoring.Stage `json:"stage,omitempty"`
}

func (h *Handler) members(ctx context.Context, req httpapi.Request, kind definition.Kind, mk membership.Kind) (httpapi.Response, error) {
	id := req.PathParameters["id"]
	if _, err := h.reg.Get(ctx, kind, id); errors.Is(err, definition.ErrNotFound) {
		return httpapi.Fail(http.StatusNotFound, "not_found", fmt.Sprintf("no %s %s", kind, id), nil), nil
	} else if err != nil {
		return httpapi.Response{}, err
	}
	limit, err := intParam(req.QueryStringParameters, "limit", 50, 1, 200)
	if err != nil {
		return httpapi.Response{}, err
	}
	ids, next, err := h.store.Members(ctx, membership.Ref{Kind: mk, ID: id}, req.QueryStringParameters["cursor"], limit)
	if errors.Is(err, membership.ErrBadCursor) {
		return httpapi.Response{}, errBadRequest{"invalid_cursor", "cursor is not one this route gave"}
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	views, err := h.memberViews(ctx, ids)
	if err != nil {
		return httpapi.Response{}, err
	}
	body := map[string]any{"members": views, "next_cursor": nil}
	if next != "" {
		body["next_cursor"] = next
	}
	return httpapi.JSON(http.StatusOK, body, nil), nil
}

func (h *Handler) memberViews(ctx context.Context, ids []string) ([]memberView, error) {
	views := make([]memberView, 0, len(ids))
	if len(ids) == 0 {
		return views, nil
	}
	ps, err := h.store.GetProfiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		v := memberView{ID: id}
		if p := ps[id]; p != nil {
			v.Email, v.Stage = p.Email, p.Stage
			if n, ok := p.Traits["name"].(string); ok {
				v.Name = n
			}
		}
		views = append(views, v)
	}
	return views, nil
}

// preview evaluates an unsaved segment over a bounded read of identified
// contacts (the first previewPerShard of each contacts shard): the count
// is exact when every shard fit, else a count over what was read.
func (h *Handler) preview(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	body, err := httpapi.Body(req)
	if err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_body", err.Error()}
	}
	var s segment.Segment
	if err := definition.Decode(body, &s); err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_json", err.Error()}
	}
	if s.ID == "" {
		s.ID = "preview"
	}
	if s.Name == "" {
		s.Name = "Preview"
	}
	live, err := definitions.Segments(ctx, h.reg)
	if err != nil {
		return httpapi.Response{}, err
	}
	all := []segment.Segment{s}
	for _, o := range live {
		if o.ID != s.ID {
			all = append(all, o)
		}
	}
	if err := segment.CheckRefs(all); err != nil {
		return httpapi.Fail(http.StatusBadRequest, "invalid_segment", err.Error(), nil), nil
	}
	prog, err := segment.Compile(s)
	if err != nil {
		return httpapi.Fail(http.StatusBadRequest, "invalid_segment", err.Error(), nil), nil
	}
	now := h.now()
	count, evaluated, exact := 0, 0, true
	var sample []string
	for shard := range dynamo.ContactShards {
		ids, next, err := h.store.ContactsPage(ctx, shard, "", previewPerShard)
		if err != nil {
			return httpapi.Response{}, err
		}
		if next != "" {
			exact = false
		}
		if len(ids) == 0 {
			continue
		}
		ps, err := h.store.GetProfiles(ctx, ids)
		if err != nil {
			return httpapi.Response{}, err
		}
		for _, id := range ids {
			p := ps[id]
			if p == nil || p.MergedInto != "" {
				continue
			}
			v, err := h.segments.View(ctx, p, now)
			if err != nil {
				return httpapi.Response{}, err
			}
			evaluated++
			if prog.Eval(v, now) {
				count++
				if len(sample) < previewSample {
					sample = append(sample, id)
				}
			}
		}
	}
	views, err := h.memberViews(ctx, sample)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"count": count, "sample": views, "evaluated": evaluated, "exact": exact}, nil), nil
}

// listMembers adds or removes contacts, by id or by email. Each contact's
// profile gets (loses) the list and the member index follows in the same
// step, with the segments that depend on it re-evaluated.
func (h *Handler) listMembers(ctx context.Context, req httpapi.Request, add bool) (httpapi.Response, error) {
	listID := req.PathParameters["id"]
	if _, err := h.reg.Get(ctx, definitions.KindLists, listID); errors.Is(err, definition.ErrNotFound) {
		return httpapi.Fail(http.StatusNotFound, "not_found", "no list "+listID+"; create it with PUT /v1/lists/"+listID, nil), nil
	} else if err != nil {
		return httpapi.Response{}, err
	}
	var in struct {
		ContactIDs []string `json:"contact_ids"`
		Emails     []string `json:"emails"`
	}
	if err := decodeBody(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	if n := len(in.ContactIDs) + len(in.Emails); n == 0 || n > maxListBatch {
		return httpapi.Response{}, errBadRequest{"invalid_members", fmt.Sprintf("send 1 to %d contact_ids or emails", maxListBatch)}
	}
	ids := slices.Clone(in.ContactIDs)
	notFound := []string{}
	if len(in.Emails) > 0 {
		var keys []contact.Identity
		for _, e := range in.Emails {
			norm := contact.NormalizeEmail(e)
			if norm == "" {
				return httpapi.Response{}, errBadRequest{"invalid_members", fmt.Sprintf("%q is not an email address", e)}
			}
			keys = append(keys, contact.Identity{Kind: contact.Email, Value: norm})
		}
		owners, err := h.store.LookupIdentities(ctx, keys)
		if err != nil {
			return httpapi.Response{}, err
		}
		for i, k := range keys {
			if cid, ok := owners[k]; ok {
				ids = append(ids, cid)
			} else {
				notFound = append(notFound, in.Emails[i])
			}
		}
	}
	changed := 0
	for _, id := range ids {
		did := false
		_, err := h.update(ctx, id, func(p *contact.Profile) error {
			has := slices.Contains(p.Lists, listID)
			switch {
			case add && !has:
				p.Lists, did = append(p.Lists, listID), true
			case !add && has:
				p.Lists, did = slices.DeleteFunc(p.Lists, func(l string) bool { return l == listID }), true
			}
			return nil
		})
		if errors.Is(err, contact.ErrNotFound) {
			notFound = append(notFound, id)
			continue
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		if did {
			changed++
		}
	}
	key := "added"
	if !add {
		key = "removed"
	}
	return httpapi.JSON(http.StatusOK, map[string]any{key: changed, "not_found": notFound}, nil), nil
}
