package adminfn

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/leadflow/leadflow/shared/audit"
	"github.com/leadflow/leadflow/shared/auth"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/httpapi"
)

// TokenVerifier checks a console user's token (auth.Verifier).
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (auth.Principal, error)
}

// adminRoutes are the catalog's admin routes by key.
func adminRoutes() map[string]catalog.Route {
	out := map[string]catalog.Route{}
	for _, f := range catalog.Load().Functions {
		for _, r := range f.Routes {
			if r.Auth == catalog.Admin {
				out[r.Key()] = r
			}
		}
	}
	return out
}

var bearerRealm = map[string]string{"WWW-Authenticate": `Bearer realm="leadflow-admin"`}

// authenticate finds the caller, or the 401 to answer.
func (h *Handler) authenticate(ctx context.Context, req httpapi.Request) (auth.Principal, *httpapi.Response) {
	token := httpapi.BearerToken(req)
	if token == "" {
		r := httpapi.Fail(http.StatusUnauthorized, "unauthorized", "admin routes need Authorization: Bearer <admin token or console sign-in token>", bearerRealm)
		return auth.Principal{}, &r
	}
	got := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(got[:], h.tokenHash) == 1 {
		return auth.Machine, nil
	}
	// Only something shaped like a JWT goes to the verifier: a mistyped
	// admin token should say so, not "not a JWT".
	if h.verifier == nil || strings.Count(token, ".") != 2 {
		r := httpapi.Fail(http.StatusUnauthorized, "unauthorized", "the bearer token is not the admin token", bearerRealm)
		return auth.Principal{}, &r
	}
	p, err := h.verifier.Verify(ctx, token)
	if errors.Is(err, auth.ErrInvalidToken) {
		r := httpapi.Fail(http.StatusUnauthorized, "invalid_token", err.Error()+"; sign in again", bearerRealm)
		return auth.Principal{}, &r
	}
	if err != nil {
		h.log.ErrorContext(ctx, "verify token", "error", err)
		r := httpapi.Fail(http.StatusServiceUnavailable, "auth_unavailable", "could not check the sign-in token; try again", nil)
		return auth.Principal{}, &r
	}
	return p, nil
}

// authorize answers 403 unless the caller's role may perform the route's
// action class. A route missing from the catalog's table is refused: the
// table, not the handler, says who may call what.
func (h *Handler) authorize(who auth.Principal, routeKey string) (catalog.Route, *httpapi.Response) {
	route, ok := h.actions[routeKey]
	if !ok {
		r := httpapi.Fail(http.StatusNotFound, "not_found", "no route "+routeKey, nil)
		return route, &r
	}
	action := route.Action
	if who.Role.Can(action) {
		return route, nil
	}
	min, _ := action.MinRole()
	msg := fmt.Sprintf("your role (%s) may not do this: %s needs %s or above", roleName(who.Role), routeKey, min)
	if who.Role == catalog.RoleNone {
		msg = "your account has no role yet; ask an admin to give you one"
	}
	r := httpapi.Fail(http.StatusForbidden, "forbidden", msg, nil)
	return route, &r
}

func roleName(r catalog.Role) string {
	if r == catalog.RoleNone {
		return "none"
	}
	return string(r)
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p auth.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principal is the caller of the request being served.
func principal(ctx context.Context) auth.Principal {
	p, _ := ctx.Value(principalKey{}).(auth.Principal)
	return p
}

// record writes the audit entry of a change that succeeded. The change has
// been made, so a failure to record is logged loudly rather than turned
// into an error the caller would retry.
func (h *Handler) record(ctx context.Context, req httpapi.Request, route catalog.Route, who auth.Principal, status int) {
	path := route.Path
	e := audit.Entry{
		ID: rand.Text()[:16], At: h.now().UTC(),
		ActorID: who.Subject, Actor: who.Name(), Role: string(who.Role),
		Kind: audit.KindOf(path), Action: req.RouteKey, Target: audit.TargetOf(path, req.PathParameters),
		Status: status, RequestID: req.RequestContext.RequestID,
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok && e.RequestID == "" {
		e.RequestID = lc.AwsRequestID
	}
	if err := h.audit.Record(ctx, e); err != nil {
		h.log.ErrorContext(ctx, "audit entry not recorded", "route", req.RouteKey, "actor_id", who.Subject, "target", e.Target, "error", err)
	}
}

func (h *Handler) auditRoutes() map[string]routeFunc {
	return map[string]routeFunc{
		"GET /v1/audit": func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			q := req.QueryStringParameters
			limit, err := intParam(q, "limit", 50, 1, 200)
			if err != nil {
				return httpapi.Response{}, err
			}
			entries, next, err := h.audit.List(ctx, audit.Query{ActorID: q["actor_id"], Kind: q["kind"], Before: q["before"], Limit: limit})
			if errors.Is(err, audit.ErrBadCursor) {
				return httpapi.Response{}, errBadRequest{"invalid_parameter", err.Error()}
			}
			if err != nil {
				return httpapi.Response{}, err
			}
			if entries == nil {
				entries = []audit.Entry{}
			}
			body := map[string]any{"entries": entries}
			if next != "" {
				body["next"] = next
			}
			return httpapi.JSON(http.StatusOK, body, nil), nil
		},
	}
}
