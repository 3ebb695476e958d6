package adminfn

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/leadflow/leadflow/shared/httpapi"
	lfmail "github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// ContactSendStore lists a contact's sends (dynamo.Store, from the
// messages index).
type ContactSendStore interface {
	ContactSends(ctx context.Context, contactIDs []string, before string, limit int) ([]lfmail.SendState, string, error)
}

var _ ContactSendStore = (*dynamo.Store)(nil)

// MessageView is one send on the contact page: what went out, its status
// as people read it, and the first open and click, by a person and apart
// by a machine. Mapped from the send record, so the stored shape can change
// without changing the API.
type MessageView struct {
	SendID     string        `json:"send_id"`
	TemplateID string        `json:"template_id"`
	Kind       string        `json:"kind"`
	Source     lfmail.Source `json:"source"`
	// Status is queued, sent, delivered, opened, clicked, bounced,
	// complained, rejected, failed or skipped (mail.SendState.Status).
	Status string `json:"status"`
	// State is the sending pipeline's own state of the record.
	State            string    `json:"state"`
	Reason           string    `json:"reason,omitempty"`
	ClaimedAt        time.Time `json:"claimed_at"`
	SentAt           time.Time `json:"sent_at,omitzero"`
	UpdatedAt        time.Time `json:"updated_at"`
	OpenedAt         time.Time `json:"opened_at,omitzero"`
	MachineOpenedAt  time.Time `json:"machine_opened_at,omitzero"`
	ClickedAt        time.Time `json:"clicked_at,omitzero"`
	MachineClickedAt time.Time `json:"machine_clicked_at,omitzero"`
}

// MessagePage is GET /v1/contacts/{id}/messages.
type MessagePage struct {
	ContactID string        `json:"contact_id"`
	Messages  []MessageView `json:"messages"`
	// Next is the cursor of the following (older) page, absent on the last.
	Next string `json:"next,omitempty"`
}

func messageView(r lfmail.SendState) MessageView {
	return MessageView{
		SendID: r.SendID, TemplateID: r.TemplateID, Kind: r.Kind, Source: r.Source,
		Status: r.Status(), State: r.State, Reason: r.Reason,
		ClaimedAt: r.ClaimedAt, SentAt: r.SentAt, UpdatedAt: r.UpdatedAt,
		OpenedAt: r.Engagement.OpenedAt, MachineOpenedAt: r.Engagement.MachineOpenedAt,
		ClickedAt: r.Engagement.ClickedAt, MachineClickedAt: r.Engagement.MachineClickedAt,
	}
}

// contactMessages pages through the sends to a contact (and the contacts
// merged into it), newest first.
func (h *Handler) contactMessages(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	cs, ok := h.store.(ContactSendStore)
	if !ok {
		return httpapi.Fail(http.StatusNotImplemented, "not_implemented", "this store keeps no send records", nil), nil
	}
	q := req.QueryStringParameters
	limit, err := intParam(q, "limit", 20, 1, 100)
	if err != nil {
		return httpapi.Response{}, err
	}
	p, err := h.resolve(ctx, req.PathParameters["id"])
	if err != nil {
		return httpapi.Response{}, err
	}
	recs, next, err := cs.ContactSends(ctx, partitions(p), q["cursor"], limit)
	if errors.Is(err, dynamo.ErrBadMessagesCursor) {
		return httpapi.Response{}, errBadRequest{"invalid_parameter", "cursor: " + err.Error()}
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	page := MessagePage{ContactID: p.ID, Messages: make([]MessageView, 0, len(recs)), Next: next}
	for _, r := range recs {
		page.Messages = append(page.Messages, messageView(r))
	}
	return httpapi.JSON(http.StatusOK, page, nil), nil
}
