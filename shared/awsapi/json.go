package awsapi

import (
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"
)

// Obj writes one JSON object field by field, omitting unset fields as the
// SDK's serializers do (nil pointers, nil maps and slices, empty enums).
// Requests are written by hand rather than with encoding/json: they are on
// every event's path, and the wire names and omissions are exact this way.
type Obj struct {
	B    []byte
	more bool
}

// Begin starts an object in b.
func Begin(b []byte) Obj { return Obj{B: append(b, '{')} }

// End closes the object and returns the bytes.
func (o *Obj) End() []byte { return append(o.B, '}') }

// Key writes a field name (and the comma before it).
func (o *Obj) Key(name string) {
	if o.more {
		o.B = append(o.B, ',')
	}
	o.more = true
	o.B = AppendString(o.B, name)
	o.B = append(o.B, ':')
}

// Str writes a string field if v is not nil.
func (o *Obj) Str(name string, v *string) {
	if v != nil {
		o.Key(name)
		o.B = AppendString(o.B, *v)
	}
}

// Enum writes a string field if v is not empty.
func (o *Obj) Enum(name, v string) {
	if v != "" {
		o.Key(name)
		o.B = AppendString(o.B, v)
	}
}

// Bool writes a boolean field if v is not nil.
func (o *Obj) Bool(name string, v *bool) {
	if v != nil {
		o.Key(name)
		o.B = strconv.AppendBool(o.B, *v)
	}
}

// Int32 writes a number field if v is not nil.
func (o *Obj) Int32(name string, v *int32) {
	if v != nil {
		o.Key(name)
		o.B = strconv.AppendInt(o.B, int64(*v), 10)
	}
}

// Int writes a number field always (the SDK's non-pointer integers).
func (o *Obj) Int(name string, v int64) {
	o.Key(name)
	o.B = strconv.AppendInt(o.B, v, 10)
}

// Time writes a timestamp as epoch seconds with milliseconds, the JSON
// protocols' default format, if v is not nil.
func (o *Obj) Time(name string, v *time.Time) {
	if v != nil {
		o.Key(name)
		ms := v.UnixMilli()
		o.B = strconv.AppendFloat(o.B, float64(ms)/1000, 'f', -1, 64)
	}
}

// Strings writes a list of strings if v is not nil.
func (o *Obj) Strings(name string, v []string) {
	if v != nil {
		o.Key(name)
		o.B = AppendStrings(o.B, v)
	}
}

// StringMap writes a map of strings if v is not nil.
func (o *Obj) StringMap(name string, v map[string]string) {
	if v != nil {
		o.Key(name)
		o.B = append(o.B, '{')
		first := true
		for k, s := range v {
			if !first {
				o.B = append(o.B, ',')
			}
			first = false
			o.B = AppendString(o.B, k)
			o.B = append(o.B, ':')
			o.B = AppendString(o.B, s)
		}
		o.B = append(o.B, '}')
	}
}

// AppendStrings writes a JSON array of strings.
func AppendStrings(b []byte, v []string) []byte {
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, s)
	}
	return append(b, ']')
}

// AppendBase64 writes bytes as a base64 JSON string (the blob encoding).
func AppendBase64(b, v []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// AppendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD (as encoding/json
// does; AWS would refuse it).
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
