package template

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/leadflow/leadflow/shared/timezone"
)

// Compiled is a template that passed every check and is ready to render.
type Compiled struct {
	t                             Template
	subject, preheader, html, txt []node
	// linkHosts are the hosts the HTML's links are written with.
	linkHosts []string
}

// Rendered is one message's content.
type Rendered struct {
	Subject   string `json:"subject"`
	Preheader string `json:"preheader,omitempty"`
	// HTML carries the preheader as a hidden span at the start of <body>.
	HTML string `json:"html"`
	Text string `json:"text"`
	// SystemLinks are this message's unsubscribe, preferences and
	// confirmation URLs, which click tracking leaves alone (see
	// Rendered.RewriteLinks).
	SystemLinks []string `json:"-"`
}

// ErrTooLarge is returned by Render when contact data blows a message past
// maxRendered; the template itself compiled.
var ErrTooLarge = errors.New("rendered message too large")

// maxRendered keeps a message (HTML and text, before MIME encoding) well
// under SES's 40 MB message limit and far under what inboxes accept.
const maxRendered = 8 << 20

// Compile checks a template and prepares it for rendering. The error is an
// *Error listing every problem (wrapping ErrInvalid); warnings are returned
// either way, for the editor to show.
func Compile(t Template) (*Compiled, []Warning, error) {
	var ps problems
	t.checkFields(&ps)
	var warns []Warning
	parse := func(part, src string) ([]node, *parser) {
		if src == "" || len(src) > MaxBodyBytes || !utf8.ValidString(src) {
			return nil, nil // empty, or already reported by checkFields
		}
		p := &parser{part: part, sc: scanner{src: src}, lines: newLineIndex(src), ps: &ps, guarded: map[string]int{}}
		nodes, _, err := p.body(nil, 0)
		warns = append(warns, p.warns...)
		if err != nil {
			line, col := p.lines.pos(err.off)
			ps.add(part, line, col, "%s", err.msg)
			return nil, nil
		}
		return nodes, p
	}
	c := &Compiled{t: t}
	c.subject, _ = parse("subject", t.Subject)
	c.preheader, _ = parse("preheader", t.Preheader)
	var hp, tp *parser
	c.html, hp = parse("html", t.HTML)
	if strings.TrimSpace(t.Text) != "" {
		// A blank text part means "generate it", not "send it blank".
		c.txt, tp = parse("text", t.Text)
	}

	if hp != nil {
		w := &htmlWalk{p: hp}
		w.nodes(c.html, hstate{}, 0)
		c.linkHosts = slices.Sorted(maps.Keys(w.hosts))
		if t.Kind == KindMarketing {
			if !w.unsubscribe {
				ps.add("html", 0, 0, "a marketing template must have an unsubscribe link outside any {%% if %%} block: <a href=\"%s\">Unsubscribe</a>", UnsubscribePlaceholder)
			}
			if !w.address {
				ps.add("html", 0, 0, "a marketing template must show the sender's postal address as text outside any {%% if %%} block: %s", AddressPlaceholder)
			}
		}
	}
	if tp != nil && t.Kind == KindMarketing {
		unsub, addr := plainMarks(c.txt)
		if !unsub {
			ps.add("text", 0, 0, "a marketing template's text part must have the unsubscribe link outside any {%% if %%} block: %s", UnsubscribePlaceholder)
		}
		if !addr {
			ps.add("text", 0, 0, "a marketing template's text part must show the sender's postal address outside any {%% if %%} block: %s", AddressPlaceholder)
		}
	}
	if len(t.HTML) > gmailClipBytes*9/10 {
		warns = append(warns, Warning{Field: "html", Message: fmt.Sprintf("the HTML is %d KB: Gmail clips messages over 102 KB, hiding the footer and the unsubscribe link", len(t.HTML)>>10)})
	}
	if len(ps.list) > 0 {
		return nil, warns, &Error{ID: t.ID, Problems: ps.list}
	}
	return c, warns, nil
}

