package scoring

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow/shared/tracking"
)

// Condition is one test on a field of a tracking message (engagement rule
// filters, stage event filters) or of a contact's profile facts (fit rules,
// stage profile conditions). Every rule ANDs its conditions; two rules with
// the same outcome give OR.
//
// Semantics that hold for every op:
//   - A field that is absent, null or "" fails every op except "missing", so
//     "neq freemail" does not reward a contact whose email type is unknown.
//   - Strings compare case-insensitively (eq, neq, in, contains, prefix);
//     "regex" is as written, so use (?i) for case-insensitive patterns.
//   - A number matches a numeric string and the reverse ("100" eq 100).
//   - On a list field (tags, an array trait) an op holds when any element
//     passes, and "neq" when no element equals the value.
type Condition struct {
	Field string `json:"field"`
	Op    Op     `json:"op"`
	// Value is a string, number or bool; for "in" an array of them; absent
	// for "exists" and "missing".
	Value any `json:"value,omitempty"`
}

// Op is a condition operator.
type Op string

// Condition operators.
const (
	OpEq       Op = "eq"
	OpNeq      Op = "neq"
	OpIn       Op = "in"
	OpContains Op = "contains"
	OpPrefix   Op = "prefix"
	OpRegex    Op = "regex"
	OpGt       Op = "gt"
	OpGte      Op = "gte"
	OpLt       Op = "lt"
	OpLte      Op = "lte"
	OpExists   Op = "exists"
	OpMissing  Op = "missing"
)

var ops = map[Op]bool{OpEq: true, OpNeq: true, OpIn: true, OpContains: true, OpPrefix: true, OpRegex: true,
	OpGt: true, OpGte: true, OpLt: true, OpLte: true, OpExists: true, OpMissing: true}

// namespace says what a condition reads: a message or a profile.
type namespace int

const (
	nsMessage namespace = iota
	nsFacts
)

// field identifies what a condition reads; resolving it is a switch, not a
// string parse per event.
type field int

const (
	fMsgType field = iota
	fMsgEvent
	fMsgName
	fMsgCategory
	fMsgProperties // path
	fMsgTraits     // path
	fPageURL
	fPagePath
	fPageTitle
	fPageReferrer
	fPageSearch
	fCampaignSource
	fCampaignMedium
	fCampaignName
	fCampaignTerm
	fCampaignContent

	fEmail
	fStatus
	fTags
	fLists
	fTraits // path
	fInterests
	fCompanyDomain
	fCompanyEmailType
	fCompanySizeBand
	fCountry
	fRegion
	fCity
	fPageViews
	fSessions
)

var messageFields = map[string]field{
	"type": fMsgType, "event": fMsgEvent, "name": fMsgName, "category": fMsgCategory,
	"page.url": fPageURL, "page.path": fPagePath, "page.title": fPageTitle,
	"page.referrer": fPageReferrer, "page.search": fPageSearch,
	"campaign.source": fCampaignSource, "campaign.medium": fCampaignMedium, "campaign.name": fCampaignName,
	"campaign.term": fCampaignTerm, "campaign.content": fCampaignContent,
}

var messagePrefixes = map[string]field{"properties.": fMsgProperties, "traits.": fMsgTraits}

var factFields = map[string]field{
	"email": fEmail, "status": fStatus, "tags": fTags, "lists": fLists,
	"company.domain": fCompanyDomain, "company.email_type": fCompanyEmailType, "company.size_band": fCompanySizeBand,
	"location.country": fCountry, "location.region": fRegion, "location.city": fCity,
	"page_views": fPageViews, "sessions": fSessions,
}

var factPrefixes = map[string]field{"traits.": fTraits, "interests.": fInterests}

// MessageFields and FactFields list what conditions may read, for the
// admin UI and error messages; "x.*" stands for any key below x.
func MessageFields() []string {
	return fieldNames(messageFields, messagePrefixes)
}

// FactFields lists the profile fields fit rules and stage conditions read.
func FactFields() []string { return fieldNames(factFields, factPrefixes) }

