package tracking

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/shared/jsonenc"
)

// appendBatch writes b as json.Marshal does, byte for byte, without
// reflection: the ingest function encodes every request it accepts, and
// json.Marshal was a quarter of its time. ok is false for what it does not
// write (Leadflow's internal instructions, values other than what a JSON
// decoder yields, times json.Marshal refuses): callers use json.Marshal
// then. FuzzDecodeBatch and FuzzParse check the bytes against json.Marshal.
func appendBatch(dst []byte, b Batch) ([]byte, bool) {
	dst = append(dst, `{"requestId":`...)
	dst = appendJSONString(dst, b.RequestID)
	dst = append(dst, `,"siteKey":`...)
	dst = appendJSONString(dst, b.SiteKey)
	dst = append(dst, `,"receivedAt":`...)
	var ok bool
	if dst, ok = appendTime(dst, b.ReceivedAt); !ok {
		return nil, false
	}
	dst = append(dst, `,"messages":`...)
	if b.Messages == nil {
		return append(dst, "null}"...), true
	}
	dst = append(dst, '[')
	for i := range b.Messages {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, ok = appendMessage(dst, &b.Messages[i]); !ok {
			return nil, false
		}
	}
	return append(dst, "]}"...), true
}

func appendMessage(dst []byte, m *Message) ([]byte, bool) {
	if m.Context.Leadflow != nil {
		return nil, false
	}
	dst = append(dst, `{"type":`...)
	dst = appendJSONString(dst, m.Type)
	dst = append(dst, `,"messageId":`...)
	dst = appendJSONString(dst, m.MessageID)
	dst = appendField(dst, "anonymousId", m.AnonymousID)
	dst = appendField(dst, "userId", m.UserID)
	dst = appendField(dst, "event", m.Event)
	dst = appendField(dst, "name", m.Name)
	dst = appendField(dst, "category", m.Category)
	dst = appendField(dst, "groupId", m.GroupID)
	dst = appendField(dst, "previousId", m.PreviousID)
	var ok bool
	if len(m.Properties) > 0 {
		dst = append(dst, `,"properties":`...)
		if dst, ok = appendAny(dst, m.Properties); !ok {
			return nil, false
		}
	}
	if len(m.Traits) > 0 {
		dst = append(dst, `,"traits":`...)
		if dst, ok = appendAny(dst, m.Traits); !ok {
			return nil, false
		}
	}
	dst = append(dst, `,"context":`...)
	if dst, ok = appendContext(dst, &m.Context); !ok {
		return nil, false
	}
	dst = append(dst, `,"timestamp":`...)
	if dst, ok = appendTime(dst, m.Timestamp); !ok {
		return nil, false
	}
	if m.OriginalTimestamp != nil {
		dst = append(dst, `,"originalTimestamp":`...)
		if dst, ok = appendTime(dst, *m.OriginalTimestamp); !ok {
			return nil, false
		}
	}
	if m.SentAt != nil {
		dst = append(dst, `,"sentAt":`...)
		if dst, ok = appendTime(dst, *m.SentAt); !ok {
			return nil, false
		}
	}
	dst = append(dst, `,"receivedAt":`...)
	if dst, ok = appendTime(dst, m.ReceivedAt); !ok {
		return nil, false
	}
	dst = appendField(dst, "contactId", m.ContactID)
	if m.Verified {
		dst = append(dst, `,"verified":true`...)
	}
	return append(dst, '}'), true
}

func appendContext(dst []byte, c *Context) ([]byte, bool) {
	n := len(dst)
	dst = append(dst, '{')
	if p := c.Page; p != nil {
		dst = append(dst, `,"page":{`...)
		k := len(dst)
		dst = appendField(dst, "url", p.URL)
		dst = appendField(dst, "title", p.Title)
		dst = appendField(dst, "referrer", p.Referrer)
		dst = appendField(dst, "path", p.Path)
		dst = appendField(dst, "search", p.Search)
		dst = closeObject(dst, k)
	}
	if p := c.Campaign; p != nil {
		dst = append(dst, `,"campaign":{`...)
		k := len(dst)
		dst = appendField(dst, "source", p.Source)
		dst = appendField(dst, "medium", p.Medium)
		dst = appendField(dst, "name", p.Name)
		dst = appendField(dst, "term", p.Term)
		dst = appendField(dst, "content", p.Content)
		dst = closeObject(dst, k)
	}
	dst = appendField(dst, "userAgent", c.UserAgent)
	dst = appendField(dst, "ip", c.IP)
	dst = appendField(dst, "locale", c.Locale)
	dst = appendField(dst, "timezone", c.Timezone)
	var ok bool
	if len(c.Traits) > 0 {
		dst = append(dst, `,"traits":`...)
		if dst, ok = appendAny(dst, c.Traits); !ok {
			return nil, false
		}
	}
	if p := c.Library; p != nil {
		dst = append(dst, `,"library":{`...)
		k := len(dst)
		dst = appendField(dst, "name", p.Name)
		dst = appendField(dst, "version", p.Version)
		dst = closeObject(dst, k)
	}
	if p := c.Location; p != nil {
		dst = append(dst, `,"location":{`...)
		k := len(dst)
		dst = appendField(dst, "country", p.Country)
		dst = appendField(dst, "region", p.Region)
		dst = appendField(dst, "city", p.City)
		dst = closeObject(dst, k)
	}
	if len(c.Extra) > 0 {
		dst = append(dst, `,"extra":`...)
		if dst, ok = appendAny(dst, c.Extra); !ok {
			return nil, false
		}
	}
	return closeObject(dst, n+1), true
}

// closeObject ends an object whose members were each written with a
// leading comma from k on: the first comma goes.
func closeObject(dst []byte, k int) []byte {
	if len(dst) > k && dst[k] == ',' {
		dst = append(dst[:k], dst[k+1:]...)
	}
	return append(dst, '}')
}

// appendField writes ,"name":"v" for a non-empty v (omitempty).
func appendField(dst []byte, name, v string) []byte {
	if v == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendJSONString(dst, v)
}

// appendTime writes t as time.Time's MarshalJSON does, for the times it
// accepts.
func appendTime(dst []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, false
	}
	if _, off := t.Zone(); off != 0 {
		return nil, false
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), true
}

// appendAny writes what a JSON decoder yields into an interface.
func appendAny(dst []byte, v any) ([]byte, bool) {
	var ok bool
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case string:
		return appendJSONString(dst, x), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case float64:
		return appendFloat(dst, x)
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), true
		}
		// On the stack for the usual few keys: a message has two or three
		// maps, and their key lists were a tenth of ingest's allocations.
		var buf [16]string
		keys := buf[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			if dst, ok = appendAny(dst, x[k]); !ok {
				return nil, false
			}
		}
		return append(dst, '}'), true
	case []any:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, ok = appendAny(dst, e); !ok {
				return nil, false
			}
		}
		return append(dst, ']'), true
	}
	return nil, false
}

// appendFloat is encoding/json's float64 encoding.
func appendFloat(dst []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}

// appendJSONString is encoding/json's string encoding with HTML escaping.
func appendJSONString(dst []byte, s string) []byte { return jsonenc.AppendString(dst, s) }

// marshalBatch is json.Marshal(b), by appendBatch where it can.
func marshalBatch(b Batch) ([]byte, error) {
	if out, ok := appendBatch(make([]byte, 0, 1200*len(b.Messages)+128), b); ok {
		return out, nil
	}
	return json.Marshal(b)
}