// plainMarks finds the unconditional unsubscribe link and address in a
// text part.
func plainMarks(ns []node) (unsub, addr bool) {
	for _, n := range ns {
		if o, ok := n.(*outputNode); ok {
			unsub = unsub || o.v.f == fUnsubscribeURL && len(o.filters) == 0
			addr = addr || o.v.f == fSenderAddress
		}
	}
	return unsub, addr
}

// LinkHosts are the hosts the template's links are written with (the
// literal scheme and host of every href), sorted. Contact data can never
// change a link's host (Compile refuses a field before the host is ended),
// so these are all the hosts its tracked links can lead to, besides
// Leadflow's own.
func (c *Compiled) LinkHosts() []string { return slices.Clone(c.linkHosts) }

// LinksTo reports whether one of the template's links is written with
// host (as CanonicalHost gives it).
func (c *Compiled) LinksTo(host string) bool {
	_, ok := slices.BinarySearch(c.linkHosts, host)
	return ok
}

// Template returns the definition the template was compiled from.
func (c *Compiled) Template() Template { return c.t }

// Render produces one message. Missing data renders empty (or as its
// default); contact data is escaped for where it lands in the HTML; the
// subject and preheader are single lines whatever the data holds.
func (c *Compiled) Render(d Data) (Rendered, error) {
	st := &renderState{d: &d, now: d.Now, loc: zone(d.Contact.Timezone)}
	if st.now.IsZero() {
		st.now = time.Now()
	}
	var r Rendered
	r.Subject = oneLine(st.run(c.subject))
	st.subject = r.Subject
	r.Preheader = oneLine(st.run(c.preheader))
	html := st.run(c.html)
	if c.txt != nil {
		r.Text = st.run(c.txt)
	} else {
		// Generated before the preheader goes in: the preheader is for the
		// inbox preview, not for the text part.
		r.Text = PlainText(html)
	}
	r.HTML = insertPreheader(html, r.Preheader)
	r.SystemLinks = d.Links.system()
	if len(r.HTML)+len(r.Text) > maxRendered {
		return Rendered{}, ErrTooLarge
	}
	return r, nil
}

// RewriteLinks is the package's RewriteLinks that also leaves this
// message's system links (unsubscribe, preferences, confirmation) alone.
func (r Rendered) RewriteLinks(rewrite func(url string) string) string {
	return RewriteLinks(r.HTML, func(u string) string {
		for _, s := range r.SystemLinks {
			if u == s {
				return u
			}
		}
		return rewrite(u)
	})
}

type renderState struct {
	d       *Data
	subject string
	now     time.Time
	loc     *time.Location
	buf     []byte
}

func (st *renderState) run(ns []node) string {
	st.buf = st.buf[:0]
	st.nodes(ns)
	return string(st.buf)
}

func (st *renderState) nodes(ns []node) {
	for _, n := range ns {
		switch n := n.(type) {
		case textNode:
			st.buf = append(st.buf, n.s...)
		case *outputNode:
			st.output(n)
		case *ifNode:
			done := false
			for _, b := range n.branches {
				if st.test(b.c) {
					st.nodes(b.body)
					done = true
					break
				}
			}
			if !done {
				st.nodes(n.els)
			}
		}
	}
}

func (st *renderState) output(n *outputNode) {
	// Plain fields skip boxing into any: most outputs are like this.
	if len(n.filters) == 0 && !n.v.isLit && n.v.f != fTrait {
		st.write(st.fieldString(n.v.f), n.esc)
		return
	}
	v := st.eval(n.v)
	for i := range n.filters {
		v = n.filters[i].apply(v, st)
	}
	st.write(st.str(v), n.esc)
}

func (st *renderState) write(s string, esc escaper) {
	switch esc {
	case escNone:
		st.buf = append(st.buf, s...)
	case escHTML:
		st.buf = appendEscaped(st.buf, s)
	case escURL:
		st.buf = appendEscaped(st.buf, safeURL(s))
	case escURLPath:
		st.buf = appendEscaped(st.buf, url.PathEscape(s))
	case escURLQuery:
		st.buf = appendEscaped(st.buf, url.QueryEscape(s))
	}
}

