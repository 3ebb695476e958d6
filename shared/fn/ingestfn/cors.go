package ingestfn

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/leadflow/leadflow/shared/httpapi"
)

// Limits on the header names a tracking preflight may ask for. Real clients
// ask for a handful (RudderStack's retries: nine); the bounds only keep an
// echoed answer from growing without limit.
const (
	maxPreflightHeaders    = 32
	maxPreflightHeaderName = 64
	maxPreflightHeaderList = 1024
)

// baseAllowHeaders are always allowed: what the snippet and Segment's
// libraries send on a first attempt.
const baseAllowHeaders = "Content-Type, Authorization, X-Site-Key"

// trackingPreflight answers a CORS preflight of a tracking route.
//
// The preflight carries no write key (the key is in the body or in an
// Authorization header the browser leaves out of the preflight), so the
// origin cannot be checked against a site here: the POST that follows is,
// and an origin its site does not allow gets a 403 and no CORS grant.
//
// Clients add headers of their own, and more on retries: analytics.js 2.0
// X-Retry-Count, RudderStack AnonymousId, SentAt and Rsa-* headers. A fixed
// list refuses a client's retries (and so its events) as soon as it adds one,
// so the requested names are allowed as asked, when they are plain header
// names within the limits above: the POST's own checks (key, origin, body)
// are what protect the API, not the names of headers the API ignores.
func trackingPreflight(origin, requested string) httpapi.Response {
	// The answer depends on both: a cache must not reuse it for another.
	headers := map[string]string{"Vary": "Origin, Access-Control-Request-Headers"}
	if origin == "" {
		return httpapi.Response{StatusCode: http.StatusNoContent, Headers: headers}
	}
	names, err := requestedHeaders(requested)
	if err != nil {
		// No grant: the browser refuses the request, and a person reading
		// the preflight with curl learns why.
		return httpapi.Fail(http.StatusBadRequest, "invalid_preflight", err.Error(), headers)
	}
	allow := baseAllowHeaders
	if len(names) > 0 {
		allow += ", " + strings.Join(names, ", ")
	}
	headers["Access-Control-Allow-Origin"] = origin
	headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
	headers["Access-Control-Allow-Headers"] = allow
	headers["Access-Control-Max-Age"] = "86400"
	return httpapi.Response{StatusCode: http.StatusNoContent, Headers: headers}
}

// requestedHeaders reads Access-Control-Request-Headers: a comma-separated
// list of header names (browsers send them lower-cased). Each must be an
// HTTP token (RFC 9110) of at most maxPreflightHeaderName characters; the
// names are returned lower-cased, without duplicates or the base ones.
func requestedHeaders(list string) ([]string, error) {
	if len(list) > maxPreflightHeaderList {
		return nil, fmt.Errorf("Access-Control-Request-Headers is %d characters; the limit is %d", len(list), maxPreflightHeaderList)
	}
	base := strings.ToLower(baseAllowHeaders)
	var names []string
	seen := map[string]bool{}
	for _, part := range strings.Split(list, ",") {
		name := strings.ToLower(strings.TrimSpace(part))
		if name == "" {
			continue
		}
		if len(name) > maxPreflightHeaderName || !isToken(name) {
			return nil, fmt.Errorf("Access-Control-Request-Headers: %q is not a header name of at most %d letters, digits and -_.", clip(name), maxPreflightHeaderName)
		}
		if seen[name] || strings.Contains(", "+base+",", ", "+name+",") {
			continue
		}
		seen[name] = true
		names = append(names, name)
		if len(names) > maxPreflightHeaders {
			return nil, fmt.Errorf("Access-Control-Request-Headers names more than %d headers", maxPreflightHeaders)
		}
	}
	return names, nil
}

// isToken reports whether s is made of header-name characters. The RFC's
// token also allows !#$%&'*+^`|~; no client's header uses them, so a
// narrower set is kept.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return s != ""
}
