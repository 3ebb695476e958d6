package ingestfn

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/leadflow/leadflow/shared/tracking"
)

// errUnsupportedEncoding is a Content-Encoding other than gzip or identity.
var errUnsupportedEncoding = errors.New("unsupported Content-Encoding")

// decodeContent undoes a request's Content-Encoding. Server libraries
// compress by default (RudderStack's Node SDK gzips every batch), as the
// Segment HTTP API allows. At most one byte over the batch limit is
// inflated, so a small bomb cannot take memory: a longer body is refused by
// the parser's size check like any other oversized batch.
func decodeContent(encoding string, body []byte) ([]byte, error) {
	if isIdentity(encoding) {
		return body, nil
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("Content-Encoding gzip: the body is not gzip data: %v", err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, tracking.MaxBatchBytes+1))
		if err != nil {
			return nil, fmt.Errorf("Content-Encoding gzip: the body does not inflate: %v", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w %q: send the body as is or gzip-compressed", errUnsupportedEncoding, clip(encoding))
}

// isIdentity reports whether a Content-Encoding leaves the body as is.
func isIdentity(encoding string) bool {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "identity":
		return true
	}
	return false
}