// fieldString is the value of a field that is not a trait, as text.
func (st *renderState) fieldString(f field) string {
	d := st.d
	switch f {
	case fContactEmail:
		return d.Contact.Email
	case fContactID:
		return d.Contact.ID
	case fContactStatus:
		return d.Contact.Status
	case fContactFirstSeen:
		return st.str(d.Contact.FirstSeen)
	case fContactTags:
		return strings.Join(d.Contact.Tags, ", ")
	case fCompanyDomain:
		return d.Company.Domain
	case fCompanyEmailType:
		return d.Company.EmailType
	case fLocationCountry:
		return d.Location.Country
	case fLocationRegion:
		return d.Location.Region
	case fLocationCity:
		return d.Location.City
	case fSenderName:
		return d.Sender.Name
	case fSenderAddress:
		return d.Sender.Address
	case fUnsubscribeURL:
		return d.Links.Unsubscribe
	case fPreferencesURL:
		return d.Links.Preferences
	case fViewInBrowserURL:
		return d.Links.ViewInBrowser
	case fConfirmURL:
		return d.Links.Confirm
	case fCampaignID:
		return d.Campaign.ID
	case fCampaignName:
		return d.Campaign.Name
	case fMessageSubject:
		return st.subject
	}
	return ""
}

func (st *renderState) eval(o operand) any {
	switch {
	case o.isLit:
		return o.lit
	case o.f == fTrait:
		var v any = st.d.Traits
		for _, k := range o.key {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		}
		return v
	case o.f == fContactFirstSeen:
		if t := st.d.Contact.FirstSeen; !t.IsZero() {
			return t
		}
		return nil
	case o.f == fContactTags:
		if len(st.d.Contact.Tags) == 0 {
			return nil
		}
		return st.d.Contact.Tags
	}
	if s := st.fieldString(o.f); s != "" {
		return s
	}
	return nil
}

func (st *renderState) test(c cond) bool {
	switch c := c.(type) {
	case orCond:
		return st.test(c.l) || st.test(c.r)
	case andCond:
		return st.test(c.l) && st.test(c.r)
	case notCond:
		return !st.test(c.c)
	case truthyCond:
		return truthy(st.eval(c.v))
	case cmpCond:
		return st.compare(c.op, st.eval(c.l), st.eval(c.r))
	}
	return false
}

// truthy is what a marketer expects "is set" to mean: missing, null,
// false, blank text and empty lists are not set. Zero is set (a score of 0
// is a value), as in Liquid.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return strings.TrimSpace(v) != ""
	case []string:
		return len(v) > 0
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	case time.Time:
		return !v.IsZero()
	}
	return true
}

func (st *renderState) compare(op string, a, b any) bool {
	switch op {
	case "==":
		return st.equal(a, b)
	case "!=":
		return !st.equal(a, b)
	case "contains":
		return st.contains(a, b)
	}
	var c int
	if x, ok := number(a); ok {
		y, ok := number(b)
		if !ok {
			return false
		}
		c = cmpFloat(x, y)
	} else if ta, tb, ok := st.bothTimes(a, b); ok {
		c = ta.Compare(tb)
	} else {
		x, xok := a.(string)
		y, yok := b.(string)
		if !xok || !yok {
			return false
		}
		c = strings.Compare(x, y)
	}
	switch op {
	case ">":
		return c > 0
	case "<":
		return c < 0
	case ">=":
		return c >= 0
	case "<=":
		return c <= 0
	}
	return false
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// equal compares loosely, as people read it: a missing value equals "", the
// number 3 equals "3", a date equals its day written as text.
func (st *renderState) equal(a, b any) bool {
	if a == nil {
		a = ""
	}
	if b == nil {
		b = ""
	}
	if x, ok := a.(bool); ok {
		return st.str(b) == strconv.FormatBool(x)
	}
	if y, ok := b.(bool); ok {
		return st.str(a) == strconv.FormatBool(y)
	}
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			return x == y
		}
	}
	if ta, tb, ok := st.bothTimes(a, b); ok {
		return ta.Equal(tb)
	}
	return st.str(a) == st.str(b)
}

