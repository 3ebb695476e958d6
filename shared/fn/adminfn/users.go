package adminfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/user"
)

// userRoutes manage the console's users (admin only, by the catalog).
func (h *Handler) userRoutes() map[string]routeFunc {
	need := func(f routeFunc) routeFunc {
		return func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			if h.users == nil {
				return httpapi.Fail(http.StatusNotImplemented, "no_user_pool", "this deployment has no console user pool", nil), nil
			}
			resp, err := f(ctx, req)
			switch {
			case errors.Is(err, user.ErrNotFound):
				return httpapi.Fail(http.StatusNotFound, "not_found", "no user "+req.PathParameters["id"], nil), nil
			case errors.Is(err, user.ErrExists):
				return httpapi.Fail(http.StatusConflict, "user_exists", "a user with this email exists", nil), nil
			}
			return resp, err
		}
	}
	return map[string]routeFunc{
		"GET /v1/users": need(func(ctx context.Context, _ httpapi.Request) (httpapi.Response, error) {
			list, err := h.users.List(ctx)
			if err != nil {
				return httpapi.Response{}, err
			}
			if list == nil {
				list = []user.User{}
			}
			return httpapi.JSON(http.StatusOK, map[string]any{"users": list}, nil), nil
		}),
		"POST /v1/users": need(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			var in struct {
				Email string `json:"email"`
				Role  string `json:"role"`
			}
			if err := decodeStrict(req, &in); err != nil {
				return httpapi.Response{}, err
			}
			email := contact.NormalizeEmail(in.Email)
			if email == "" {
				return httpapi.Response{}, errBadRequest{"invalid_email", "email must be an email address"}
			}
			role, err := parseRole(in.Role)
			if err != nil {
				return httpapi.Response{}, err
			}
			inv, err := h.users.Invite(ctx, email, role)
			if err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(http.StatusCreated, inv, nil), nil
		}),
		"PATCH /v1/users/{id}": need(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			var in struct {
				Role string `json:"role"`
			}
			if err := decodeStrict(req, &in); err != nil {
				return httpapi.Response{}, err
			}
			role, err := parseRole(in.Role)
			if err != nil {
				return httpapi.Response{}, err
			}
			id := req.PathParameters["id"]
			if id == principal(ctx).Subject && role != catalog.RoleAdmin {
				// The last admin demoting themselves would lock everyone
				// out of the users page; another admin can do it.
				return httpapi.Fail(http.StatusConflict, "own_role", "you cannot lower your own role; ask another admin", nil), nil
			}
			u, err := h.users.SetRole(ctx, id, role)
			if err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(http.StatusOK, u, nil), nil
		}),
		"DELETE /v1/users/{id}": need(func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			id := req.PathParameters["id"]
			if id == principal(ctx).Subject {
				return httpapi.Fail(http.StatusConflict, "own_account", "you cannot disable your own account; ask another admin", nil), nil
			}
			u, err := h.users.Disable(ctx, id)
			if err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(http.StatusOK, u, nil), nil
		}),
	}
}

func parseRole(name string) (catalog.Role, error) {
	r, ok := catalog.ParseRole(strings.TrimSpace(name))
	if !ok {
		return "", errBadRequest{"invalid_role", `role must be one of "viewer", "marketer", "admin"`}
	}
	return r, nil
}

// decodeStrict reads a JSON body, refusing unknown fields (a misspelt key
// would otherwise be dropped silently).
func decodeStrict(req httpapi.Request, v any) error {
	body, err := httpapi.Body(req)
	if err != nil {
		return errBadRequest{"invalid_body", err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadRequest{"invalid_json", err.Error()}
	}
	return nil
}
