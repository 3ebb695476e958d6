package adminfn

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/interest"
)

// interestRoutes serve the interest rules: the repo's definitions/interests.json
// until a PUT replaces them at runtime. Both go through Rules.Validate.
func (h *Handler) interestRoutes() map[string]routeFunc {
	return map[string]routeFunc{
		"GET /v1/interests": func(ctx context.Context, _ httpapi.Request) (httpapi.Response, error) {
			raw, ok, err := h.store.GetConfig(ctx, interest.ConfigName)
			if err != nil {
				return httpapi.Response{}, err
			}
			if !ok {
				rules, err := definitions.Interests()
				if err != nil {
					return httpapi.Response{}, err
				}
				return httpapi.JSON(http.StatusOK, map[string]any{"rules": rules.Rules, "source": "repo"}, nil), nil
			}
			var rules interest.Rules
			if err := json.Unmarshal(raw, &rules); err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(http.StatusOK, map[string]any{"rules": rules.Rules, "source": "api"}, nil), nil
		},
		"PUT /v1/interests": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			var rules interest.Rules
			if err := decodeBody(req, &rules); err != nil {
				return httpapi.Response{}, err
			}
			if err := rules.Validate(); err != nil {
				return httpapi.Response{}, errBadRequest{"invalid_rules", err.Error()}
			}
			raw, err := json.Marshal(rules)
			if err != nil {
				return httpapi.Response{}, err
			}
			if err := h.store.PutConfig(ctx, interest.ConfigName, raw); err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(http.StatusOK, map[string]any{"rules": rules.Rules, "source": "api"}, nil), nil
		},
	}
}
