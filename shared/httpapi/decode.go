package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/shared/jsonenc"
)

// DecodeRequest reads an HTTP API v2 event as the Lambda runtime hands it
// over. It gives exactly what json.Unmarshal gives, reading the event once:
// the tracking body is a 25 KB JSON string full of escaped quotes, which
// the runtime's reflection path (json.Decoder) scans twice and then
// unquotes, about half of ingest's CPU per event before this.
//
// The single pass only answers when it is sure: on anything API Gateway
// does not send (an unknown or repeated key, a null, a number that is not a
// plain integer, a lone surrogate, invalid UTF-8, trailing data) it falls
// back to json.Unmarshal, so the result, and every error, is defined by
// encoding/json alone. FuzzDecodeRequest checks the two agree.
func DecodeRequest(payload []byte) (Request, error) {
	if r, ok := decodeFast(payload); ok {
		return r, nil
	}
	var r Request
	if err := json.Unmarshal(payload, &r); err != nil {
		return Request{}, fmt.Errorf("decode HTTP API event: %w", err)
	}
	return r, nil
}

type eventDecoder struct {
	b []byte
	i int
}

func decodeFast(payload []byte) (r Request, ok bool) {
	if !utf8.Valid(payload) {
		return Request{}, false
	}
	d := &eventDecoder{b: payload}
	var seen uint16
	ok = d.object(func(key []byte) bool {
		var bit uint16
		var ok bool
		switch string(key) {
		case "version":
			bit = 1 << 0
			r.Version, ok = d.str()
		case "routeKey":
			bit = 1 << 1
			r.RouteKey, ok = d.str()
		case "rawPath":
			bit = 1 << 2
			r.RawPath, ok = d.str()
		case "rawQueryString":
			bit = 1 << 3
			r.RawQueryString, ok = d.str()
		case "cookies":
			bit = 1 << 4
			r.Cookies, ok = d.strings()
		case "headers":
			bit = 1 << 5
			r.Headers, ok = d.strMap()
		case "queryStringParameters":
			bit = 1 << 6
			r.QueryStringParameters, ok = d.strMap()
		case "pathParameters":
			bit = 1 << 7
			r.PathParameters, ok = d.strMap()
		case "stageVariables":
			bit = 1 << 8
			r.StageVariables, ok = d.strMap()
		case "body":
			bit = 1 << 9
			r.Body, ok = d.body()
		case "isBase64Encoded":
			bit = 1 << 10
			r.IsBase64Encoded, ok = d.boolean()
		case "requestContext":
			bit = 1 << 11
			ok = d.requestContext(&r)
		default:
			return false
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
	if !ok {
		return Request{}, false
	}
	d.space()
	return r, d.i == len(d.b)
}

func (d *eventDecoder) requestContext(r *Request) bool {
	c := &r.RequestContext
	var seen uint16
	return d.object(func(key []byte) bool {
		var bit uint16
		var ok bool
		switch string(key) {
		case "routeKey":
			bit = 1 << 0
			c.RouteKey, ok = d.str()
		case "accountId":
			bit = 1 << 1
			c.AccountID, ok = d.str()
		case "stage":
			bit = 1 << 2
			c.Stage, ok = d.str()
		case "requestId":
			bit = 1 << 3
			c.RequestID, ok = d.str()
		case "apiId":
			bit = 1 << 4
			c.APIID, ok = d.str()
		case "domainName":
			bit = 1 << 5
			c.DomainName, ok = d.str()
		case "domainPrefix":
			bit = 1 << 6
			c.DomainPrefix, ok = d.str()
		case "time":
			bit = 1 << 7
			c.Time, ok = d.str()
		case "timeEpoch":
			bit = 1 << 8
			c.TimeEpoch, ok = d.integer()
		case "http":
			bit = 1 << 9
			ok = d.httpDescription(r)
		case "authentication":
			bit = 1 << 10
			ok = d.authentication(&c.Authentication)
		default:
			return false // authorizer: the reflection path
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

func (d *eventDecoder) httpDescription(r *Request) bool {
	h := &r.RequestContext.HTTP
	var seen uint8
	return d.object(func(key []byte) bool {
		var bit uint8
		var ok bool
		switch string(key) {
		case "method":
			bit = 1 << 0
			h.Method, ok = d.str()
		case "path":
			bit = 1 << 1
			h.Path, ok = d.str()
		case "protocol":
			bit = 1 << 2
			h.Protocol, ok = d.str()
		case "sourceIp":
			bit = 1 << 3
			h.SourceIP, ok = d.str()
		case "userAgent":
			bit = 1 << 4
			h.UserAgent, ok = d.str()
		default:
			return false
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

// authentication reads the mTLS client certificate (the runtime's own
// encoding of an event writes it empty even without mTLS).
func (d *eventDecoder) authentication(a *events.APIGatewayV2HTTPRequestContextAuthentication) bool {
	var seen uint8
	return d.object(func(key []byte) bool {
		if string(key) != "clientCert" || seen != 0 {
			return false
		}
		seen = 1
		c := &a.ClientCert
		var cs uint8
		return d.object(func(key []byte) bool {
			var bit uint8
			var ok bool
			switch string(key) {
			case "clientCertPem":
				bit = 1 << 0
				c.ClientCertPem, ok = d.str()
			case "issuerDN":
				bit = 1 << 1
				c.IssuerDN, ok = d.str()
			case "serialNumber":
				bit = 1 << 2
				c.SerialNumber, ok = d.str()
			case "subjectDN":
				bit = 1 << 3
				c.SubjectDN, ok = d.str()
			case "validity":
				bit = 1 << 4
				var vs uint8
				ok = d.object(func(key []byte) bool {
					var vbit uint8
					var ok bool
					switch string(key) {
					case "notAfter":
						vbit = 1
						c.Validity.NotAfter, ok = d.str()
					case "notBefore":
						vbit = 2
						c.Validity.NotBefore, ok = d.str()
					}
					if !ok || vs&vbit != 0 {
						return false
					}
					vs |= vbit
					return true
				})
			}
			if !ok || cs&bit != 0 {
				return false
			}
			cs |= bit
			return true
		})
	})
}

func (d *eventDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// at skips white space and reports whether the next byte is c, consuming it.
func (d *eventDecoder) at(c byte) bool {
	d.space()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// object reads {"key": value, ...}, calling field for each key with the
// decoder at its value; field reads the value.
func (d *eventDecoder) object(field func(key []byte) bool) bool {
	if !d.at('{') {
		return false
	}
	if d.at('}') {
		return true
	}
	var scratch [32]byte
	for {
		d.space()
		key, ok := d.appendStr(scratch[:0])
		if !ok || !d.at(':') {
			return false
		}
		d.space()
		if !field(key) {
			return false
		}
		if d.at(',') {
			continue
		}
		return d.at('}')
	}
}

// str reads a JSON string. One that needs no unescaping is copied once;
// one with escapes (the body) is unquoted into a buffer sized to its raw
// length, which the string then shares.
func (d *eventDecoder) str() (string, bool) {
	d.space()
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return "", false
	}
	rest := d.b[d.i+1:]
	q := bytes.IndexByte(rest, '"')
	if q >= 0 && bytes.IndexByte(rest[:q], '\\') < 0 {
		for _, c := range rest[:q] {
			if c < 0x20 {
				return "", false
			}
		}
		d.i += q + 2
		return string(rest[:q]), true
	}
	return d.unquote(rawLen(rest))
}

// body reads the body string. API Gateway writes it last but for
// isBase64Encoded, so the rest of the payload bounds its unquoted length as
// well as rawLen would, without a scan of 25 KB to find its end.
func (d *eventDecoder) body() (string, bool) {
	d.space()
	return d.unquote(len(d.b) - d.i)
}

// unquote reads the string at d.i into a buffer of capacity n (at least its
// unquoted length) that the string then shares.
func (d *eventDecoder) unquote(n int) (string, bool) {
	b, ok := d.appendStr(make([]byte, 0, n))
	if !ok || len(b) == 0 {
		return "", ok
	}
	// b is this call's own buffer and is never written again, so the
	// string may share it (what strings.Builder does).
	return unsafe.String(&b[0], len(b)), true
}

// rawLen is the length of a string's raw form up to its closing quote (or
// all of b): an upper bound of its unquoted length. A byte loop: in the
// tracking body every few bytes are an escaped quote, too short a run for
// bytes.IndexByte's set-up to pay.
func rawLen(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(b)
}

func (d *eventDecoder) strings() ([]string, bool) {
	if !d.at('[') {
		return nil, false
	}
	out := []string{}
	if d.at(']') {
		return out, true
	}
	for {
		s, ok := d.str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		if d.at(',') {
			continue
		}
		return out, d.at(']')
	}
}

func (d *eventDecoder) strMap() (map[string]string, bool) {
	m := map[string]string{}
	ok := d.object(func(key []byte) bool {
		v, ok := d.str()
		m[string(key)] = v // a repeated key: the last wins, as in encoding/json
		return ok
	})
	return m, ok
}

func (d *eventDecoder) boolean() (bool, bool) {
	d.space()
	switch {
	case bytes.HasPrefix(d.b[d.i:], []byte("true")):
		d.i += 4
		return true, true
	case bytes.HasPrefix(d.b[d.i:], []byte("false")):
		d.i += 5
		return false, true
	}
	return false, false
}

// integer reads an optionally negative run of digits with no leading zero
// (JSON's integers); anything else goes to encoding/json.
func (d *eventDecoder) integer() (int64, bool) {
	d.space()
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	n := d.i - digits
	if n == 0 || (n > 1 && d.b[digits] == '0') {
		return 0, false
	}
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(d.b[start:d.i]), 10, 64)
	return v, err == nil
}

// appendStr reads a JSON string and appends its value to dst. The payload is
// valid UTF-8 (checked once), so only escapes need work; a control byte or
// a lone surrogate declines (encoding/json rejects the one and replaces
// the other).
func (d *eventDecoder) appendStr(dst []byte) ([]byte, bool) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, false
	}
	d.i++
	for {
		// Copy the run up to the next quote, backslash or control byte.
		// A byte loop over a table: the tracking body's runs between
		// escaped quotes are a few bytes long, and two bytes.IndexByte
		// calls a run cost more than they save.
		b, start, i := d.b, d.i, d.i
		for i < len(b) && !strSpecial[b[i]] {
			i++
		}
		d.i = i
		dst = append(dst, b[start:i]...)
		if d.i >= len(d.b) || d.b[d.i] < 0x20 {
			return nil, false
		}
		if d.b[d.i] == '"' {
			d.i++
			return dst, true
		}
		// An escape.
		if d.i+1 >= len(d.b) {
			return nil, false
		}
		c := d.b[d.i+1]
		d.i += 2
		switch c {
		case '"', '\\', '/':
			dst = append(dst, c)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return nil, false
			}
			if utf16.IsSurrogate(r) {
				if d.i+1 >= len(d.b) || d.b[d.i] != '\\' || d.b[d.i+1] != 'u' {
					return nil, false
				}
				d.i += 2
				r2, ok := d.hex4()
				if !ok {
					return nil, false
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return nil, false
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return nil, false
		}
	}
}

// strSpecial marks the bytes that end a run of a JSON string's plain
// bytes: the closing quote, an escape, and the control bytes JSON forbids.
var strSpecial = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

func (d *eventDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}

// EncodeResponse writes a response as the Lambda runtime would (JSON),
// byte for byte as json.Marshal does. The usual response (no multi-value
// headers, no cookies) is written without reflection: it is on every
// request's path.
func EncodeResponse(r Response) ([]byte, error) {
	if r.MultiValueHeaders == nil && r.Cookies == nil {
		return appendResponse(make([]byte, 0, 96+len(r.Body)+64*len(r.Headers)), &r), nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode HTTP API response: %w", err)
	}
	return b, nil
}

// appendResponse writes r, with nil MultiValueHeaders and Cookies, as
// json.Marshal does: fields in the struct's order, map keys sorted.
func appendResponse(dst []byte, r *Response) []byte {
	dst = append(dst, `{"statusCode":`...)
	dst = strconv.AppendInt(dst, int64(r.StatusCode), 10)
	dst = append(dst, `,"headers":`...)
	if r.Headers == nil {
		dst = append(dst, "null"...)
	} else {
		var buf [8]string
		keys := buf[:0]
		for k := range r.Headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonenc.AppendString(dst, k)
			dst = append(dst, ':')
			dst = jsonenc.AppendString(dst, r.Headers[k])
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"multiValueHeaders":null,"body":`...)
	dst = jsonenc.AppendString(dst, r.Body)
	if r.IsBase64Encoded {
		dst = append(dst, `,"isBase64Encoded":true`...)
	}
	return append(dst, `,"cookies":null}`...)
}
