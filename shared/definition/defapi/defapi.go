// Package defapi serves the admin routes of every definition kind, made
// from the catalog's list: each kind's own routes (/v1/forms, /v1/scoring,
// ... with the bodies outside clients know) and the common ones under
// /v1/definitions (drift, ETags, versions).
package defapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/httpapi"
)

// Route serves one admin route.
type Route func(ctx context.Context, req httpapi.Request) (httpapi.Response, error)

// Hooks are a kind's extra steps around a save.
type Hooks struct {
	// Check runs after validation, before the save (a form's site exists).
	Check func(ctx context.Context, body json.RawMessage) error
	// AfterSave runs after a save (re-scoring on a model change); the
	// fields it returns join the answer.
	AfterSave func(ctx context.Context, s definition.Saved) (map[string]any, error)
	// Invalid, when set, answers a refused definition its own way (a
	// template's problems with line and column, 422).
	Invalid func(err error) (httpapi.Response, bool)
	// Problems, when set, places a refused definition's problems itself
	// (a template's in its subject or HTML); ok false falls back to
	// definition.Problems.
	Problems func(raw []byte, err error) (ps []definition.Problem, ok bool)
	// Decorate adds live fields to every answer of a definition (a
	// segment's member count and build state).
	Decorate func(ctx context.Context, d definition.Definition) (map[string]any, error)
	// AfterDelete runs after a delete (a segment's index is left to age).
	AfterDelete func(ctx context.Context, id string) error
	// CheckDelete, when set, may refuse a delete (409, its message).
	CheckDelete func(ctx context.Context, id string) error
}

// API holds what the routes need.
type API struct {
	reg   *definition.Registry
	by    func(context.Context) string
	hooks map[definition.Kind]Hooks
	log   *slog.Logger
}

// New builds the routes over a registry; by names who is saving (the
// signed-in user, or the admin token's name).
func New(reg *definition.Registry, by func(context.Context) string, log *slog.Logger) *API {
	return &API{reg: reg, by: by, hooks: map[definition.Kind]Hooks{}, log: log}
}

// With sets a kind's hooks.
func (a *API) With(k definition.Kind, h Hooks) *API {
	a.hooks[k] = h
	return a
}

// Routes maps the catalog's route keys of every kind to their functions.
func (a *API) Routes() map[string]Route {
	rs := map[string]Route{}
	for _, k := range catalog.DefinitionKinds() {
		kind := definition.Kind(k.Name)
		if k.Param == "" {
			rs["GET "+k.Path] = func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
				return a.get(ctx, kind, definition.DefaultID, false)
			}
			rs["PUT "+k.Path] = func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
				return a.put(ctx, req, kind, definition.DefaultID, false)
			}
			continue
		}
		param, item := k.Param, k.Path+"/{"+k.Param+"}"
		rs["GET "+k.Path] = func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return a.list(ctx, kind, k.Name, false)
		}
		rs["GET "+item] = func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return a.get(ctx, kind, req.PathParameters[param], false)
		}
		rs["PUT "+item] = func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return a.put(ctx, req, kind, req.PathParameters[param], false)
		}
		rs["DELETE "+item] = func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			return a.delete(ctx, req, kind, req.PathParameters[param], false)
		}
	}
	kindOf := func(req httpapi.Request) definition.Kind { return definition.Kind(req.PathParameters["kind"]) }
	rs["GET "+catalog.DefinitionsPath] = a.drift
	rs["GET "+catalog.DefinitionsPath+"/{kind}"] = func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
		return a.list(ctx, kindOf(req), "definitions", true)
	}
	rs["GET "+catalog.DefinitionPath] = func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
		return a.get(ctx, kindOf(req), req.PathParameters["id"], true)
	}
	rs["PUT "+catalog.DefinitionPath] = func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
		return a.put(ctx, req, kindOf(req), req.PathParameters["id"], true)
	}
	rs["DELETE "+catalog.DefinitionPath] = func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
		return a.delete(ctx, req, kindOf(req), req.PathParameters["id"], true)
	}
	rs["POST "+catalog.DefinitionPath+"/validate"] = a.validate
	rs["GET "+catalog.DefinitionPath+"/versions"] = a.versions
	rs["GET "+catalog.DefinitionPath+"/versions/{n}"] = a.version
	return rs
}

