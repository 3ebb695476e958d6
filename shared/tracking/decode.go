package tracking

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/leadflow/leadflow/shared/timezone"
)

// The single-pass decoder. It reads a request's bytes once, left to right,
// checking them as JSON (grammar, nesting, half surrogate pairs) while it
// decodes each message's fields straight into a Message: no json.Valid
// before, no json.RawMessage copies, no reflection, and strings that need no
// unescaping are slices of one copy of the body.
//
// It only answers when it is sure parseExact would answer the same: on any
// invalid input, and on JSON that encoding/json reads in ways not worth
// copying (keys differing from a field's name only in case, which
// encoding/json matches to the field; a field given twice; numbers out of
// float64's range; oversized messages), it declines and Parse falls back to
// parseExact, which then gives the one error message both agree on.

// fastDecoder walks one request body.
type fastDecoder struct {
	s     string
	i     int
	depth int
	// The last time zone normalised: every message of a browser's batch
	// carries the same one, and checking an IANA name loads its zone data.
	tzIn, tzOut string
	tzDone      bool
	zones       *timezone.Cache
	// The last IP address truncated: most messages of a request carry the
	// request's own.
	ipIn, ipOut string
	ipDone      bool
}

// fastMessage is a message as read, before the steps that need the whole
// batch (its context and sentAt may follow the messages).
type fastMessage struct {
	m              Message
	raw            string
	writeKey       string
	hasContext     bool
	ts, orig, sent *time.Time
	hash           string
	ids            [8]string
	props, traits  map[string]any
}

func parseFast(r Request) (Parsed, bool) {
	text := r.BodyText
	if text == "" {
		if len(r.Body) == 0 || len(r.Body) > MaxBatchBytes || !utf8.Valid(r.Body) {
			return Parsed{}, false
		}
		text = string(r.Body)
	} else if len(text) > MaxBatchBytes || !utf8.ValidString(text) {
		return Parsed{}, false
	}
	body := strings.TrimSpace(text)
	if len(body) == 0 || body[0] != '{' {
		return Parsed{}, false
	}
	d := &fastDecoder{s: body, zones: r.Zones}
	received := r.ReceivedAt.UTC()
	sp := scratch.Get().(*[]fastMessage)
	msgs := (*sp)[:0]
	defer func() {
		clear(msgs) // drop the references to this request's strings and maps
		if cap(msgs) <= maxScratch {
			*sp = msgs[:0]
			scratch.Put(sp)
		}
	}()
	var writeKey string
	var batchSentAt *time.Time
	var batchCtx string // the batch's context value, as sent ("" if none)
	if r.Type == "" {
		var seen uint8
		const fBatch, fWriteKey, fSentAt, fContext = 1, 2, 4, 8
		ok := d.object(func(key string) bool {
			var bit uint8
			switch key {
			case "batch":
				bit = fBatch
				if !d.at('[') {
					return false
				}
				msgs = msgs[:0]
				ok := d.array(func() bool {
					if len(msgs) == MaxBatchLen {
						return false
					}
					msgs = append(msgs, fastMessage{})
					return d.message(&msgs[len(msgs)-1])
				})
				if !ok || len(msgs) == 0 {
					return false
				}
			case "writeKey":
				bit = fWriteKey
				s, isNull, ok := d.stringOrNull()
				if !ok {
					return false
				}
				if !isNull {
					writeKey = s
				}
			case "sentAt":
				bit = fSentAt
				t, ok := d.time()
				if !ok {
					return false
				}
				batchSentAt = t
			case "context":
				bit = fContext
				start := d.i
				if !d.skip() {
					return false
				}
				batchCtx = d.s[start:d.i]
			default:
				if foldsTo(key, "batch", "writeKey", "sentAt", "context") {
					return false
				}
				return d.skip()
			}
			if seen&bit != 0 {
				return false
			}
			seen |= bit
			return true
		})
		if !ok || seen&fBatch == 0 {
			return Parsed{}, false
		}
	} else {
		msgs = append(msgs[:0], fastMessage{})
		if !d.message(&msgs[0]) {
			return Parsed{}, false
		}
	}
	if d.ws(); d.i != len(d.s) {
		return Parsed{}, false
	}

	out := Parsed{WriteKey: writeKey, Messages: make([]Message, len(msgs))}
	for i := range msgs {
		fm := &msgs[i]
		if !d.finish(fm, r, received, batchSentAt, batchCtx) {
			return Parsed{}, false
		}
		if out.WriteKey == "" {
			out.WriteKey = fm.writeKey
		}
		out.Messages[i] = fm.m
	}
	return out, true
}

