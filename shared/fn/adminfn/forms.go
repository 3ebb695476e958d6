package adminfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/form"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/site"
)

// FormStore is what the form routes need of the store; Store embeds it.
type FormStore = form.Store

// formRoutes serve the forms in effect: the repo's definitions/forms/*.json
// and those written here, which override a repo form of the same id. The
// ingest function caches forms for a minute, so a change reaches form
// submissions within a minute.
func (h *Handler) formRoutes() map[string]routeFunc {
	repo, repoErr := definitions.Forms()
	reg := form.NewRegistry(h.store, repo)
	// A broken repo definition fails CI; should one ship anyway, say so
	// rather than silently listing fewer forms.
	guard := func(f routeFunc) routeFunc {
		return func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			if repoErr != nil {
				return httpapi.Response{}, fmt.Errorf("repo form definitions: %w", repoErr)
			}
			return f(ctx, req)
		}
	}
	return map[string]routeFunc{
		"GET /v1/forms": guard(func(ctx context.Context, _ httpapi.Request) (httpapi.Response, error) {
			list, err := reg.List(ctx)
			if err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(http.StatusOK, map[string]any{"forms": list}, nil), nil
		}),
		"GET /v1/forms/{formId}": guard(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			id := req.PathParameters["formId"]
			e, err := reg.Get(ctx, id)
			if errors.Is(err, form.ErrNotFound) {
				return formNotFound(id), nil
			}
			if err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(http.StatusOK, e, nil), nil
		}),
		"PUT /v1/forms/{formId}": guard(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return h.putForm(ctx, reg, req)
		}),
		"DELETE /v1/forms/{formId}": guard(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			id := req.PathParameters["formId"]
			restored, err := reg.Delete(ctx, id)
			switch {
			case errors.Is(err, form.ErrNotFound):
				return formNotFound(id), nil
			case errors.Is(err, form.ErrRepoForm):
				return httpapi.Fail(http.StatusConflict, "repo_form", fmt.Sprintf(
					"form %q is defined in the repo (definitions/forms/%s.json) and cannot be deleted here; change or remove that file, or PUT a definition to override it", id, id), nil), nil
			case err != nil:
				return httpapi.Response{}, err
			}
			h.log.InfoContext(ctx, "form deleted", "form_id", id, "repo_form_restored", restored)
			return httpapi.JSON(http.StatusOK, map[string]any{"id": id, "deleted": true, "repo_form_restored": restored}, nil), nil
		}),
	}
}

// putForm creates or replaces an admin-API form. The body is the form as
// GET returns it; "source", "overrides_repo" and the timestamps may be sent
// back unchanged and are ignored, so a GET, edit, PUT round trip works.
func (h *Handler) putForm(ctx context.Context, reg *form.Registry, req httpapi.Request) (httpapi.Response, error) {
	id := req.PathParameters["formId"]
	body, err := httpapi.Body(req)
	if err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_body", err.Error()}
	}
	var in struct {
		form.Form
		Source        string `json:"source"`
		OverridesRepo bool   `json:"overrides_repo"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields() // a misspelt key would otherwise be silently dropped
	if err := dec.Decode(&in); err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_json", "form: " + err.Error()}
	}
	f := in.Form
	if f.ID == "" {
		f.ID = id
	}
	if f.ID != id {
		return httpapi.Response{}, errBadRequest{"invalid_form", fmt.Sprintf("the body's id %q differs from the path's %q", f.ID, id)}
	}
	if err := f.Validate(); err != nil {
		return httpapi.Response{}, errBadRequest{"invalid_form", err.Error()}
	}
	if f.SiteKey != "" {
		// Checked here because a form naming a missing site refuses every
		// browser origin (ingest fails closed).
		if _, err := h.store.GetSite(ctx, f.SiteKey); errors.Is(err, site.ErrNotFound) {
			return httpapi.Response{}, errBadRequest{"invalid_form", fmt.Sprintf("site_key %q names no site; create it with PUT /v1/sites/%s first", f.SiteKey, f.SiteKey)}
		} else if err != nil {
			return httpapi.Response{}, fmt.Errorf("check site of form %s: %w", id, err)
		}
	}
	e, created, err := reg.Put(ctx, f, h.now())
	var inv *form.InvalidError
	if errors.As(err, &inv) {
		return httpapi.Response{}, errBadRequest{"invalid_form", inv.Err.Error()}
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	h.log.InfoContext(ctx, "form saved", "form_id", id, "created", created, "overrides_repo", e.OverridesRepo)
	return httpapi.JSON(status, e, nil), nil
}

func formNotFound(id string) httpapi.Response {
	return httpapi.Fail(http.StatusNotFound, "not_found", fmt.Sprintf("no form %q", id), nil)
}