// view is a definition as an answer. The common routes answer the
// Definition with its body under "definition"; a kind's own route answers
// the body itself with the metadata beside its fields (or under its
// envelope, {"model": ...}).
func (a *API) view(d definition.Definition, common bool) map[string]any {
	s, _ := a.reg.Spec(d.Kind)
	out := map[string]any{}
	if common || s.Envelope != "" {
		key := "definition"
		if !common {
			key = s.Envelope
		}
		out[key] = d.Body
	} else {
		_ = json.Unmarshal(d.Body, &out)
	}
	if common {
		out["kind"], out["id"] = d.Kind, d.ID
	}
	out["source"], out["version"] = d.Source, d.Version
	out["overrides_repo"], out["differs_from_repo"] = d.InRepo && d.Source == definition.SourceAPI, d.DiffersFromRepo
	out["updated_at"], out["updated_by"] = nil, nil
	if !d.UpdatedAt.IsZero() {
		out["updated_at"], out["updated_by"] = d.UpdatedAt, d.UpdatedBy
	}
	if !d.Since.IsZero() {
		out["since"], out["created_at"] = d.Since, d.CreatedAt
	}
	out["etag"] = d.ETag()
	if s.Present != nil && d.Body != nil {
		for k, v := range s.Present(d.Body) {
			out[k] = v
		}
	}
	return out
}

func (a *API) list(ctx context.Context, k definition.Kind, key string, common bool) (httpapi.Response, error) {
	defs, err := a.reg.List(ctx, k)
	if err != nil {
		return a.fail(k, "", err)
	}
	views := make([]map[string]any, 0, len(defs))
	for _, d := range defs {
		v, err := a.decorated(ctx, d, common)
		if err != nil {
			return httpapi.Response{}, err
		}
		views = append(views, v)
	}
	body := map[string]any{key: views}
	if common {
		body["kind"] = k
	}
	return httpapi.JSON(http.StatusOK, body, nil), nil
}

func (a *API) get(ctx context.Context, k definition.Kind, id string, common bool) (httpapi.Response, error) {
	d, err := a.reg.Get(ctx, k, id)
	if err != nil {
		return a.fail(k, id, err)
	}
	v, err := a.decorated(ctx, d, common)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, v, map[string]string{"ETag": d.ETag()}), nil
}

// decorated is view plus the kind's live fields.
func (a *API) decorated(ctx context.Context, d definition.Definition, common bool) (map[string]any, error) {
	v := a.view(d, common)
	if h := a.hooks[d.Kind]; h.Decorate != nil {
		extra, err := h.Decorate(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", d.Kind, d.ID, err)
		}
		for f, x := range extra {
			v[f] = x
		}
	}
	return v, nil
}

func (a *API) put(ctx context.Context, req httpapi.Request, k definition.Kind, id string, common bool) (httpapi.Response, error) {
	body, err := httpapi.Body(req)
	if err != nil {
		return httpapi.Fail(http.StatusBadRequest, "invalid_body", err.Error(), nil), nil
	}
	h := a.hooks[k]
	saved, err := a.reg.Put(ctx, k, id, body, definition.Write{IfMatch: httpapi.Header(req, "If-Match"), By: a.by(ctx), Check: h.Check})
	var inv *definition.InvalidError
	if errors.As(err, &inv) {
		inv.Err = &placed{err: inv.Err, problems: a.problems(k, body, inv.Err)}
	}
	if err != nil {
		return a.fail(k, id, err)
	}
	out := a.view(saved.Definition, common)
	if h.AfterSave != nil {
		extra, err := h.AfterSave(ctx, saved)
		if err != nil {
			return httpapi.Response{}, fmt.Errorf("after saving %s/%s: %w", k, id, err)
		}
		for f, v := range extra {
			out[f] = v
		}
	}
	status := http.StatusOK
	if saved.Created && !a.singleton(k) {
		status = http.StatusCreated
	}
	a.log.InfoContext(ctx, "definition saved", "kind", k, "id", id, "version", saved.Version, "created", saved.Created)
	return httpapi.JSON(status, out, map[string]string{"ETag": saved.ETag()}), nil
}

