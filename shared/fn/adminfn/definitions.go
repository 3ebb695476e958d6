package adminfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/leadflow/leadflow/definitions"
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
		With(definitions.KindTemplates, defapi.Hooks{Invalid: func(err error) (httpapi.Response, bool) {
			return invalidTemplate(err), errors.Is(err, template.ErrInvalid)
		}}).
		With(definitions.KindScoring, defapi.Hooks{AfterSave: h.rescore}).
		With(definitions.KindCampaigns, h.campaignHooks())
	out := map[string]routeFunc{}
	for k, f := range api.Routes() {
		out[k] = routeFunc(f)
	}
	return out
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
		if err := job.StartRescore(ctx, h.jobs, next.Version, dynamo.ContactShards); err != nil {
			return nil, err
		}
	}
	h.log.InfoContext(ctx, "scoring model saved", "version", next.Version, "rescoring", changed)
	return map[string]any{"rescoring": changed}, nil
}
