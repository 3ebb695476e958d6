package ingestfn

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/snippet"
)

// serveSDK serves the tracking snippet at GET /v1/sdk.js. The file is the
// same for every site (the key is in the page's script tag), so it is
// publicly cacheable; five minutes bounds how long a fix takes to reach
// browsers, and the ETag makes the revalidation after that a 304.
func (h *Handler) serveSDK(_ context.Context, req httpapi.Request) (httpapi.Response, error) {
	js := snippet.JS()
	gz := acceptsGzip(httpapi.Header(req, "Accept-Encoding"))
	etag := js.ETag
	if gz {
		etag = js.GzipETag
	}
	headers := map[string]string{
		"Content-Type":                "application/javascript; charset=utf-8",
		"Cache-Control":               "public, max-age=300",
		"ETag":                        etag,
		"Vary":                        "Accept-Encoding",
		"Access-Control-Allow-Origin": "*", // for pages that load it with crossorigin (SRI, error reporting)
		"X-Content-Type-Options":      "nosniff",
	}
	if inm := httpapi.Header(req, "If-None-Match"); inm != "" && matchesETag(inm, js.ETag, js.GzipETag) {
		return httpapi.Response{StatusCode: http.StatusNotModified, Headers: headers}, nil
	}
	if !gz {
		return httpapi.Response{StatusCode: http.StatusOK, Headers: headers, Body: string(js.Raw)}, nil
	}
	// Lambda responses are text, so compressed bytes travel base64-encoded
	// and API Gateway decodes them.
	headers["Content-Encoding"] = "gzip"
	return httpapi.Response{
		StatusCode: http.StatusOK, Headers: headers,
		Body: base64.StdEncoding.EncodeToString(js.Gzip), IsBase64Encoded: true,
	}, nil
}

// acceptsGzip reads Accept-Encoding, honouring an explicit gzip;q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.TrimSpace(name) != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// matchesETag reports whether an If-None-Match list names either encoding's
// tag: both stand for the same file, so a client holding either is current.
// Weak comparison applies to If-None-Match, so W/ prefixes are ignored.
func matchesETag(header string, tags ...string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" {
			return true
		}
		for _, t := range tags {
			if v == t {
				return true
			}
		}
	}
	return false
}
