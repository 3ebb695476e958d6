package adminfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/lazyregexp"
	"github.com/leadflow/leadflow/shared/tracking"
)

// searchScanLimit bounds how many contacts one search reads. Search by tag
// or trait reads profiles newest first through the contacts index; it is an
// admin tool, not a query engine (segments are).
const searchScanLimit = 5000

func (h *Handler) contactRoutes() map[string]routeFunc {
	return map[string]routeFunc{
		"GET /v1/contacts": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.listContacts(ctx, req.QueryStringParameters)
		},
		"GET /v1/contacts/{id}": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			limit, err := intParam(req.QueryStringParameters, "events", 50, 1, 500)
			if err != nil {
				return httpapi.Response{}, err
			}
			return h.getContact(ctx, req.PathParameters["id"], limit)
		},
		"PATCH /v1/contacts/{id}":             h.patchContact,
		"DELETE /v1/contacts/{id}":            h.eraseContact,
		"GET /v1/contacts/{id}/timeline":      h.timeline,
		"GET /v1/contacts/{id}/messages":      h.contactMessages,
		"GET /v1/contacts/{id}/export":        h.export,
		"POST /v1/contacts/{id}/tags":         h.addTags,
		"DELETE /v1/contacts/{id}/tags/{tag}": h.removeTag,
	}
}

func (h *Handler) listContacts(ctx context.Context, q map[string]string) (httpapi.Response, error) {
	limit, err := intParam(q, "limit", 50, 1, 200)
	if err != nil {
		return httpapi.Response{}, err
	}
	var ids []string
	filters := []struct {
		param string
		kind  contact.IdentityKind
	}{{"anonymous_id", contact.AnonymousID}, {"user_id", contact.UserID}, {"email", contact.Email}}
	byIdentity := false
	for _, f := range filters {
		v := strings.TrimSpace(q[f.param])
		if v == "" {
			continue
		}
		if f.kind == contact.Email {
			if v = contact.NormalizeEmail(v); v == "" {
				return httpapi.Response{}, errBadRequest{"invalid_email", fmt.Sprintf("%q is not an email address", q[f.param])}
			}
		}
		byIdentity = true
		id := contact.Identity{Kind: f.kind, Value: v}
		owners, err := h.store.LookupIdentities(ctx, []contact.Identity{id})
		if err != nil {
			return httpapi.Response{}, err
		}
		if c, ok := owners[id]; ok {
			ids = append(ids, c)
		} else if f.kind == contact.AnonymousID {
			// Unlinked anonymous ids belong to their derived contact.
			ids = append(ids, contact.AnonymousContactID(v))
		}
	}
	tag := strings.TrimSpace(q["tag"])
	traitFilters := map[string]string{}
	for k, v := range q {
		if name, ok := strings.CutPrefix(k, "trait."); ok && name != "" {
			traitFilters[name] = v
		}
	}
	match := func(p *contact.Profile) bool {
		if tag != "" && !slices.Contains(p.Tags, tag) {
			return false
		}
		for k, want := range traitFilters {
			if got, ok := p.Traits[k]; !ok || !strings.EqualFold(fmt.Sprint(got), want) {
				return false
			}
		}
		return true
	}
	if !byIdentity {
		scan := limit
		if tag != "" || len(traitFilters) > 0 {
			scan = searchScanLimit
		}
		if ids, err = h.store.ListRecentContacts(ctx, scan); err != nil {
			return httpapi.Response{}, err
		}
	}
	out := []*contact.Profile{}
	scanned := 0
	for start := 0; start < len(ids) && len(out) < limit; start += 100 {
		chunk := dedupe(ids[start:min(start+100, len(ids))])
		profiles, err := h.store.GetProfiles(ctx, chunk)
		if err != nil {
			return httpapi.Response{}, err
		}
		for _, id := range chunk {
			scanned++
			p, ok := profiles[id]
			if !ok {
				continue
			}
			if p.MergedInto != "" {
				if p, err = h.resolve(ctx, id); err != nil {
					return httpapi.Response{}, err
				}
			}
			if match(p) && !slices.ContainsFunc(out, func(x *contact.Profile) bool { return x.ID == p.ID }) && len(out) < limit {
				out = append(out, normalize(p))
			}
		}
	}
	body := map[string]any{"contacts": out}
	if !byIdentity && (tag != "" || len(traitFilters) > 0) {
		body["scanned"] = scanned
		body["truncated"] = len(ids) >= searchScanLimit
	}
	return httpapi.JSON(http.StatusOK, body, nil), nil
}

// resolve reads a contact, following merges to the surviving contact.
func (h *Handler) resolve(ctx context.Context, id string) (*contact.Profile, error) {
	for hop := 0; hop < 8; hop++ {
		p, err := h.store.GetProfile(ctx, id)
		if err != nil {
			return nil, err
		}
		if p.MergedInto == "" {
			return p, nil
		}
		id = p.MergedInto
	}
	return nil, fmt.Errorf("contact %s: merge chain too long", id)
}

func partitions(p *contact.Profile) []string { return append([]string{p.ID}, p.MergedIDs...) }

