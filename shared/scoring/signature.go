package scoring

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook signatures follow Stripe's scheme, which receivers already know
// how to check:
//
//	Leadflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// The timestamp is inside the MAC, so a captured request cannot be replayed
// later with a fresh t; a receiver rejects a t outside its tolerance. Several
// v1 entries may appear (a sender rotating secrets signs with both), and
// unknown schemes are ignored so a v2 can be added without breaking anyone.
// This belongs in a webhook package once a second event type is sent; it is
// here while lead.qualified is the only one.
const SignatureHeader = "Leadflow-Signature"

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock, both ways.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify; errors.Is tells a receiver which check failed.
var (
	ErrSignatureFormat    = errors.New("malformed signature header")
	ErrSignatureMismatch  = errors.New("no signature matches the body")
	ErrSignatureTimestamp = errors.New("signature timestamp outside the tolerance")
)

// Sign returns the header value for body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := t.Unix()
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(strconv.AppendInt(nil, ts, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a signature header against the body and the receiver's
// clock. The MAC is checked first and in constant time; then the timestamp
// must lie within tolerance of now (0 means DefaultTolerance).
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return errors.New("verify webhook signature: empty secret")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var (
		ts    int64
		haveT bool
		sigs  [][]byte
	)
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: %q is not key=value", ErrSignatureFormat, part)
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || haveT {
				return fmt.Errorf("%w: one t=<unix seconds> expected", ErrSignatureFormat)
			}
			ts, haveT = n, true
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil {
				return fmt.Errorf("%w: v1 is not hex", ErrSignatureFormat)
			}
			sigs = append(sigs, sig)
		}
	}
	if !haveT || len(sigs) == 0 {
		return fmt.Errorf("%w: needs t and v1", ErrSignatureFormat)
	}
	want := mac(secret, ts, body)
	matched := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			matched = true
		}
	}
	if !matched {
		return ErrSignatureMismatch
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %s from now, tolerance %s", ErrSignatureTimestamp, d.Round(time.Second), tolerance)
	}
	return nil
}
