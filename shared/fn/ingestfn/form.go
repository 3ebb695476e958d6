package ingestfn

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/form"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/ingest"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// newFormService wires form fills: forms from the definition registry
// (an admin-API override, else the repo's, cached for a minute), rate
// limits counted in the table.
func newFormService(svc *ingest.Service, store *dynamo.Store, limitSecret []byte, log *slog.Logger) *ingest.FormService {
	// Repo forms are read and checked on the first form request; CI
	// validates every one, and of a broken build it serves what loads.
	reg := definitions.Reader(store)
	forms, err := ingest.NewForms(svc, formSource{definitions.FormCache(reg)}, store, ingest.DefaultFormLimits, limitSecret, log)
	if err != nil {
		// ConfigFromEnv checked the secret; without one, forms answer 503.
		log.Error("forms are not configured", "error", err)
		return nil
	}
	return forms
}

// formSource reads forms through the definition cache.
type formSource struct {
	c *definition.Cache[form.Form]
}

// GetForm implements ingest.Forms.
func (s formSource) GetForm(ctx context.Context, id string) (form.Form, error) {
	f, err := s.c.Get(ctx, id)
	if errors.Is(err, definition.ErrNotFound) {
		return f, fmt.Errorf("form %s: %w", id, form.ErrNotFound)
	}
	return f, err
}

// WithForms sets the form service (tests build one around fakes).
func (h *Handler) WithForms(f *ingest.FormService) *Handler {
	h.forms = f
	return h
}

// submitForm serves POST and OPTIONS /v1/forms/{formId}.
//
// The answer depends on who posted. A browser submitting an HTML form gets
// a 303 to the form's thank-you URL, and on a problem a small HTML page
// (400, 404, 429, ...) that says what to fix and links back to the form.
// That page was chosen over redirecting back with ?error=...: a static site
// cannot show such a parameter, and the browser's Back button keeps what the
// person typed, whereas a redirect reloads the form empty. A script (a JSON
// body, or Accept: application/json) gets JSON: 200
// {"success":true,"status","redirect"} or the usual {"error":{...}} with a
// "fields" list naming each field at fault.
func (h *Handler) submitForm(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id := req.PathParameters["formId"]
	origin := httpapi.Header(req, "Origin")
	if req.RequestContext.HTTP.Method == http.MethodOptions {
		return h.formPreflight(ctx, id, origin), nil
	}
	html := wantsHTML(req)
	if h.forms == nil {
		return formFail(html, http.StatusServiceUnavailable, "unavailable", "forms are not configured on this function", nil, "", nil), nil
	}
	headers := map[string]string{"Vary": "Origin"}
	body, err := httpapi.Body(req)
	if err != nil {
		return formFail(html, http.StatusBadRequest, form.CodeInvalidBody, err.Error(), nil, "", headers), nil
	}
	res, err := h.forms.Submit(ctx, ingest.FormCall{
		FormID:      id,
		ContentType: httpapi.Header(req, "Content-Type"),
		Body:        body,
		Origin:      origin,
		Referer:     httpapi.Header(req, "Referer"),
		SourceIP:    req.RequestContext.HTTP.SourceIP,
		UserAgent:   req.RequestContext.HTTP.UserAgent,
		RequestID:   req.RequestContext.RequestID,
	})
	if origin != "" && (res.Trusted || errors.Is(err, ingest.ErrUnknownForm)) {
		// Scripts on the form's own pages may read the answer, errors
		// included; an unknown form's 404 is readable too, since it reveals
		// nothing. Any other page gets no grant: its script learns nothing.
		headers["Access-Control-Allow-Origin"] = origin
	}
	if err != nil {
		return h.formError(ctx, id, html, err, res, httpapi.Header(req, "Referer"), headers), nil
	}
	if res.Spam {
		h.log.InfoContext(ctx, "form fill caught by the honeypot", "form_id", id)
	} else {
		h.log.InfoContext(ctx, "form fill accepted", "form_id", id, "site", res.Form.SiteKey, "status", res.Status)
	}
	if html {
		headers["Location"] = res.Redirect
		headers["Cache-Control"] = "no-store"
		return httpapi.Response{StatusCode: http.StatusSeeOther, Headers: headers}, nil
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"success": true, "status": res.Status, "redirect": res.Redirect}, headers), nil
}

