package adminfn

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"

	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/httpapi"
	lfmail "github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/mail/mailcontact"
)

// messageRoutes are the send API: one template to one contact, through the
// sending pipeline with all its guarantees, and the send's record.
func (h *Handler) messageRoutes() map[string]routeFunc {
	ms, ok := h.store.(MessageStore)
	guard := func(f func(ctx context.Context, req httpapi.Request) (httpapi.Response, error)) routeFunc {
		return func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			if !ok {
				return httpapi.Fail(http.StatusNotImplemented, "not_implemented", "this store keeps no send records", nil), nil
			}
			return f(ctx, req)
		}
	}
	return map[string]routeFunc{
		"POST /v1/messages": guard(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.postMessage(ctx, ms, req)
		}),
		"GET /v1/messages/{sendId}": guard(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			id := req.PathParameters["sendId"]
			rec, err := ms.GetSend(ctx, id)
			if errors.Is(err, lfmail.ErrSendNotFound) {
				return httpapi.Fail(http.StatusNotFound, "not_found",
					"no record of send "+id+" (a queued send gets one when the sender picks it up, within seconds)", nil), nil
			}
			if err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(http.StatusOK, rec, nil), nil
		}),
	}
}

// postMessage queues one send. With an idempotency key the send id is
// derived from it: a retried call queues nothing new (or, if it raced the
// first, the sender's claim lets only one through), and a key reused for a
// different contact or template is refused.
func (h *Handler) postMessage(ctx context.Context, ms MessageStore, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		ContactID      string `json:"contact_id"`
		TemplateID     string `json:"template_id"`
		Kind           string `json:"kind"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	if err := decodeBody(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	if k := httpapi.Header(req, "Idempotency-Key"); in.IdempotencyKey == "" && k != "" {
		in.IdempotencyKey = k
	}
	var problems []string
	if in.ContactID == "" {
		problems = append(problems, "contact_id is required")
	}
	if in.TemplateID == "" {
		problems = append(problems, "template_id is required")
	}
	if in.Kind != "" && in.Kind != lfmail.Marketing && in.Kind != lfmail.Transactional {
		problems = append(problems, `kind must be "marketing" or "transactional"`)
	}
	if len(in.IdempotencyKey) > 200 {
		problems = append(problems, "idempotency_key is at most 200 characters")
	}
	if len(problems) > 0 {
		return httpapi.Response{}, errBadRequest{"invalid_message", strings.Join(problems, "; ")}
	}
	c, err := h.templates.Get(ctx, in.TemplateID)
	if errors.Is(err, definition.ErrNotFound) {
		return templateNotFound(in.TemplateID), nil
	}
	if err != nil {
		return invalidTemplate(err), nil
	}
	r := lfmail.Request{ContactID: in.ContactID, TemplateID: in.TemplateID, Kind: in.Kind, Source: lfmail.Source{API: in.IdempotencyKey}, RequestedAt: h.now().UTC()}
	if _, err := lfmail.ResolveKind(r, c.Template()); err != nil {
		return httpapi.Fail(http.StatusUnprocessableEntity, "kind_mismatch", err.Error(), nil), nil
	}
	if _, err := (mailcontact.Recipients{Profiles: h.store}).Profile(ctx, in.ContactID); errors.Is(err, lfmail.ErrContactNotFound) {
		return httpapi.Fail(http.StatusNotFound, "not_found", "no contact "+in.ContactID, nil), nil
	} else if err != nil {
		return httpapi.Response{}, err
	}
	if in.IdempotencyKey == "" {
		r.SendID = lfmail.APISendID(rand.Text())
		return h.enqueueSend(ctx, r)
	}
	r.SendID = lfmail.APISendID(in.IdempotencyKey)
	owner, claimed, err := ms.ClaimIdempotencyKey(ctx, r.SendID, r.ContactID, r.TemplateID)
	switch {
	case err != nil:
		return httpapi.Response{}, err
	case owner.ContactID != r.ContactID || owner.TemplateID != r.TemplateID:
		return httpapi.Fail(http.StatusConflict, "idempotency_key_reused",
			"this idempotency key was used for another send (contact "+owner.ContactID+", template "+owner.TemplateID+")", nil), nil
	case claimed:
		return h.enqueueSend(ctx, r)
	}
	rec, err := ms.GetSend(ctx, r.SendID)
	switch {
	case errors.Is(err, lfmail.ErrSendNotFound):
		// Claimed by an earlier call that may have failed before queueing,
		// or whose send the sender has not reached yet: queue it (again).
		// The sender's claim of the send id lets only one through.
		return h.enqueueSend(ctx, r)
	case err != nil:
		return httpapi.Response{}, err
	}
	// The same call again: nothing new to do.
	return httpapi.JSON(http.StatusAccepted, map[string]any{"send_id": r.SendID, "status": rec.State, "duplicate": true},
		map[string]string{"Location": "/v1/messages/" + r.SendID}), nil
}
