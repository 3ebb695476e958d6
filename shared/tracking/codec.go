package tracking

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"unsafe"
)

// MaxQueueBody is the largest queue message body Leadflow writes. SQS allows
// 256 KB; staying under it leaves room for attributes.
const MaxQueueBody = 240 * 1024

// compressAbove is the size from which a batch is gzipped: SQS bills each
// 64 KB of a message as one request, and tracking JSON compresses ~5-10x.
const compressAbove = 60 * 1024

// gzipPrefix marks a base64 gzip body; a JSON body always starts with '{'.
const gzipPrefix = "gz:"

// EncodeBatches turns a batch into one queue body, or several when even the
// compressed form is over MaxQueueBody.
func EncodeBatches(b Batch) ([]string, error) {
	body, err := encodeBatch(b)
	if err != nil {
		return nil, err
	}
	if len(body) <= MaxQueueBody {
		return []string{body}, nil
	}
	if len(b.Messages) < 2 {
		return nil, fmt.Errorf("encode batch: one message is %d bytes in the queue, over %d", len(body), MaxQueueBody)
	}
	half := len(b.Messages) / 2
	first, second := b, b
	first.Messages, second.Messages = b.Messages[:half], b.Messages[half:]
	a, err := EncodeBatches(first)
	if err != nil {
		return nil, err
	}
	c, err := EncodeBatches(second)
	if err != nil {
		return nil, err
	}
	return append(a, c...), nil
}

func encodeBatch(b Batch) (string, error) {
	raw, err := marshalBatch(b)
	if err != nil {
		return "", fmt.Errorf("encode batch: %w", err)
	}
	if len(raw) <= compressAbove {
		// raw is this call's own buffer and is never written again, so
		// the string may share it (what strings.Builder does) rather than
		// copy 20 KB per request.
		return unsafe.String(unsafe.SliceData(raw), len(raw)), nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("compress batch: %w", err)
	}
	return gzipPrefix + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// DecodeBatch reads a queue body written by EncodeBatches.
func DecodeBatch(body string) (Batch, error) {
	var b Batch
	raw := []byte(body)
	if len(body) >= len(gzipPrefix) && body[:len(gzipPrefix)] == gzipPrefix {
		z, err := base64.StdEncoding.DecodeString(body[len(gzipPrefix):])
		if err != nil {
			return b, fmt.Errorf("decode batch base64: %w", err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			return b, fmt.Errorf("decode batch gzip: %w", err)
		}
		if raw, err = io.ReadAll(io.LimitReader(zr, 16*MaxBatchBytes)); err != nil {
			return b, fmt.Errorf("decode batch gzip: %w", err)
		}
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return b, fmt.Errorf("decode batch json: %w", err)
	}
	return b, nil
}