func (h *Handler) getContact(ctx context.Context, id string, limit int) (httpapi.Response, error) {
	p, err := h.resolve(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	evs, err := h.store.Timeline(ctx, partitions(p), time.Time{}, limit)
	if err != nil {
		return httpapi.Response{}, err
	}
	if evs == nil {
		evs = []tracking.Message{}
	}
	p = normalize(p)
	view := ContactView{Profile: p, Events: evs, Segments: p.Segments, Lists: p.Lists}
	if h.scoring != nil {
		e, err := h.engine(ctx)
		if err != nil {
			return httpapi.Response{}, err
		}
		sc := e.Score(p.Score, h.now().UTC())
		view.Score = &sc
	}
	return httpapi.JSON(http.StatusOK, view, nil), nil
}

// timeline pages through a contact's events. The cursor is the last
// event's time and messageId, because many events can share a timestamp.
func (h *Handler) timeline(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	q := req.QueryStringParameters
	limit, err := intParam(q, "limit", 100, 1, 1000)
	if err != nil {
		return httpapi.Response{}, err
	}
	var before time.Time
	var afterID string
	if b := q["before"]; b != "" {
		ts, id, _ := strings.Cut(b, "|")
		if before, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			return httpapi.Response{}, errBadRequest{"invalid_parameter", "before must be the next_before value of the previous page"}
		}
		afterID = id
	}
	p, err := h.resolve(ctx, req.PathParameters["id"])
	if err != nil {
		return httpapi.Response{}, err
	}
	// Over-read so events tied with the cursor's time can be skipped.
	evs, err := h.store.Timeline(ctx, partitions(p), before, 2*limit+100)
	if err != nil {
		return httpapi.Response{}, err
	}
	if afterID != "" {
		for i, ev := range evs {
			if ev.Timestamp.Before(before) {
				evs = evs[i:]
				break
			}
			if ev.MessageID == afterID {
				evs = evs[i+1:]
				break
			}
			if i == len(evs)-1 {
				evs = nil
			}
		}
	}
	more := len(evs) > limit
	if more {
		evs = evs[:limit]
	}
	body := map[string]any{"contact_id": p.ID, "events": evs}
	if evs == nil {
		body["events"] = []tracking.Message{}
	}
	if more {
		last := evs[len(evs)-1]
		body["next_before"] = last.Timestamp.Format(time.RFC3339Nano) + "|" + last.MessageID
	}
	return httpapi.JSON(http.StatusOK, body, nil), nil
}