// validate runs a save's checks and saves nothing. A definition that
// fails them is still a successful call: 200 with valid false and every
// problem placed at its line and column, so an editor can call it on
// every pause in typing.
func (a *API) validate(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	k, id := definition.Kind(req.PathParameters["kind"]), req.PathParameters["id"]
	body, err := httpapi.Body(req)
	if err != nil {
		return httpapi.Fail(http.StatusBadRequest, "invalid_body", err.Error(), nil), nil
	}
	checked, err := a.reg.Validate(ctx, k, id, body, definition.Write{Check: a.hooks[k].Check})
	var inv *definition.InvalidError
	if errors.As(err, &inv) {
		return httpapi.JSON(http.StatusOK, map[string]any{"kind": k, "id": id, "valid": false, "problems": a.problems(k, body, inv.Err)}, nil), nil
	}
	if err != nil {
		return a.fail(k, id, err)
	}
	out := map[string]any{"kind": k, "id": id, "valid": true, "problems": []definition.Problem{}, "definition": checked}
	if s, _ := a.reg.Spec(k); s.Present != nil {
		for f, v := range s.Present(checked) {
			out[f] = v
		}
	}
	return httpapi.JSON(http.StatusOK, out, nil), nil
}

// problems places a refused definition's problems in the submitted text.
func (a *API) problems(k definition.Kind, raw []byte, err error) []definition.Problem {
	if h := a.hooks[k]; h.Problems != nil {
		if ps, ok := h.Problems(raw, err); ok {
			return ps
		}
	}
	ps := definition.Problems(raw, err)
	if ps == nil {
		ps = []definition.Problem{}
	}
	return ps
}

func (a *API) singleton(k definition.Kind) bool {
	s, err := a.reg.Spec(k)
	return err == nil && s.Singleton
}

func (a *API) delete(ctx context.Context, req httpapi.Request, k definition.Kind, id string, common bool) (httpapi.Response, error) {
	if h := a.hooks[k]; h.CheckDelete != nil {
		if err := h.CheckDelete(ctx, id); err != nil {
			s, _ := a.reg.Spec(k)
			return httpapi.Fail(http.StatusConflict, noun(s)+"_in_use", err.Error(), nil), nil
		}
	}
	restored, err := a.reg.Delete(ctx, k, id, definition.Write{IfMatch: httpapi.Header(req, "If-Match"), By: a.by(ctx)})
	if err != nil {
		return a.fail(k, id, err)
	}
	a.log.InfoContext(ctx, "definition deleted", "kind", k, "id", id, "repo_restored", restored)
	if h := a.hooks[k]; h.AfterDelete != nil {
		if err := h.AfterDelete(ctx, id); err != nil {
			return httpapi.Response{}, fmt.Errorf("after deleting %s/%s: %w", k, id, err)
		}
	}
	s, _ := a.reg.Spec(k)
	out := map[string]any{"id": id, "deleted": true, "repo_restored": restored}
	if !common {
		out["repo_"+noun(s)+"_restored"] = restored
	}
	return httpapi.JSON(http.StatusOK, out, nil), nil
}

func (a *API) drift(ctx context.Context, _ httpapi.Request) (httpapi.Response, error) {
	kinds, err := a.reg.Drift(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"kinds": kinds}, nil), nil
}