// scratch holds the messages of a request as read (about 600 B each, 20 KB
// for a browser's batch, which was a fifth of the bytes ingest allocated
// per request). Each is copied out of before parseFast returns and cleared
// before it goes back, so nothing of one request is seen by, or kept alive
// for, the next.
var scratch = sync.Pool{New: func() any {
	s := make([]fastMessage, 0, 32)
	return &s
}}

// maxScratch bounds what the pool keeps: a 2,500-message import is not
// worth 1.5 MB held for the next.
const maxScratch = 256

// messageFields are wireMessage's fields; a key that differs from one only
// in case is declined (encoding/json would match it to the field).
var messageFields = [...]string{"type", "messageId", "anonymousId", "userId", "event", "name", "category", "groupId",
	"previousId", "properties", "traits", "context", "timestamp", "originalTimestamp", "sentAt", "integrations", "writeKey"}

// message reads one message object at d.i.
func (d *fastDecoder) message(fm *fastMessage) bool {
	if !d.at('{') {
		return false
	}
	start := d.i
	var seen uint32
	ok := d.object(func(key string) bool {
		f := -1
		for i, name := range messageFields {
			if key == name {
				f = i
				break
			}
		}
		if f < 0 {
			if foldsTo(key, messageFields[:]...) {
				return false
			}
			return d.skip()
		}
		if seen&(1<<f) != 0 {
			return false
		}
		seen |= 1 << f
		switch key {
		case "type":
			s, isNull, ok := d.stringOrNull()
			if !isNull {
				fm.m.Type = s
			}
			return ok
		case "messageId", "anonymousId", "userId", "event", "name", "category", "groupId", "previousId":
			s, ok := d.id()
			fm.ids[f-1] = s
			return ok
		case "properties":
			m, ok := d.objectOrNull()
			fm.props = m
			return ok
		case "traits":
			m, ok := d.objectOrNull()
			fm.traits = m
			return ok
		case "context":
			if d.null() {
				return true
			}
			if !d.at('{') {
				return false
			}
			fm.hasContext = true
			c, ok := d.context()
			fm.m.Context = c
			return ok
		case "timestamp":
			t, ok := d.time()
			fm.ts = t
			return ok
		case "originalTimestamp":
			t, ok := d.time()
			fm.orig = t
			return ok
		case "sentAt":
			t, ok := d.time()
			fm.sent = t
			return ok
		case "integrations":
			h, ok := d.integrations()
			fm.hash = h
			return ok
		case "writeKey":
			s, isNull, ok := d.stringOrNull()
			if !isNull {
				fm.writeKey = s
			}
			return ok
		}
		return false
	})
	if !ok {
		return false
	}
	fm.raw = d.s[start:d.i]
	return len(fm.raw) <= MaxMessageBytes
}