func fieldNames(fields, prefixes map[string]field) []string {
	var out []string
	for k := range fields {
		out = append(out, k)
	}
	for k := range prefixes {
		out = append(out, k+"*")
	}
	slices.Sort(out)
	return out
}

// String renders a condition as "field op value" for reasons and logs.
func (c Condition) String() string {
	if c.Value == nil {
		return fmt.Sprintf("%s %s", c.Field, c.Op)
	}
	if s, ok := c.Value.(string); ok {
		return fmt.Sprintf("%s %s %q", c.Field, c.Op, s)
	}
	return fmt.Sprintf("%s %s %v", c.Field, c.Op, c.Value)
}

// matcher is a compiled Condition.
type matcher struct {
	field field
	path  []string
	op    Op
	want  scalar   // eq, neq, contains, prefix, gt...
	set   []scalar // in
	re    *regexp.Regexp
}

// scalar is a condition value in every form a comparison may need, worked
// out once at compile time.
type scalar struct {
	str   string
	num   float64
	isNum bool
}

func toScalar(v any) (scalar, bool) {
	switch x := v.(type) {
	case string:
		s := scalar{str: x}
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			s.num, s.isNum = f, true
		}
		return s, true
	case float64:
		return scalar{str: strconv.FormatFloat(x, 'f', -1, 64), num: x, isNum: true}, true
	case int:
		return scalar{str: strconv.Itoa(x), num: float64(x), isNum: true}, true
	case int64:
		return scalar{str: strconv.FormatInt(x, 10), num: float64(x), isNum: true}, true
	case bool:
		return scalar{str: strconv.FormatBool(x)}, true
	}
	return scalar{}, false
}

// compile checks a condition and builds its matcher. where prefixes every
// problem so the caller's list says which rule is wrong.
func compile(c Condition, ns namespace, where string) (matcher, []string) {
	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, where+": "+fmt.Sprintf(format, args...))
	}
	m := matcher{op: c.Op}
	fields, prefixes, kind := messageFields, messagePrefixes, "message"
	if ns == nsFacts {
		fields, prefixes, kind = factFields, factPrefixes, "profile"
	}
	if f, ok := fields[c.Field]; ok {
		m.field = f
	} else {
		found := false
		for p, f := range prefixes {
			if rest, ok := strings.CutPrefix(c.Field, p); ok {
				found = true
				m.field = f
				m.path = strings.Split(rest, ".")
				for _, seg := range m.path {
					if seg == "" {
						bad("field %q has an empty path segment", c.Field)
						break
					}
				}
			}
		}
		if !found {
			bad("unknown %s field %q (known: %s)", kind, c.Field, strings.Join(fieldNames(fields, prefixes), ", "))
		}
		if m.field == fInterests && len(m.path) != 1 {
			bad("field %q: interests.<name> has no sub-fields", c.Field)
		}
	}
	if !ops[c.Op] {
		bad("unknown op %q (known: eq, neq, in, contains, prefix, regex, gt, gte, lt, lte, exists, missing)", c.Op)
		return m, problems
	}
	switch c.Op {
	case OpExists, OpMissing:
		if c.Value != nil {
			bad("op %s takes no value", c.Op)
		}
	case OpIn:
		list, ok := c.Value.([]any)
		if strs, isStrs := c.Value.([]string); isStrs {
			// A model built in Go rather than decoded from JSON.
			list, ok = make([]any, len(strs)), true
			for i, s := range strs {
				list[i] = s
			}
		}
		if !ok || len(list) == 0 {
			bad("op in needs a non-empty array value")
			break
		}
		for _, v := range list {
			s, ok := toScalar(v)
			if !ok {
				bad("op in: %v is not a string, number or bool", v)
				continue
			}
			m.set = append(m.set, s)
		}
	case OpRegex:
		s, ok := c.Value.(string)
		if !ok || s == "" {
			bad("op regex needs a pattern string")
			break
		}
		if len(s) > maxPatternLen {
			bad("pattern is %d characters; at most %d", len(s), maxPatternLen)
			break
		}
		re, err := regexp.Compile(s)
		if err != nil {
			bad("pattern %q: %v", s, err)
			break
		}
		m.re = re
	case OpGt, OpGte, OpLt, OpLte:
		s, ok := toScalar(c.Value)
		if !ok || !s.isNum {
			bad("op %s needs a number", c.Op)
		}
		m.want = s
	case OpContains, OpPrefix:
		s, ok := c.Value.(string)
		if !ok || s == "" {
			bad("op %s needs a non-empty string", c.Op)
		}
		m.want = scalar{str: s}
	default: // eq, neq
		s, ok := toScalar(c.Value)
		if !ok {
			bad("op %s needs a string, number or bool value", c.Op)
		}
		m.want = s
	}
	if m.field == fCompanySizeBand && (c.Op == OpEq || c.Op == OpNeq || c.Op == OpIn) {
		for _, s := range append([]scalar{m.want}, m.set...) {
			if s.str != "" && !validBand(s.str) {
				bad("%q is not a company size band (%s)", s.str, strings.Join(SizeBands(), ", "))
			}
		}
	}
	return m, problems
}

