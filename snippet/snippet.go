// Package snippet holds the website tracking snippet (leadflow.js), served
// by the ingest function at GET /v1/sdk.js, and the local demo pages that
// use it. The file is hand-written and shipped as is: no build step, so
// what is reviewed is what browsers run.
package snippet

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

//go:embed leadflow.js
var source []byte

//go:embed demo/*.html
var demo embed.FS

// Asset is the snippet in the two encodings it is served in. The site key
// is in the page's script tag, not in the file, so one file (and one cache
// entry at every CDN and browser) serves every site.
type Asset struct {
	Raw  []byte
	Gzip []byte
	// ETag and GzipETag are strong validators, one per representation as
	// HTTP requires for different content encodings.
	ETag, GzipETag string
}

// JS returns the snippet. It is computed once, on first use, rather than at
// init: functions that never serve it (most requests are batches) pay nothing.
var JS = sync.OnceValue(func() Asset {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid, so no error
	zw.Write(source)
	zw.Close()
	sum := sha256.Sum256(source)
	tag := hex.EncodeToString(sum[:12])
	return Asset{Raw: source, Gzip: buf.Bytes(), ETag: `"` + tag + `"`, GzipETag: `"` + tag + `-gz"`}
})

// Demo returns the demo pages (index.html, pricing.html): html/template
// sources that expect .API (the API base URL), .SiteKey and
// .RequireConsent.
func Demo() fs.FS {
	sub, err := fs.Sub(demo, "demo")
	if err != nil {
		panic(err) // "demo" is a literal embedded directory
	}
	return sub
}