// finish is parseMessage's checks and normalisation on a message read by
// message; false where parseMessage would fail.
func (d *fastDecoder) finish(fm *fastMessage, r Request, received time.Time, batchSentAt *time.Time, batchCtx string) bool {
	m := &fm.m
	m.ReceivedAt = received
	if r.Type != "" {
		if m.Type != "" && m.Type != r.Type {
			return false
		}
		m.Type = r.Type
	}
	switch m.Type {
	case TypeTrack, TypePage, TypeIdentify, TypeScreen, TypeGroup, TypeAlias:
	default:
		return false
	}
	m.MessageID, m.AnonymousID, m.UserID, m.Event = fm.ids[0], fm.ids[1], fm.ids[2], fm.ids[3]
	m.Name, m.Category, m.GroupID, m.PreviousID = fm.ids[4], fm.ids[5], fm.ids[6], fm.ids[7]
	for i, s := range fm.ids {
		limit := maxIDLen
		if i >= 3 && i <= 5 {
			limit = maxEventNameLen
		}
		if len(s) > limit {
			return false
		}
	}
	if (m.UserID == "" && m.AnonymousID == "") || (m.Type == TypeTrack && m.Event == "") ||
		(m.Type == TypeGroup && m.GroupID == "") || (m.Type == TypeAlias && m.PreviousID == "") {
		return false
	}
	m.Properties, m.Traits = fm.props, fm.traits
	if ValidateTraits(m.Traits) != nil {
		return false
	}
	m.Traits = CleanTraits(m.Traits)
	if !fm.hasContext && batchCtx != "" {
		sub := fastDecoder{s: batchCtx, tzIn: d.tzIn, tzOut: d.tzOut, tzDone: d.tzDone, zones: d.zones}
		if sub.null() {
			// no context
		} else {
			if !sub.at('{') {
				return false
			}
			c, ok := sub.context()
			if !ok {
				return false
			}
			m.Context = c
		}
		d.tzIn, d.tzOut, d.tzDone = sub.tzIn, sub.tzOut, sub.tzDone
	}
	if ValidateTraits(m.Context.Traits) != nil {
		return false
	}
	m.Context.Traits = CleanTraits(m.Context.Traits)
	m.UserHash = takeUserHash(fm.hash, m.Traits, m.Context.Traits)
	if m.Type == TypeIdentify {
		var err error
		if m.Traits, err = identifyTraits(m.Traits, m.Context.Traits); err != nil {
			return false
		}
	}
	if m.Context.IP == "" {
		m.Context.IP = r.SourceIP
	}
	if !d.ipDone || m.Context.IP != d.ipIn {
		d.ipIn, d.ipOut, d.ipDone = m.Context.IP, TruncateIP(m.Context.IP), true
	}
	m.Context.IP = d.ipOut
	if m.Context.Page == nil && (m.Type == TypePage || m.Type == TypeScreen) {
		m.Context.Page = pageFromProperties(m.Properties)
	}
	if m.Context.Campaign.Empty() && m.Context.Page != nil {
		m.Context.Campaign = CampaignFromURL(m.Context.Page.URL)
	}
	m.applyTimes(fm.ts, fm.orig, fm.sent, batchSentAt)
	if m.MessageID == "" {
		sum := sha256.Sum256([]byte(fm.raw))
		m.MessageID = "lf-" + hex.EncodeToString(sum[:16])
	}
	return true
}

