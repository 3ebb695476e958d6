// Package httpapi holds what every API Gateway (HTTP API, payload v2)
// handler shares: reading the request and writing JSON and error responses.
package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Request is the HTTP API v2 event a handler receives.
type Request = events.APIGatewayV2HTTPRequest

// Response is what a handler returns.
type Response = events.APIGatewayV2HTTPResponse

// Body returns the request body, decoding API Gateway's base64 when set.
func Body(r Request) ([]byte, error) {
	if !r.IsBase64Encoded {
		return []byte(r.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		return nil, fmt.Errorf("decode base64 body: %w", err)
	}
	return b, nil
}

// Header returns a request header. HTTP API lower-cases header names.
func Header(r Request, name string) string {
	if v, ok := r.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// BasicUser returns the username of an HTTP Basic Authorization header.
func BasicUser(r Request) string {
	user, _ := basic(r)
	return user
}

// BasicPassword returns the password of an HTTP Basic Authorization header
// ("" when there is none: Segment's libraries send the write key alone).
func BasicPassword(r Request) string {
	_, pass := basic(r)
	return pass
}

func basic(r Request) (user, pass string) {
	auth := Header(r, "Authorization")
	if len(auth) < 6 || !strings.EqualFold(auth[:6], "basic ") {
		return "", ""
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(auth[6:]))
	if err != nil {
		return "", ""
	}
	user, pass, _ = strings.Cut(string(raw), ":")
	return user, pass
}

// BearerToken returns the token of an Authorization: Bearer header.
func BearerToken(r Request) string {
	auth := Header(r, "Authorization")
	if len(auth) < 7 || !strings.EqualFold(auth[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(auth[7:])
}

// Error is the body of every error response: {"error":{"code","message"}}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// JSON writes v as a JSON response with the given status.
func JSON(status int, v any, headers map[string]string) Response {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"could not encode the response"}}`)
	}
	return RawJSON(status, string(body), headers)
}

// RawJSON is JSON with the body already encoded: a constant answer (the
// tracking endpoints' {"success":true}) needs no reflection per request.
func RawJSON(status int, body string, headers map[string]string) Response {
	h := make(map[string]string, 2+len(headers))
	h["Content-Type"], h["Cache-Control"] = "application/json; charset=utf-8", "no-store"
	for k, v := range headers {
		h[k] = v
	}
	return Response{StatusCode: status, Headers: h, Body: body}
}

// Fail writes an error response.
func Fail(status int, code, message string, headers map[string]string) Response {
	return JSON(status, map[string]Error{"error": {Code: code, Message: message}}, headers)
}
