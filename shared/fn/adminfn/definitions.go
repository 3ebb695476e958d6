package adminfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"net/http"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/definition/defapi"
	"github.com/leadflow/leadflow/shared/form"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/job"
	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/template"
)

// definitionRoutes are every definition kind's routes (shared/definition/
// defapi), with this function's steps around a save: a form's site must
// exist, a template's problems come back with line and column, and a new
// scoring model re-scores every contact.
func (h *Handler) definitionRoutes() map[string]routeFunc {
	segHooks, listHooks := h.segmentHooks()
	api := defapi.New(h.reg, h.savedBy, h.log).
		With(definitions.KindSegments, segHooks).
		With(definitions.KindLists, listHooks).
		With(definitions.KindForms, defapi.Hooks{Check: h.checkFormSite}).
		With(definitions.KindTemplates, defapi.Hooks{
			Invalid: func(err error) (httpapi.Response, bool) {
				return invalidTemplate(err), errors.Is(err, template.ErrInvalid)
			},
			Problems: templateProblems,
		}).
		With(definitions.KindScoring, defapi.Hooks{AfterSave: h.rescore}).
		With(definitions.KindJourneys, defapi.Hooks{Check: h.checkJourneyRefs, Invalid: invalidJourney}).
		With(definitions.KindCampaigns, h.campaignHooks())
	out := map[string]routeFunc{}
	for k, f := range api.Routes() {
		out[k] = routeFunc(f)
	}
	for _, k := range []string{"PUT " + catalog.DefinitionPath, "DELETE " + catalog.DefinitionPath} {
		out[k] = kindEditGuard(out[k])
	}
	return out
}

// kindEditGuard refuses a change through the common routes that the
// kind's own route would refuse: the catalog's table knows the action of
// /v1/definitions/{kind}/{id} only as "write", and sending settings are
// admin-only.
func kindEditGuard(next routeFunc) routeFunc {
	return func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
		k, ok := catalog.DefinitionKindNamed(req.PathParameters["kind"])
		if who := principal(ctx); ok && !who.Role.Can(k.EditAction()) {
			min, _ := k.EditAction().MinRole()
			return httpapi.Fail(http.StatusForbidden, "forbidden", fmt.Sprintf("your role (%s) may not change %s definitions: that needs %s or above", roleName(who.Role), k.Name, min), nil), nil
		}
		return next(ctx, req)
	}
}

// savedBy names who saves a definition: the signed-in user, or the admin
// token's name (ADMIN_TOKEN_NAME).
func (h *Handler) savedBy(ctx context.Context) string {
	if p := principal(ctx); !p.Machine && p.Name() != "" {
		return p.Name()
	}
	return h.tokenName
}

// checkFormSite refuses a form naming a missing site: ingest fails closed,
// so such a form would refuse every browser origin.
func (h *Handler) checkFormSite(ctx context.Context, body json.RawMessage) error {
	f, err := definition.DecodeAs[form.Form](body)
	if err != nil || f.SiteKey == "" {
		return err
	}
	if _, err := h.store.GetSite(ctx, f.SiteKey); errors.Is(err, site.ErrNotFound) {
		return fmt.Errorf("site_key %q names no site; create it with PUT /v1/sites/%s first", f.SiteKey, f.SiteKey)
	} else if err != nil {
		return fmt.Errorf("check site of form %s: %w", f.ID, err)
	}
	return nil
}

// rescore starts re-scoring every contact when the model's content
// changed, one job chain per contacts shard; the processor re-scores any
// contact it touches before the job reaches it.
func (h *Handler) rescore(ctx context.Context, s definition.Saved) (map[string]any, error) {
	next, err := definitions.ScoringModel(s.Body)
	if err != nil {
		return nil, err
	}
	prev, _ := definitions.ScoringModel(s.Previous.Body)
	changed := prev.Version != next.Version
	if changed {
		if h.jobs == nil {
			return nil, errors.New("no jobs queue configured")
		}
		if cp, ok := h.store.(job.Checkpoints); ok {
			// Before the pages are queued, so the first one finds its run.
			if err := cp.StartRun(ctx, job.Rescore, next.Version, dynamo.ContactShards, h.now()); err != nil {
				return nil, err
			}
		}
		if err := job.StartRescore(ctx, h.jobs, next.Version, dynamo.ContactShards); err != nil {
			return nil, err
		}
	}
	h.log.InfoContext(ctx, "scoring model saved", "version", next.Version, "rescoring", changed)
	return map[string]any{"rescoring": changed}, nil
}

// templateParts are the fields whose problems the template validator
// places in their own source.
var templateParts = map[string]bool{"subject": true, "preheader": true, "html": true, "text": true}

// templateProblems places a template's problems: those in its subject,
// preheader, HTML or text at the validator's own line and column in that
// part; the others (a bad from address, a missing name) at their field in
// the submitted JSON. Errors before the validator (JSON that does not
// decode) fall back to definition.Problems.
func templateProblems(raw []byte, err error) ([]definition.Problem, bool) {
	var te *template.Error
	if !errors.As(err, &te) {
		return nil, false
	}
	out := make([]definition.Problem, 0, len(te.Problems))
	for _, p := range te.Problems {
		if templateParts[p.Field] && p.Line > 0 {
			out = append(out, definition.Problem{In: p.Field, Field: p.Field, Line: p.Line, Column: p.Column, Message: p.Message})
			continue
		}
		placed := definition.Problems(raw, fmt.Errorf("%s: %s", p.Field, p.Message))
		if len(placed) == 1 {
			placed[0].Field, placed[0].Message = p.Field, p.Message
			out = append(out, placed[0])
			continue
		}
		out = append(out, definition.Problem{In: definition.InDefinition, Field: p.Field, Message: p.Message})
	}
	return out, true
}