// update applies change to a contact under optimistic locking, retrying
// when a concurrent write (usually the event processor) got there first.
func (h *Handler) update(ctx context.Context, id string, change func(p *contact.Profile) error) (*contact.Profile, error) {
	for attempt := 0; attempt < 6; attempt++ {
		p, err := h.resolve(ctx, id)
		if err != nil {
			return nil, err
		}
		before := p.Clone()
		if err := change(p); err != nil {
			return nil, err
		}
		p.UpdatedAt = h.now().UTC()
		if h.segments != nil {
			// Tags, stage, traits and lists move the contact between
			// segments: re-evaluated now, not at its next event.
			if err := h.segments.Reevaluate(ctx, before, p, h.now()); err != nil {
				return nil, err
			}
		}
		err = h.store.SaveProfile(ctx, p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, contact.ErrConflict) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("update contact %s: %w", id, contact.ErrConflict)
}

func decodeBody(req httpapi.Request, v any) error {
	body, err := httpapi.Body(req)
	if err != nil {
		return errBadRequest{"invalid_body", err.Error()}
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadRequest{"invalid_json", err.Error()}
	}
	return nil
}

func (h *Handler) patchContact(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		Traits map[string]any `json:"traits"`
		// Status may only be set to "unsubscribed" here: subscribing needs
		// the person's own consent (a form or a confirmation link).
		Status string `json:"status"`
	}
	if err := decodeBody(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	if in.Traits == nil && in.Status == "" {
		return httpapi.Response{}, errBadRequest{"invalid_body", `nothing to change: send "traits" and/or "status"`}
	}
	if err := tracking.ValidateTraits(in.Traits); err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_traits", "traits: " + err.Error()}
	}
	if in.Status != "" && in.Status != "unsubscribed" {
		return httpapi.Response{}, errBadRequest{"invalid_status", `status can only be set to "unsubscribed" through the admin API`}
	}
	var newEmail string
	if e, ok := in.Traits["email"].(string); ok && strings.TrimSpace(e) != "" {
		newEmail = contact.NormalizeEmail(e)
		in.Traits["email"] = newEmail
	}
	now := h.now().UTC()
	p, err := h.update(ctx, req.PathParameters["id"], func(p *contact.Profile) error {
		if newEmail != "" && newEmail != p.Email {
			owner, err := h.store.LinkIdentity(ctx, contact.Identity{Kind: contact.Email, Value: newEmail}, p.ID, now)
			if err != nil {
				return err
			}
			if owner != p.ID {
				return errConflict{fmt.Sprintf("%s belongs to contact %s", newEmail, owner)}
			}
			p.Email = newEmail
		}
		p.MergeTraits(in.Traits, now)
		if in.Status != "" {
			p.Status = in.Status
		}
		return nil
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	h.log.InfoContext(ctx, "contact updated", "contact_id", p.ID)
	return httpapi.JSON(http.StatusOK, normalize(p), nil), nil
}

var tagPattern = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9 _:.-]{0,63}$`)

func (h *Handler) addTags(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		Tags []string `json:"tags"`
	}
	if err := decodeBody(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	if len(in.Tags) == 0 || len(in.Tags) > 50 {
		return httpapi.Response{}, errBadRequest{"invalid_tags", "send 1 to 50 tags"}
	}
	for _, t := range in.Tags {
		if !tagPattern.MatchString(t) {
			return httpapi.Response{}, errBadRequest{"invalid_tags", fmt.Sprintf("tag %q must be 1-64 letters, digits, spaces or _:.-", t)}
		}
	}
	p, err := h.update(ctx, req.PathParameters["id"], func(p *contact.Profile) error {
		for _, t := range in.Tags {
			if !slices.Contains(p.Tags, t) {
				p.Tags = append(p.Tags, t)
			}
		}
		if len(p.Tags) > 200 {
			return errBadRequest{"invalid_tags", "a contact can have at most 200 tags"}
		}
		return nil
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, normalize(p), nil), nil
}

func (h *Handler) removeTag(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	tag := req.PathParameters["tag"]
	p, err := h.update(ctx, req.PathParameters["id"], func(p *contact.Profile) error {
		p.Tags = slices.DeleteFunc(p.Tags, func(t string) bool { return t == tag })
		return nil
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, normalize(p), nil), nil
}

// everything gathers a contact, the contacts merged into it, and all their
// identities: what an export shows and an erasure removes.
func (h *Handler) everything(ctx context.Context, id string) (*contact.Profile, []*contact.Profile, []contact.Identity, error) {
	p, err := h.resolve(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	merged, err := h.store.GetProfiles(ctx, p.MergedIDs)
	if err != nil {
		return nil, nil, nil, err
	}
	all := []*contact.Profile{p}
	for _, m := range p.MergedIDs {
		if mp, ok := merged[m]; ok {
			all = append(all, mp)
		}
	}
	var ids []contact.Identity
	for _, x := range all {
		for _, a := range x.AnonymousIDs {
			ids = append(ids, contact.Identity{Kind: contact.AnonymousID, Value: a})
		}
		if x.UserID != "" {
			ids = append(ids, contact.Identity{Kind: contact.UserID, Value: x.UserID})
		}
		if x.Email != "" {
			ids = append(ids, contact.Identity{Kind: contact.Email, Value: x.Email})
		}
	}
	return p, all, ids, nil
}

func (h *Handler) export(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, all, ids, err := h.everything(ctx, req.PathParameters["id"])
	if err != nil {
		return httpapi.Response{}, err
	}
	evs, err := h.store.Timeline(ctx, partitions(p), time.Time{}, 100000)
	if err != nil {
		return httpapi.Response{}, err
	}
	type identity struct {
		Kind  contact.IdentityKind `json:"kind"`
		Value string               `json:"value"`
	}
	out := struct {
		ExportedAt time.Time          `json:"exported_at"`
		Contact    *contact.Profile   `json:"contact"`
		Merged     []*contact.Profile `json:"merged_contacts"`
		Identities []identity         `json:"identities"`
		Consents   []tracking.Consent `json:"consents"`
		Events     []tracking.Message `json:"events"`
	}{ExportedAt: h.now().UTC(), Contact: normalize(p), Merged: all[1:], Consents: p.Consents, Events: evs}
	for _, id := range ids {
		out.Identities = append(out.Identities, identity{id.Kind, id.Value})
	}
	if out.Events == nil {
		out.Events = []tracking.Message{}
	}
	h.log.InfoContext(ctx, "contact exported", "contact_id", p.ID, "events", len(evs))
	return httpapi.JSON(http.StatusOK, out, map[string]string{
		"Content-Disposition": fmt.Sprintf(`attachment; filename="contact-%s.json"`, p.ID),
	}), nil
}

func (h *Handler) eraseContact(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, all, ids, err := h.everything(ctx, req.PathParameters["id"])
	if err != nil {
		return httpapi.Response{}, err
	}
	contactIDs := make([]string, 0, len(all))
	for _, x := range all {
		contactIDs = append(contactIDs, x.ID)
	}
	n, err := h.store.EraseContact(ctx, contactIDs, ids)
	if err != nil {
		return httpapi.Response{}, err
	}
	// No personal data in the log: the ids are random and now point nowhere.
	h.log.InfoContext(ctx, "contact erased", "contact_id", p.ID, "merged_ids", p.MergedIDs, "items", n)
	return httpapi.JSON(http.StatusOK, map[string]any{"erased": true, "contact_id": p.ID, "contact_ids": contactIDs, "items_deleted": n}, nil), nil
}

// errConflict is a 409: the request clashes with the current state.
type errConflict struct{ msg string }

func (e errConflict) Error() string { return e.msg }