func (st *renderState) contains(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return false
	case string:
		return strings.Contains(a, st.str(b))
	case []string:
		for _, x := range a {
			if st.equal(x, b) {
				return true
			}
		}
		return false
	case []any:
		for _, x := range a {
			if st.equal(x, b) {
				return true
			}
		}
		return false
	case map[string]any:
		_, ok := a[st.str(b)]
		return ok
	}
	return strings.Contains(st.str(a), st.str(b))
}

// bothTimes holds when one side is a date and the other can be read as one.
func (st *renderState) bothTimes(a, b any) (time.Time, time.Time, bool) {
	_, at := a.(time.Time)
	_, bt := b.(time.Time)
	if !at && !bt {
		return time.Time{}, time.Time{}, false
	}
	ta, ok1 := st.toTime(a)
	tb, ok2 := st.toTime(b)
	return ta, tb, ok1 && ok2
}

// number reads numbers, and text that is a number (traits from forms are
// often "12"). Booleans and blanks are not numbers.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, !math.IsNaN(v)
	case float32:
		return float64(v), true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case uint:
		return float64(v), true
	case uint64:
		return float64(v), true
	case uint32:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case string:
		s := strings.TrimSpace(v)
		if s == "" || !(isDigit(s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.') {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// str writes a value as text: numbers without exponent noise, dates as
// 2006-01-02 in the contact's zone, lists joined with ", ", objects as
// nothing (a template should name the key it wants).
func (st *renderState) str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case uint:
		return strconv.FormatUint(uint64(v), 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case uint32:
		return strconv.FormatUint(uint64(v), 10)
	case json.Number:
		return string(v)
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.In(st.loc).Format("2006-01-02")
	case []string:
		return strings.Join(v, ", ")
	case []any:
		parts := make([]string, 0, len(v))
		for _, x := range v {
			if s := st.str(x); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"}

// toTime reads a date: a time, RFC 3339 or ISO text, "now"/"today", or Unix
// seconds (milliseconds when the number is that large, as JavaScript
// trackers send).
func (st *renderState) toTime(v any) (time.Time, bool) {
	switch v := v.(type) {
	case time.Time:
		return v.In(st.loc), !v.IsZero()
	case string:
		s := strings.TrimSpace(v)
		if s == "now" || s == "today" {
			return st.now.In(st.loc), true
		}
		for _, l := range dateLayouts {
			if t, err := time.ParseInLocation(l, s, st.loc); err == nil {
				return t.In(st.loc), true
			}
		}
		return time.Time{}, false
	}
	f, ok := number(v)
	if !ok || math.Abs(f) > 1e15 {
		return time.Time{}, false
	}
	if math.Abs(f) >= 1e11 {
		return time.UnixMilli(int64(f)).In(st.loc), true
	}
	return time.Unix(int64(f), 0).In(st.loc), true
}

var zones sync.Map // name → *time.Location

// zone loads a contact's time zone once per process; an unknown zone (or a
// host without zone data) falls back to UTC rather than failing a send.
func zone(name string) *time.Location {
	if name == "" || name == "UTC" {
		return time.UTC
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, ok := timezone.Load(name)
	if !ok {
		l = time.UTC
	}
	zones.Store(name, l)
	return l
}

// safeURL lets through the schemes an email link may have; anything else
// (javascript:, data:, vbscript:) becomes a dead anchor. Browsers ignore
// tabs and newlines inside a URL, so they are removed before the scheme is
// read.
func safeURL(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	i := strings.IndexAny(s, ":/?#")
	if i <= 0 || s[i] != ':' {
		return s // no scheme: relative, or empty
	}
	switch strings.ToLower(s[:i]) {
	case "http", "https", "mailto", "tel":
		return s
	}
	return "#blocked-url"
}

// appendEscaped HTML-escapes s: safe in text and in quoted attributes.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&#34;"
		case '\'':
			rep = "&#39;"
		case 0:
			rep = "\uFFFD"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, rep...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// oneLine makes a header-safe line: control characters (CR and LF above
// all: header injection) and Unicode line separators become spaces, runs of
// spaces collapse.
func oneLine(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 || r == ' ' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
