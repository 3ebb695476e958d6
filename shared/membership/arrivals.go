package membership

import (
	"context"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"time"
)

// Arrivals is the log of contacts first seen anonymous. The contacts
// index holds only identified contacts (an index write per anonymous
// visitor would cost as much as its profile), so a rebuild would never
// visit a visitor who has not identified. The processor's reactor instead
// collects the anonymous contacts its invocation created and writes them
// in one item per invocation (Flush), and a rebuild's shard chain reads
// its shard's items after the contacts index.
type Arrivals interface {
	// LogArrivals writes one item of contact ids in a shard (any shard:
	// the rebuild reads them all).
	LogArrivals(ctx context.Context, shard int, ids []string, at time.Time) error
	// ArrivalsPage reads a shard's ids, oldest first, by page; "" starts,
	// and a "" next cursor means done.
	ArrivalsPage(ctx context.Context, shard int, cursor string, limit int) ([]string, string, error)
}

// ArrivalsPerItem bounds the ids of one log item so that it stays one
// write unit: 56 canonical ids pack into 952 bytes, and the keys and the
// attribute name take about 55 (a write unit is 1,024 bytes).
const ArrivalsPerItem = 56

// idEncoding is contact.NewID's: "c_" and 26 characters of 16 bytes.
var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// PackIDs packs contact ids for the log: a canonical id ("c_" + 26 base32
// characters) as a 0 byte and its 16 bytes, any other as its length
// (uvarint, never 0) and its bytes.
func PackIDs(ids []string) []byte {
	out := make([]byte, 0, 17*len(ids))
	for _, id := range ids {
		if raw, ok := canonical(id); ok {
			out = append(out, 0)
			out = append(out, raw...)
			continue
		}
		out = binary.AppendUvarint(out, uint64(len(id)))
		out = append(out, id...)
	}
	return out
}

func canonical(id string) ([]byte, bool) {
	if len(id) != 28 || id[:2] != "c_" {
		return nil, false
	}
	raw, err := idEncoding.DecodeString(id[2:])
	if err != nil || len(raw) != 16 || idEncoding.EncodeToString(raw) != id[2:] {
		return nil, false
	}
	return raw, true
}

// errPacked is returned for bytes PackIDs did not make.
var errPacked = errors.New("malformed packed contact ids")

// UnpackIDs reverses PackIDs.
func UnpackIDs(b []byte) ([]string, error) {
	var ids []string
	for len(b) > 0 {
		if b[0] == 0 {
			if len(b) < 17 {
				return nil, errPacked
			}
			ids = append(ids, "c_"+idEncoding.EncodeToString(b[1:17]))
			b = b[17:]
			continue
		}
		n, k := binary.Uvarint(b)
		if k <= 0 || n == 0 || uint64(len(b)-k) < n {
			return nil, errPacked
		}
		ids = append(ids, string(b[k:k+int(n)]))
		b = b[k+int(n):]
	}
	return ids, nil
}
