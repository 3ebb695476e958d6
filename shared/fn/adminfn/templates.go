package adminfn

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/httpapi"
	lfmail "github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/mail/mailcontact"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/template"
)

// MessageStore is what the template and message routes need beyond Store.
// The DynamoDB store has it; a test store without it gets 501 on these
// routes.
type MessageStore interface {
	lfmail.TemplateStore
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

// templateRoutes serve the templates in effect: the repo's
// definitions/templates and those saved here, which override a repo
// template of the same id. Saving compiles: a template that references an
// unknown field or does not parse is refused with every problem and its
// line:column, never at send time. The sender caches templates for a
// minute.
func (h *Handler) templateRoutes() map[string]routeFunc {
	repo, repoErr := definitions.Templates()
	ms, ok := h.store.(MessageStore)
	var reg *lfmail.Templates
	if ok {
		reg = lfmail.NewTemplates(ms, repo, 0)
	}
	guard := func(f func(ctx context.Context, req httpapi.Request) (httpapi.Response, error)) routeFunc {
		return func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			if repoErr != nil {
				return httpapi.Response{}, fmt.Errorf("repo template definitions: %w", repoErr)
			}
			if reg == nil {
				return httpapi.Fail(http.StatusNotImplemented, "not_implemented", "this store keeps no templates", nil), nil
			}
			return f(ctx, req)
		}
	}
	return map[string]routeFunc{
		"GET /v1/templates": guard(func(ctx context.Context, _ httpapi.Request) (httpapi.Response, error) {
			list, err := reg.List(ctx)
			if err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(http.StatusOK, map[string]any{"templates": list}, nil), nil
		}),
		"GET /v1/templates/{id}": guard(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			e, err := reg.Get(ctx, req.PathParameters["id"])
			if errors.Is(err, lfmail.ErrTemplateNotFound) {
				return templateNotFound(req.PathParameters["id"]), nil
			}
			if err != nil {
				return httpapi.Response{}, err
			}
			_, warns, _ := template.Compile(e.Template)
			return httpapi.JSON(http.StatusOK, templateView{TemplateEntry: e, Warnings: warnings(warns)}, nil), nil
		}),
		"PUT /v1/templates/{id}": guard(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.putTemplate(ctx, reg, req)
		}),
		"DELETE /v1/templates/{id}": guard(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			id := req.PathParameters["id"]
			restored, err := reg.Delete(ctx, id)
			switch {
			case errors.Is(err, lfmail.ErrTemplateNotFound):
				return templateNotFound(id), nil
			case errors.Is(err, lfmail.ErrRepoTemplate):
				return httpapi.Fail(http.StatusConflict, "repo_template", fmt.Sprintf(
					"template %q is defined in the repo (definitions/templates/%s.*) and cannot be deleted here; change or remove those files, or PUT a template to override it", id, id), nil), nil
			case err != nil:
				return httpapi.Response{}, err
			}
			h.log.InfoContext(ctx, "template deleted", "template_id", id, "repo_template_restored", restored)
			return httpapi.JSON(http.StatusOK, map[string]any{"id": id, "deleted": true, "repo_template_restored": restored}, nil), nil
		}),
		"POST /v1/templates/{id}/preview": guard(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.previewTemplate(ctx, reg, req)
		}),
		"POST /v1/templates/{id}/test": guard(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.testTemplate(ctx, reg, req)
		}),
	}
}

// templateView is a template as the API returns it.
type templateView struct {
	lfmail.TemplateEntry
	Warnings []string `json:"warnings"`
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

// putTemplate creates or replaces an API template. The body is the
// template as GET returns it; "source", "overrides_repo", "warnings" and
// the timestamps may be sent back and are ignored, so GET, edit, PUT works.
func (h *Handler) putTemplate(ctx context.Context, reg *lfmail.Templates, req httpapi.Request) (httpapi.Response, error) {
	id := req.PathParameters["id"]
	var in struct {
		template.Template
		Source        string    `json:"source"`
		OverridesRepo bool      `json:"overrides_repo"`
		Warnings      []string  `json:"warnings"`
		CreatedAt     time.Time `json:"created_at"`
		UpdatedAt     time.Time `json:"updated_at"`
	}
	if err := decodeBody(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	t := in.Template
	if t.ID == "" {
		t.ID = id
	}
	if t.ID != id {
		return httpapi.Response{}, errBadRequest{"id_mismatch", fmt.Sprintf("the body's id %q differs from the path's %q", t.ID, id)}
	}
	e, warns, created, err := reg.Put(ctx, t, h.now())
	if errors.Is(err, template.ErrInvalid) {
		return invalidTemplate(err), nil
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	h.log.InfoContext(ctx, "template saved", "template_id", id, "created", created, "overrides_repo", e.OverridesRepo)
	return httpapi.JSON(status, templateView{TemplateEntry: e, Warnings: warnings(warns)}, nil), nil
}

// previewTemplate renders a template for a contact, or for the sample
// contact. Its links are the sample's example.com ones: a preview never
// carries a live unsubscribe link or tracking.
func (h *Handler) previewTemplate(ctx context.Context, reg *lfmail.Templates, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		ContactID string `json:"contact_id"`
	}
	if body, _ := httpapi.Body(req); len(strings.TrimSpace(string(body))) > 0 {
		if err := decodeBody(req, &in); err != nil {
			return httpapi.Response{}, err
		}
	}
	id := req.PathParameters["id"]
	e, err := reg.Get(ctx, id)
	if errors.Is(err, lfmail.ErrTemplateNotFound) {
		return templateNotFound(id), nil
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	c, warns, err := template.Compile(e.Template)
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
	if settings, err := definitions.Sending(); err == nil {
		data.Sender = template.Sender{Name: firstNonEmpty(e.From.Name, settings.Sender.From.Name), Address: settings.Sender.PostalAddress}
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
func (h *Handler) testTemplate(ctx context.Context, reg *lfmail.Templates, req httpapi.Request) (httpapi.Response, error) {
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
	if _, err := reg.Compiled(ctx, id); errors.Is(err, lfmail.ErrTemplateNotFound) {
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
