package catalog

import "strings"

// The console's security headers, one list for both places that serve it:
// the CloudFront response headers policy (infra) and the local runner.

// ConsoleCSP is the console's Content-Security-Policy. The app is the
// built files of its own origin: scripts and styles only from there,
// nothing inline and no eval; it calls the API on its own origin (/v1/*)
// and the connect origins: Cognito (https://cognito-idp.<region>.amazonaws.com,
// or the local server) and the files bucket, where the browser PUTs an
// import's CSV to a presigned URL (the file never passes the API). It may
// not be framed. secure adds upgrade-insecure-requests, for HTTPS
// deployments only (locally the console is plain HTTP on localhost).
func ConsoleCSP(secure bool, connect ...string) string {
	src := "connect-src 'self'"
	for _, o := range connect {
		if o != "" {
			src += " " + o
		}
	}
	d := []string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"font-src 'self'",
		src,
		"manifest-src 'self'",
		// The template preview is an iframe with srcdoc and an empty
		// sandbox: it inherits this policy, so the mail's scripts and
		// inline styles never run in the console.
		"frame-src 'self'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
		"object-src 'none'",
	}
	if secure {
		d = append(d, "upgrade-insecure-requests")
	}
	return strings.Join(d, "; ")
}

// ConsoleHeaders are the other security headers of every console response
// (Strict-Transport-Security is added where the console is HTTPS).
func ConsoleHeaders() map[string]string {
	return map[string]string{
		"X-Content-Type-Options":       "nosniff",
		"X-Frame-Options":              "DENY",
		"Referrer-Policy":              "strict-origin-when-cross-origin",
		"Permissions-Policy":           "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
	}
}