func (a *API) versions(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	k, id := definition.Kind(req.PathParameters["kind"]), req.PathParameters["id"]
	vs, err := a.reg.Versions(ctx, k, id)
	if err != nil {
		return a.fail(k, id, err)
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"kind": k, "id": id, "versions": vs}, nil), nil
}

func (a *API) version(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	k, id := definition.Kind(req.PathParameters["kind"]), req.PathParameters["id"]
	n, err := strconv.ParseInt(req.PathParameters["n"], 10, 64)
	if err != nil || n < 1 {
		return httpapi.Fail(http.StatusBadRequest, "invalid_parameter", "the version must be a whole number from 1", nil), nil
	}
	d, info, err := a.reg.Version(ctx, k, id, n)
	if err != nil {
		return a.fail(k, id, err)
	}
	out := map[string]any{"kind": k, "id": id, "version": info.Version, "at": info.At, "by": info.By,
		"summary": info.Summary, "deleted": info.Deleted, "definition": d.Body}
	return httpapi.JSON(http.StatusOK, out, nil), nil
}

// invalid answers 400 in the usual error shape, with the problems placed
// in the submitted text beside the message when put placed them.
func (a *API) invalid(k definition.Kind, s definition.Spec, err error) httpapi.Response {
	body := map[string]any{"code": "invalid_" + noun(s), "message": fmt.Sprintf("%s: %v", s.Noun, err)}
	var ps *placed
	if errors.As(err, &ps) {
		body["problems"] = ps.problems
		body["message"] = fmt.Sprintf("%s: %v", s.Noun, ps.err)
	}
	return httpapi.JSON(http.StatusBadRequest, map[string]any{"error": body}, nil)
}

// placed carries a refused body's problems with line and column to fail.
type placed struct {
	err      error
	problems []definition.Problem
}

func (p *placed) Error() string { return p.err.Error() }
func (p *placed) Unwrap() error { return p.err }

func noun(s definition.Spec) string { return strings.ReplaceAll(s.Noun, " ", "_") }

// fail answers the registry's errors; anything else is the caller's 500.
func (a *API) fail(k definition.Kind, id string, err error) (httpapi.Response, error) {
	s, _ := a.reg.Spec(k)
	var inv *definition.InvalidError
	switch {
	case errors.Is(err, definition.ErrUnknownKind):
		return httpapi.Fail(http.StatusNotFound, "unknown_kind", fmt.Sprintf("no definition kind %q", k), nil), nil
	case errors.Is(err, definition.ErrNotFound):
		return httpapi.Fail(http.StatusNotFound, "not_found", fmt.Sprintf("no %s %q", s.Noun, id), nil), nil
	case errors.Is(err, definition.ErrRepoOnly):
		where := "definitions/" + s.File
		if !s.Singleton {
			where = "definitions/" + s.Dir + "/" + id + ".json"
			if len(s.Bodies) > 0 {
				where = "definitions/" + s.Dir + "/" + id + ".*"
			}
		}
		return httpapi.Fail(http.StatusConflict, "repo_"+noun(s), fmt.Sprintf(
			"%s %q is defined in the repo (%s) and has no override to delete; change the file, or PUT a definition to override it", s.Noun, id, where), nil), nil
	case errors.Is(err, definition.ErrStale):
		return httpapi.Fail(http.StatusPreconditionFailed, "precondition_failed",
			fmt.Sprintf("%s %q changed since it was read (If-Match no longer matches); GET it again and redo the change", s.Noun, id), nil), nil
	case errors.As(err, &inv):
		if h := a.hooks[k]; h.Invalid != nil {
			if resp, ok := h.Invalid(inv.Err); ok {
				return resp, nil
			}
		}
		return a.invalid(k, s, inv.Err), nil
	}
	return httpapi.Response{}, err
}
