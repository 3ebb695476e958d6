// Package timezone reads the time zones clients report and turns them into
// one stored form that quiet hours and templates can load.
//
// Browsers report zones two ways: an IANA name from Intl (analytics.js,
// the snippet: "Europe/Berlin") or a fixed offset cut from Date.toString()
// (RudderStack: "GMT+0530", and "NA" when it finds none). The stored form is:
//
//   - an IANA name, kept as sent ("Europe/Berlin", "Etc/GMT+3");
//   - a fixed offset of whole hours as its IANA Etc zone, whose sign is
//     inverted by POSIX convention: "GMT+0200", "UTC+2" and "+02:00" become
//     "Etc/GMT-2", "-0300" becomes "Etc/GMT+3"; offset zero becomes "UTC";
//   - any other offset (there is no Etc zone for half or quarter hours) as
//     "UTC+05:30" / "UTC-09:30", which Load turns into a fixed zone.
//
// Anything else is not a zone and is dropped, never stored as one. A fixed
// offset ignores daylight saving time: it is what the client knew.
package timezone

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	// The zone database, embedded: Lambda's provided.al2023 image has no
	// /usr/share/zoneinfo, and without it every IANA name would fail to load
	// (and be dropped at ingest). The system's copy is still preferred where
	// one exists. About 450 KB per binary.
	_ "time/tzdata"

	"github.com/leadflow/leadflow/shared/lazyregexp"
)

// maxName bounds a zone name (the longest IANA name has 32 characters).
const maxName = 64

// offset is a fixed offset as clients write it: an optional GMT/UTC/UT
// prefix, a sign, hours, and optional minutes with or without a colon.
var offset = lazyregexp.New(`^(?i:GMT|UTC|UT)?\s?([+-])(\d{1,2})(?::?(\d{2}))?$`)

// canonicalOffset is the stored form of an offset with no Etc zone.
var canonicalOffset = lazyregexp.New(`^UTC[+-]\d{2}:\d{2}$`)

// ianaName is the shape of a tz database name; it keeps file paths
// ("../x") and odd input away from time.LoadLocation.
var ianaName = lazyregexp.New(`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$`)

// notZones are names time.LoadLocation accepts that name no place: the
// machine's own zone, and files of the tz database that are not zones.
var notZones = map[string]bool{"Local": true, "localtime": true, "Factory": true, "posixrules": true}

// Normalize returns the stored form of a reported zone, and false when it
// is neither an IANA name nor a fixed offset (then nothing is stored).
func Normalize(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxName {
		return "", false
	}
	if s == "Z" || s == "z" {
		return "UTC", true
	}
	if m := offset.FindStringSubmatch(s); m != nil {
		return fromOffset(m[1], m[2], m[3])
	}
	if canonicalOffset.MatchString(s) {
		return fromOffset(s[3:4], s[4:6], s[7:9])
	}
	if !ianaName.MatchString(s) || notZones[s] {
		return "", false
	}
	if _, err := time.LoadLocation(s); err != nil {
		return "", false
	}
	return s, true
}

// fromOffset builds the stored form of sign, hours and minutes. Offsets run
// from -12:00 to +14:00 in steps of 15 minutes (every zone in use today).
func fromOffset(sign, hh, mm string) (string, bool) {
	h, _ := strconv.Atoi(hh)
	m := 0
	if mm != "" {
		m, _ = strconv.Atoi(mm)
	}
	if m%15 != 0 || m >= 60 {
		return "", false
	}
	mins := h*60 + m
	if sign == "-" {
		mins = -mins
	}
	switch {
	case mins < -12*60 || mins > 14*60:
		return "", false
	case mins == 0:
		return "UTC", true
	case m == 0:
		// Etc/GMT-2 is two hours east of Greenwich: POSIX signs are inverted.
		return fmt.Sprintf("Etc/GMT%+d", -mins/60), true
	}
	s := "+"
	if mins < 0 {
		s, mins = "-", -mins
	}
	return fmt.Sprintf("UTC%s%02d:%02d", s, mins/60, mins%60), true
}

// Load returns the location of a stored (or reported) zone, and false when
// it is none. Values stored before normalisation existed ("GMT+0000") load
// by their offset too.
func Load(name string) (*time.Location, bool) {
	n, ok := Normalize(name)
	if !ok {
		return nil, false
	}
	if canonicalOffset.MatchString(n) {
		h, _ := strconv.Atoi(n[4:6])
		m, _ := strconv.Atoi(n[7:9])
		secs := (h*60 + m) * 60
		if n[3] == '-' {
			secs = -secs
		}
		return time.FixedZone(n, secs), true
	}
	if n == "UTC" {
		return time.UTC, true
	}
	loc, err := time.LoadLocation(n)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// Cache remembers Normalize's answers. Checking an IANA name loads its zone
// data (a file read and parse, about 40 µs), and every browser of a site
// reports one of a few names, so the ingest function, which checks the zone
// of every message it accepts, keeps one Cache for its lifetime. The zero
// value is ready; a nil *Cache does not remember.
type Cache struct {
	mu sync.Mutex
	m  map[string]normalized
}

type normalized struct {
	name string
	ok   bool
}

// maxCached bounds a Cache: there are about 600 IANA names, and clients may
// send anything, so past this the remembered answers are dropped.
const maxCached = 1024

// Normalize is the package's Normalize, remembered.
func (c *Cache) Normalize(s string) (string, bool) {
	if c == nil {
		return Normalize(s)
	}
	c.mu.Lock()
	r, hit := c.m[s]
	c.mu.Unlock()
	if hit {
		return r.name, r.ok
	}
	name, ok := Normalize(s)
	// Clones: s and name may be slices of a whole request body, which the
	// cache must not keep alive.
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[string]normalized)
	}
	c.m[strings.Clone(s)] = normalized{strings.Clone(name), ok}
	c.mu.Unlock()
	return name, ok
}
