package adminfn

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/httpapi"
	lfmail "github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/mail/mailcontact"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/template"
)

// MessageStore is what the message routes need beyond Store. The DynamoDB
// store has it; a test store without it gets 501 on these routes.
type MessageStore interface {
	GetSend(ctx context.Context, sendID string) (lfmail.SendState, error)
	ClaimIdempotencyKey(ctx context.Context, sendID, contactID, templateID string) (lfmail.KeyOwner, bool, error)
}

var _ MessageStore = (*dynamo.Store)(nil)

// WithSends gives the handler the sends queue (POST /v1/messages, test
// sends).
func (h *Handler) WithSends(q lfmail.Queue) *Handler {
	h.sends = q
	return h
}

// templateRoutes are what templates have beyond the definition routes
// (defapi): a preview, and a test send. Saving compiles: a template that
// references an unknown field or does not parse is refused with every
// problem and its line:column, never at send time.
func (h *Handler) templateRoutes() map[string]routeFunc {
	return map[string]routeFunc{
		"POST /v1/templates/{id}/preview": h.previewTemplate,
		"POST /v1/templates/{id}/test":    h.testTemplate,
	}
}

func warnings(ws []template.Warning) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

func templateNotFound(id string) httpapi.Response {
	return httpapi.Fail(http.StatusNotFound, "not_found", "no template "+id, nil)
}

// invalidTemplate answers 422 with every problem, each with its part and
// line:column, in the usual error envelope.
func invalidTemplate(err error) httpapi.Response {
	var te *template.Error
	problems := []template.Problem{}
	if errors.As(err, &te) {
		problems = te.Problems
	}
	return httpapi.JSON(http.StatusUnprocessableEntity, map[string]any{"error": map[string]any{
		"code": "invalid_template", "message": err.Error(), "problems": problems,
	}}, nil)
}

// previewTemplate renders a template for a contact, or for the sample
// contact. Its links are the sample's example.com ones: a preview never
// carries a live unsubscribe link or tracking.
func (h *Handler) previewTemplate(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		ContactID string `json:"contact_id"`
		// Template, when set, is a draft to render instead of the saved
		// version (the console's live preview); it goes through the same
		// validator as a save, and is not saved.
		Template json.RawMessage `json:"template"`
	}
	if body, _ := httpapi.Body(req); len(strings.TrimSpace(string(body))) > 0 {
		if err := decodeBody(req, &in); err != nil {
			return httpapi.Response{}, err
		}
	}
	id := req.PathParameters["id"]
	var body json.RawMessage
	if len(in.Template) > 0 && string(in.Template) != "null" {
		checked, err := h.reg.Validate(ctx, definitions.KindTemplates, id, in.Template, definition.Write{})
		var inv *definition.InvalidError
		if errors.As(err, &inv) {
			if errors.Is(err, template.ErrInvalid) {
				return invalidTemplate(inv.Err), nil
			}
			return httpapi.Response{}, errBadRequest{"invalid_template", inv.Err.Error()}
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		body = checked
	} else {
		d, err := h.reg.Get(ctx, definitions.KindTemplates, id)
		if errors.Is(err, definition.ErrNotFound) {
			return templateNotFound(id), nil
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		body = d.Body
	}
	t, err := definition.DecodeAs[template.Template](body)
	if err != nil {
		return httpapi.Response{}, fmt.Errorf("decode template %s: %w", id, err)
	}
	c, warns, err := template.Compile(t)
	if err != nil {
		return invalidTemplate(err), nil
	}
	data := template.Sample()
	if in.ContactID != "" {
		p, err := mailcontact.Recipients{Profiles: h.store}.Profile(ctx, in.ContactID)
		if errors.Is(err, lfmail.ErrContactNotFound) {
			return httpapi.Fail(http.StatusNotFound, "not_found", "no contact "+in.ContactID, nil), nil
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		sample := data
		data = mailcontact.Data(p)
		data.Sender, data.Links, data.Campaign = sample.Sender, sample.Links, sample.Campaign
	}
	if settings, err := definitions.SendingCache(h.reg).WithTTL(0, nil).Default(ctx); err == nil {
		data.Sender = template.Sender{Name: firstNonEmpty(t.From.Name, settings.Sender.From.Name), Address: settings.Sender.PostalAddress}
	}
	data.Now = h.now()
	out, err := c.Render(data)
	if err != nil {
		return httpapi.Response{}, errBadRequest{"render_failed", err.Error()}
	}
	return httpapi.JSON(http.StatusOK, map[string]any{
		"template_id": id, "contact_id": data.Contact.ID, "sample": in.ContactID == "",
		"subject": out.Subject, "preheader": out.Preheader, "html": out.HTML, "text": out.Text,
		"warnings": warnings(warns),
	}, nil), nil
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// testTemplate queues a test send: the template rendered for a contact (or
// the sample contact) to any address, through the same pipeline, checked
// only against suppression, with sample links and no tracking.
func (h *Handler) testTemplate(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		To        string `json:"to"`
		ContactID string `json:"contact_id"`
	}
	if err := decodeBody(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	if a, err := mail.ParseAddress(in.To); err != nil || a.Name != "" || a.Address != in.To {
		return httpapi.Response{}, errBadRequest{"invalid_to", `"to" must be an email address such as qa@example.com`}
	}
	id := req.PathParameters["id"]
	if _, err := h.templates.Get(ctx, id); errors.Is(err, definition.ErrNotFound) {
		return templateNotFound(id), nil
	} else if err != nil {
		return invalidTemplate(err), nil
	}
	contactID := lfmail.SampleContact
	if in.ContactID != "" {
		if _, err := (mailcontact.Recipients{Profiles: h.store}).Profile(ctx, in.ContactID); errors.Is(err, lfmail.ErrContactNotFound) {
			return httpapi.Fail(http.StatusNotFound, "not_found", "no contact "+in.ContactID, nil), nil
		} else if err != nil {
			return httpapi.Response{}, err
		}
		contactID = in.ContactID
	}
	r := lfmail.Request{
		SendID: "t-" + strings.ToLower(rand.Text()), ContactID: contactID, TemplateID: id, To: in.To,
		Source: lfmail.Source{API: "template-test"}, RequestedAt: h.now().UTC(),
	}
	return h.enqueueSend(ctx, r)
}

// enqueueSend queues a request and answers 202 with its send id.
func (h *Handler) enqueueSend(ctx context.Context, r lfmail.Request) (httpapi.Response, error) {
	if h.sends == nil {
		return httpapi.Fail(http.StatusNotImplemented, "not_implemented", "no sends queue configured", nil), nil
	}
	if err := lfmail.Enqueue(ctx, h.sends, r); err != nil {
		return httpapi.Response{}, err
	}
	h.log.InfoContext(ctx, "send queued", "send_id", r.SendID, "contact_id", r.ContactID, "template_id", r.TemplateID, "test", r.To != "")
	return httpapi.JSON(http.StatusAccepted, map[string]any{"send_id": r.SendID, "status": "queued"},
		map[string]string{"Location": "/v1/messages/" + r.SendID}), nil
}