// context reads a context object at d.i (parseContext).
func (d *fastDecoder) context() (Context, bool) {
	var c Context
	var seen uint16
	ok := d.object(func(key string) bool {
		var bit uint16
		ok := true
		switch key {
		case "page":
			bit = 1
			c.Page = &Page{}
			ok = d.fields(pageFields[:], []*string{&c.Page.URL, &c.Page.Title, &c.Page.Referrer, &c.Page.Path, &c.Page.Search})
		case "campaign":
			bit = 2
			c.Campaign = &Campaign{}
			ok = d.fields(campaignFields[:], []*string{&c.Campaign.Source, &c.Campaign.Medium, &c.Campaign.Name, &c.Campaign.Term, &c.Campaign.Content})
		case "library":
			bit = 4
			c.Library = &Library{}
			ok = d.fields(libraryFields[:], []*string{&c.Library.Name, &c.Library.Version})
		case "userAgent":
			bit = 8
			ok = d.setString(&c.UserAgent)
		case "ip":
			bit = 16
			ok = d.setString(&c.IP)
		case "locale":
			bit = 32
			ok = d.setString(&c.Locale)
		case "timezone":
			bit = 64
			if ok = d.setString(&c.Timezone); ok {
				c.Timezone = d.timezone(c.Timezone)
			}
		case "traits":
			bit = 128
			c.Traits, ok = d.objectOrNull()
		case "location":
			bit = 256
			c.Location, ok = d.location()
		default:
			// "leadflow" included: a client's is plain data, never instructions.
			var x any
			if x, ok = d.value(); ok {
				if c.Extra == nil {
					c.Extra = map[string]any{}
				}
				c.Extra[key] = x
			}
			return ok
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
	if !ok {
		return Context{}, false
	}
	if c.Page != nil && *c.Page == (Page{}) {
		c.Page = nil
	}
	if c.Campaign.Empty() {
		c.Campaign = nil
	}
	if c.Location != nil && *c.Location == (Location{}) {
		c.Location = nil
	}
	if c.IP != "" && net.ParseIP(c.IP) == nil {
		return Context{}, false
	}
	return c, true
}

// The JSON names of Page, Campaign and Library, in their fields' order.
var (
	pageFields     = [...]string{"url", "title", "referrer", "path", "search"}
	campaignFields = [...]string{"source", "medium", "name", "term", "content"}
	libraryFields  = [...]string{"name", "version"}
)

// fields reads an object of string fields into dst (decodeStrict): null
// leaves them empty, a null field leaves it as it was, unknown keys are
// skipped.
func (d *fastDecoder) fields(names []string, dst []*string) bool {
	if d.null() {
		return true
	}
	if !d.at('{') {
		return false
	}
	return d.object(func(key string) bool {
		for i, n := range names {
			if key == n {
				return d.setString(dst[i])
			}
		}
		if foldsTo(key, names...) {
			return false
		}
		return d.skip()
	})
}

// location reads context.location leniently (decodeLenient).
func (d *fastDecoder) location() (*Location, bool) {
	l := &Location{}
	if d.null() {
		return l, true
	}
	if !d.at('{') {
		return nil, false
	}
	ok := d.object(func(key string) bool {
		var dst *string
		switch key {
		case "country":
			dst = &l.Country
		case "region":
			dst = &l.Region
		case "city":
			dst = &l.City
		default:
			return d.skip()
		}
		v, ok := d.value()
		s, _ := v.(string)
		*dst = truncate(s, 100)
		return ok
	})
	return l, ok
}

// integrations reads the integrations object for integrations.Leadflow's
// user hash (integrationsHash). It declines more than one key naming
// Leadflow: encoding/json's map order would pick one at random.
func (d *fastDecoder) integrations() (string, bool) {
	if !d.at('{') {
		return "", d.skip()
	}
	var hash string
	found := false
	ok := d.object(func(key string) bool {
		if !strings.EqualFold(key, "leadflow") {
			return d.skip()
		}
		if found {
			return false
		}
		found = true
		if !d.at('{') {
			return d.skip()
		}
		var v any
		isString := false
		ok := d.object(func(k string) bool {
			if k != UserHashKey {
				return d.skip()
			}
			var ok bool
			v, ok = d.value()
			_, isString = v.(string)
			return ok
		})
		if isString {
			hash = v.(string)
		}
		return ok
	})
	return hash, ok
}

func (d *fastDecoder) timezone(s string) string {
	if d.tzDone && s == d.tzIn {
		return d.tzOut
	}
	out, _ := d.zones.Normalize(s)
	d.tzIn, d.tzOut, d.tzDone = s, out, true
	return out
}

// setString reads a string into dst; null leaves dst as it was.
func (d *fastDecoder) setString(dst *string) bool {
	s, isNull, ok := d.stringOrNull()
	if ok && !isNull {
		*dst = s
	}
	return ok
}

// id reads an id: a string (trimmed), a number (as written) or null (idString).
func (d *fastDecoder) id() (string, bool) {
	if d.i >= len(d.s) {
		return "", false
	}
	switch c := d.s[d.i]; {
	case c == '"':
		s, ok := d.str()
		return strings.TrimSpace(s), ok
	case c == '-' || (c >= '0' && c <= '9'):
		n, ok := d.num()
		if !ok {
			return "", false
		}
		if _, err := strconv.ParseFloat(n, 64); err != nil {
			return "", false
		}
		return n, true
	case c == 'n':
		return "", d.null()
	}
	return "", false
}

// time reads an ISO-8601 string or null (parseOptionalTime).
func (d *fastDecoder) time() (*time.Time, bool) {
	s, isNull, ok := d.stringOrNull()
	if !ok || isNull {
		return nil, ok
	}
	t, err := parseTimeString(s)
	return t, err == nil
}

// objectOrNull reads an object as map[string]any, or null as nil (object).
func (d *fastDecoder) objectOrNull() (map[string]any, bool) {
	if d.null() {
		return nil, true
	}
	if !d.at('{') {
		return nil, false
	}
	v, ok := d.value()
	m, _ := v.(map[string]any)
	return m, ok
}

// stringOrNull reads a string, or null.
func (d *fastDecoder) stringOrNull() (s string, isNull, ok bool) {
	if d.null() {
		return "", true, true
	}
	if !d.at('"') {
		return "", false, false
	}
	s, ok = d.str()
	return s, false, ok
}

// ---------------------------------------------------------------------------
// JSON grammar

func (d *fastDecoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// at reports whether the next value starts with c.
func (d *fastDecoder) at(c byte) bool {
	d.ws()
	return d.i < len(d.s) && d.s[d.i] == c
}

// null consumes a null if one is next.
func (d *fastDecoder) null() bool {
	d.ws()
	if strings.HasPrefix(d.s[d.i:], "null") {
		d.i += 4
		return true
	}
	return false
}

// object walks the object at d.i, calling f with d.i at each key's value;
// f must consume the value.
func (d *fastDecoder) object(f func(key string) bool) bool {
	if !d.at('{') {
		return false
	}
	if d.depth++; d.depth > MaxNesting {
		return false
	}
	d.i++
	if d.ws(); d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		d.depth--
		return true
	}
	for {
		if !d.at('"') {
			return false
		}
		key, ok := d.str()
		if !ok || !d.at(':') {
			return false
		}
		d.i++
		d.ws()
		if !f(key) {
			return false
		}
		if d.ws(); d.i >= len(d.s) {
			return false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return true
		default:
			return false
		}
	}
}

// array walks the array at d.i, calling f with d.i at each element.
func (d *fastDecoder) array(f func() bool) bool {
	if !d.at('[') {
		return false
	}
	if d.depth++; d.depth > MaxNesting {
		return false
	}
	d.i++
	if d.ws(); d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		d.depth--
		return true
	}
	for {
		d.ws()
		if !f() {
			return false
		}
		if d.ws(); d.i >= len(d.s) {
			return false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return true
		default:
			return false
		}
	}
}

// value decodes any JSON value as encoding/json does into an interface:
// map[string]any, []any, string, float64, bool or nil.
func (d *fastDecoder) value() (any, bool) {
	if d.ws(); d.i >= len(d.s) {
		return nil, false
	}
	switch c := d.s[d.i]; c {
	case '{':
		m := map[string]any{}
		ok := d.object(func(key string) bool {
			v, ok := d.value()
			m[key] = v
			return ok
		})
		return m, ok
	case '[':
		a := []any{}
		ok := d.array(func() bool {
			v, ok := d.value()
			a = append(a, v)
			return ok
		})
		return a, ok
	case '"':
		return d.str()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	}
	n, ok := d.num()
	if !ok {
		return nil, false
	}
	f, err := strconv.ParseFloat(n, 64)
	return f, err == nil
}

// skip checks and passes over one value.
func (d *fastDecoder) skip() bool {
	if d.ws(); d.i >= len(d.s) {
		return false
	}
	switch c := d.s[d.i]; c {
	case '{':
		return d.object(func(string) bool { return d.skip() })
	case '[':
		return d.array(d.skip)
	case '"':
		_, ok := d.str()
		return ok
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	_, ok := d.num()
	return ok
}

func (d *fastDecoder) literal(lit string) bool {
	if strings.HasPrefix(d.s[d.i:], lit) {
		d.i += len(lit)
		return true
	}
	return false
}

// num reads a JSON number's text.
func (d *fastDecoder) num() (string, bool) {
	s, start, j := d.s, d.i, d.i
	digits := func() bool {
		k := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		return j > k
	}
	if j < len(s) && s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case !digits():
		return "", false
	}
	if j < len(s) && s[j] == '.' {
		j++
		if !digits() {
			return "", false
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if !digits() {
			return "", false
		}
	}
	d.i = j
	return s[start:j], true
}

// str reads the string at d.i. A string without escapes is a slice of the
// body; one that escapes half a surrogate pair is refused (scanJSON).
func (d *fastDecoder) str() (string, bool) {
	s, start := d.s, d.i+1
	j := start
	for j < len(s) && !strStop[s[j]] {
		j++
	}
	switch {
	case j >= len(s) || s[j] < 0x20:
		return "", false
	case s[j] == '"':
		d.i = j + 1
		return s[start:j], true
	}
	return d.unescape(start, j)
}

// strStop marks the bytes that end a run of a string's plain bytes: its
// closing quote, an escape, and the control bytes JSON forbids. A lookup a
// byte, in a loop over locals: strings are most of what a message is.
var strStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

func (d *fastDecoder) unescape(start, j int) (string, bool) {
	s := d.s
	buf := make([]byte, 0, j-start+16)
	buf = append(buf, s[start:j]...)
	for j < len(s) {
		// Copy the run of plain bytes up to the next quote, escape or
		// control byte at once.
		k := j
		for k < len(s) && !strStop[s[k]] {
			k++
		}
		buf = append(buf, s[j:k]...)
		if j = k; j >= len(s) {
			break
		}
		c := s[j]
		switch {
		case c == '"':
			d.i = j + 1
			// buf is this call's own and is never written again: the
			// string may share it (what strings.Builder does).
			return unsafe.String(unsafe.SliceData(buf), len(buf)), true
		case c < 0x20:
			return "", false
		}
		if j+1 >= len(s) {
			return "", false
		}
		switch s[j+1] {
		case '"', '\\', '/':
			buf = append(buf, s[j+1])
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r := hex4(s, j+2)
			if r < 0 {
				return "", false
			}
			j += 6
			switch {
			case r >= 0xd800 && r < 0xdc00:
				if j+6 > len(s) || s[j] != '\\' || s[j+1] != 'u' {
					return "", false
				}
				lo := hex4(s, j+2)
				if lo < 0xdc00 || lo >= 0xe000 {
					return "", false
				}
				r = int(utf16.DecodeRune(rune(r), rune(lo)))
				j += 6
			case r >= 0xdc00 && r < 0xe000:
				return "", false
			}
			buf = utf8.AppendRune(buf, rune(r))
			continue
		default:
			return "", false
		}
		j += 2
	}
	return "", false
}

// foldsTo reports whether key matches one of names only up to case, as
// encoding/json matches object keys to struct fields: ASCII letters in
// either case, and any other rune by its upper case ("ſ" is "S", so
// "ſentAt" is sentAt to encoding/json).
func foldsTo(key string, names ...string) bool {
	ascii := true
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	for _, n := range names {
		if key == n {
			continue
		}
		if ascii {
			if strings.EqualFold(key, n) {
				return true
			}
		} else if jsonFold(key) == jsonFold(n) {
			return true
		}
	}
	return false
}

// jsonFold is encoding/json's folding of a field name (foldName).
func jsonFold(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b = append(b, byte(r))
			continue
		}
		b = utf8.AppendRune(b, unicode.ToUpper(r))
	}
	return string(b)
}