func (h *Handler) formError(ctx context.Context, id string, html bool, err error, res ingest.FormResult, referer string, headers map[string]string) httpapi.Response {
	var fe *form.Error
	switch {
	case errors.As(err, &fe):
		status := http.StatusBadRequest
		switch fe.Code {
		case form.CodeUnsupportedType:
			status = http.StatusUnsupportedMediaType
		case form.CodeBodyTooLarge:
			status = http.StatusRequestEntityTooLarge
		}
		h.log.InfoContext(ctx, "form fill rejected", "form_id", id, "code", fe.Code, "fields", len(fe.Fields))
		return formFail(html, status, fe.Code, fe.Message, fe.Fields, referer, headers)
	case errors.Is(err, ingest.ErrUnknownForm):
		return formFail(html, http.StatusNotFound, "unknown_form", "there is no form \""+clip(id)+"\"", nil, referer, headers)
	case errors.Is(err, ingest.ErrOriginRejected):
		h.log.InfoContext(ctx, "form fill from a refused origin", "form_id", id)
		return formFail(html, http.StatusForbidden, "origin_not_allowed", "this form does not accept submissions from this website", nil, referer, headers)
	case errors.Is(err, ingest.ErrRateLimited):
		headers["Retry-After"] = strconv.Itoa(int(math.Max(1, math.Ceil(res.RetryAfter.Seconds()))))
		return formFail(html, http.StatusTooManyRequests, "rate_limited", "too many submissions of this form; please wait a minute and try again", nil, referer, headers)
	default:
		h.log.ErrorContext(ctx, "submit form", "form_id", id, "error", err)
		return formFail(html, http.StatusInternalServerError, "internal", "the form could not be submitted; please try again", nil, referer, headers)
	}
}

// formPreflight answers a CORS preflight. Unlike the tracking routes, the
// form's id is in the path, so the origin is checked here already.
func (h *Handler) formPreflight(ctx context.Context, id, origin string) httpapi.Response {
	headers := map[string]string{"Vary": "Origin"}
	// Only the form's own pages get a grant: a script elsewhere cannot send
	// the JSON or headers that need a preflight. A form that cannot be read
	// gets none either; plain HTML posts need no preflight anyway.
	allowed := false
	if origin != "" && h.forms != nil {
		if f, err := h.forms.Form(ctx, id); err == nil {
			if oc, err := h.forms.CheckOrigin(ctx, f, origin); err == nil {
				allowed = oc.Trusted
			}
		}
	}
	if allowed {
		headers["Access-Control-Allow-Origin"] = origin
		headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
		headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
		headers["Access-Control-Max-Age"] = "86400"
	}
	return httpapi.Response{StatusCode: http.StatusNoContent, Headers: headers}
}

// wantsHTML tells a browser's form submission from a script's call: an
// explicit Accept wins, then the body's type (JSON means a script).
func wantsHTML(req httpapi.Request) bool {
	accept := strings.ToLower(httpapi.Header(req, "Accept"))
	switch {
	case strings.Contains(accept, "application/json"):
		return false
	case strings.Contains(accept, "text/html"):
		return true
	}
	mt, _, _ := mime.ParseMediaType(httpapi.Header(req, "Content-Type"))
	return mt != "application/json" && !strings.HasSuffix(mt, "+json") && mt != "text/plain"
}

// formFail answers an error as JSON for scripts or as a page for people.
func formFail(html bool, status int, code, msg string, fields []form.FieldError, referer string, headers map[string]string) httpapi.Response {
	if !html {
		e := map[string]any{"code": code, "message": msg}
		if len(fields) > 0 {
			e["fields"] = fields
		}
		return httpapi.JSON(status, map[string]any{"error": e}, headers)
	}
	page := errorPage{Title: http.StatusText(status), Message: sentence(msg)}
	for _, f := range fields {
		page.Problems = append(page.Problems, sentence(f.Message))
	}
	if len(page.Problems) > 0 {
		page.Message = "Please correct the following and send the form again:"
	}
	if validBackLink(referer) {
		page.Back = referer
	}
	h := map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-store",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	}
	for k, v := range headers {
		h[k] = v
	}
	return httpapi.Response{StatusCode: status, Headers: h, Body: page.render()}
}

type errorPage struct {
	Title, Message, Back string
	Problems             []string
}

// render escapes everything it prints: messages quote what was posted,
// and a posted value may be markup. Back is a Referer validBackLink
// accepted (http(s) only). Built by hand rather than with html/template:
// linking html/template turns off the linker's dead-code removal (+5 MB on
// the hot path's binary and its cold start) for one small page.
func (p errorPage) render() string {
	esc := html.EscapeString
	var b strings.Builder
	b.WriteString(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>` + esc(p.Title) + `</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}li{margin:.3rem 0}</style>
</head><body>
<h1>Your form was not sent</h1>
<p>` + esc(p.Message) + "</p>\n")
	if len(p.Problems) > 0 {
		b.WriteString("<ul>")
		for _, pr := range p.Problems {
			b.WriteString("<li>" + esc(pr) + "</li>")
		}
		b.WriteString("</ul>")
	}
	b.WriteString("\n<p>")
	if p.Back != "" {
		b.WriteString(`<a href="` + esc(p.Back) + `">Back to the form</a>. `)
	}
	b.WriteString("Your browser's Back button returns to the form with what you typed.</p>\n</body></html>\n")
	return b.String()
}

// validBackLink accepts only http(s) Referers as the back link.
func validBackLink(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(s) <= 2048
}

// sentence capitalises a message for the page.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func clip(s string) string {
	if len(s) > 64 {
		s = strings.ToValidUTF8(s[:64], "") + "…"
	}
	return s
}