const maxPatternLen = 500

// matchMessage evaluates the matcher against a tracking message.
func (m *matcher) matchMessage(msg *tracking.Message) bool {
	switch m.field {
	case fMsgProperties:
		v, ok := lookup(msg.Properties, m.path)
		return m.matchAny(v, ok)
	case fMsgTraits:
		v, ok := lookup(msg.Traits, m.path)
		return m.matchAny(v, ok)
	}
	return m.matchString(messageString(msg, m.field))
}

// messageString resolves a message's string fields without allocating,
// except for a page path derived from the URL when the client sent none.
func messageString(msg *tracking.Message, f field) string {
	switch f {
	case fMsgType:
		return msg.Type
	case fMsgEvent:
		return msg.Event
	case fMsgName:
		return msg.Name
	case fMsgCategory:
		return msg.Category
	}
	if pg := msg.Context.Page; pg != nil {
		switch f {
		case fPageURL:
			return pg.URL
		case fPagePath:
			if pg.Path == "" && pg.URL != "" {
				if u, err := url.Parse(pg.URL); err == nil {
					return u.Path
				}
			}
			return pg.Path
		case fPageTitle:
			return pg.Title
		case fPageReferrer:
			return pg.Referrer
		case fPageSearch:
			return pg.Search
		}
	}
	if c := msg.Context.Campaign; c != nil {
		switch f {
		case fCampaignSource:
			return c.Source
		case fCampaignMedium:
			return c.Medium
		case fCampaignName:
			return c.Name
		case fCampaignTerm:
			return c.Term
		case fCampaignContent:
			return c.Content
		}
	}
	return ""
}

// matchFacts evaluates the matcher against a contact's profile facts.
func (m *matcher) matchFacts(f *Facts) bool {
	switch m.field {
	case fTraits:
		v, ok := lookup(f.Traits, m.path)
		return m.matchAny(v, ok)
	case fInterests:
		n, ok := f.Interests[m.path[0]]
		return m.matchNumber(float64(n), ok)
	case fTags:
		return m.matchList(f.Tags)
	case fLists:
		return m.matchList(f.Lists)
	case fPageViews:
		return m.matchNumber(float64(f.PageViews), true)
	case fSessions:
		return m.matchNumber(float64(f.Sessions), true)
	case fEmail:
		return m.matchString(f.Email)
	case fStatus:
		return m.matchString(f.Status)
	case fCompanySizeBand:
		return m.matchString(f.SizeBand())
	case fCompanyDomain, fCompanyEmailType:
		if f.Company == nil {
			return m.matchString("")
		}
		if m.field == fCompanyDomain {
			return m.matchString(f.Company.Domain)
		}
		return m.matchString(f.Company.EmailType)
	case fCountry, fRegion, fCity:
		if f.Location == nil {
			return m.matchString("")
		}
		switch m.field {
		case fCountry:
			return m.matchString(f.Location.Country)
		case fRegion:
			return m.matchString(f.Location.Region)
		}
		return m.matchString(f.Location.City)
	}
	return false
}

func lookup(obj map[string]any, path []string) (any, bool) {
	var cur any = obj
	for _, k := range path {
		mp, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mp[k]; !ok {
			return nil, false
		}
	}
	return cur, cur != nil
}

// matchAny dispatches on a decoded JSON value's type.
func (m *matcher) matchAny(v any, present bool) bool {
	if !present {
		return m.op == OpMissing
	}
	switch x := v.(type) {
	case string:
		return m.matchString(x)
	case float64:
		return m.matchNumber(x, true)
	case int:
		return m.matchNumber(float64(x), true)
	case int64:
		return m.matchNumber(float64(x), true)
	case bool:
		return m.matchString(strconv.FormatBool(x))
	case []any:
		if len(x) == 0 {
			return m.op == OpMissing
		}
		switch m.op {
		case OpExists:
			return true
		case OpMissing:
			return false
		case OpNeq:
			for _, e := range x {
				if m.equalsAny(e) {
					return false
				}
			}
			return true
		}
		for _, e := range x {
			if m.matchAny(e, e != nil) {
				return true
			}
		}
		return false
	case []string:
		return m.matchList(x)
	}
	// An object is present but has nothing to compare.
	return m.op == OpExists
}

func (m *matcher) equalsAny(v any) bool {
	switch x := v.(type) {
	case string:
		return equal(x, m.want)
	case float64:
		return m.want.isNum && x == m.want.num
	case bool:
		return strings.EqualFold(m.want.str, strconv.FormatBool(x))
	}
	return false
}

func (m *matcher) matchList(xs []string) bool {
	switch m.op {
	case OpExists:
		return len(xs) > 0
	case OpMissing:
		return len(xs) == 0
	case OpNeq:
		if len(xs) == 0 {
			return false
		}
		for _, x := range xs {
			if equal(x, m.want) {
				return false
			}
		}
		return true
	}
	for _, x := range xs {
		if m.matchString(x) {
			return true
		}
	}
	return false
}

func (m *matcher) matchString(s string) bool {
	if s == "" {
		return m.op == OpMissing
	}
	switch m.op {
	case OpExists:
		return true
	case OpMissing:
		return false
	case OpEq:
		return equal(s, m.want)
	case OpNeq:
		return !equal(s, m.want)
	case OpIn:
		for _, w := range m.set {
			if equal(s, w) {
				return true
			}
		}
		return false
	case OpContains:
		return containsFold(s, m.want.str)
	case OpPrefix:
		return len(s) >= len(m.want.str) && strings.EqualFold(s[:len(m.want.str)], m.want.str)
	case OpRegex:
		return m.re.MatchString(s)
	case OpGt, OpGte, OpLt, OpLte:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return err == nil && compareNum(m.op, f, m.want.num)
	}
	return false
}

func (m *matcher) matchNumber(n float64, present bool) bool {
	if !present {
		return m.op == OpMissing
	}
	switch m.op {
	case OpExists:
		return true
	case OpMissing:
		return false
	case OpEq:
		return m.want.isNum && n == m.want.num
	case OpNeq:
		return !m.want.isNum || n != m.want.num
	case OpIn:
		for _, w := range m.set {
			if w.isNum && n == w.num {
				return true
			}
		}
		return false
	case OpGt, OpGte, OpLt, OpLte:
		return compareNum(m.op, n, m.want.num)
	}
	// contains, prefix and regex read a number as its decimal text.
	return m.matchString(strconv.FormatFloat(n, 'f', -1, 64))
}

func compareNum(op Op, a, b float64) bool {
	switch op {
	case OpGt:
		return a > b
	case OpGte:
		return a >= b
	case OpLt:
		return a < b
	case OpLte:
		return a <= b
	}
	return false
}

func equal(s string, w scalar) bool {
	if strings.EqualFold(s, w.str) {
		return true
	}
	if !w.isNum {
		return false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil && f == w.num
}

// containsFold is a case-insensitive strings.Contains that does not
// allocate a lower-cased copy of every value it tests.
func containsFold(s, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], sub) {
			return true
		}
	}
	return false
}
