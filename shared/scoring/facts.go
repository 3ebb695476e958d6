package scoring

import (
	"strconv"
	"strings"

	"github.com/leadflow/leadflow/shared/enrich"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Facts is what scoring reads from a contact's profile: fit rules, stage
// conditions and routing. It mirrors contact.Profile's fields so building it
// is a plain copy, and it lives here (not as a contact.Profile parameter) so
// the contact package can hold a scoring.State without an import cycle.
//
// Facts are the profile after the scored messages were applied: an identify
// that sets a title is reflected in fit in the same batch.
type Facts struct {
	Email     string
	Status    string
	Traits    map[string]any
	Company   *enrich.Company
	Location  *tracking.Location
	Tags      []string
	Lists     []string
	Interests map[string]int
	PageViews int
	Sessions  int
}

// sizeBands are LinkedIn's company size bands, the ones sales teams and
// enrichment vendors already use, so a territory reads "201-500" as they do.
var sizeBands = []struct {
	name string
	min  int
}{
	{"1-10", 1}, {"11-50", 11}, {"51-200", 51}, {"201-500", 201}, {"501-1000", 501},
	{"1001-5000", 1001}, {"5001-10000", 5001}, {"10001+", 10001},
}

// SizeBands lists the company size band names, smallest first.
func SizeBands() []string {
	out := make([]string, len(sizeBands))
	for i, b := range sizeBands {
		out[i] = b.name
	}
	return out
}

func validBand(s string) bool { return canonicalBand(s) != "" }

// canonicalBand returns the band named s, whatever its case and spacing.
func canonicalBand(s string) string {
	s = strings.TrimSpace(s)
	for _, b := range sizeBands {
		if strings.EqualFold(b.name, s) {
			return b.name
		}
	}
	return ""
}

// BandOf returns the size band of a head count; "" for no head count.
func BandOf(employees int) string {
	if employees < 1 {
		return ""
	}
	band := sizeBands[0].name
	for _, b := range sizeBands {
		if employees >= b.min {
			band = b.name
		}
	}
	return band
}

// SizeBand is the contact's company size band, from the traits the Segment
// spec and forms use: "employees" (a number), "company.employee_count", or
// "company_size" (a band name, a number, or a range such as "50-99" or
// "10,000+", read by its lower bound). "" when none is known.
func (f *Facts) SizeBand() string {
	if f == nil {
		return ""
	}
	if v, ok := lookup(f.Traits, []string{"company_size"}); ok {
		if s, ok := v.(string); ok {
			if b := canonicalBand(s); b != "" {
				return b
			}
		}
		if n, ok := headCount(v); ok {
			return BandOf(n)
		}
	}
	for _, path := range [][]string{{"employees"}, {"company", "employee_count"}} {
		if v, ok := lookup(f.Traits, path); ok {
			if n, ok := headCount(v); ok {
				return BandOf(n)
			}
		}
	}
	return ""
}

// headCount reads a number, or the leading integer of a text such as
// "50-99" or "10,000+".
func headCount(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		return int(x), x >= 1
	case int:
		return x, x >= 1
	case string:
		var digits []byte
		for i := 0; i < len(x); i++ {
			c := x[i]
			switch {
			case c >= '0' && c <= '9':
				digits = append(digits, c)
			case c == ',' && len(digits) > 0:
			case c == ' ' && len(digits) == 0:
			default:
				i = len(x)
			}
		}
		n, err := strconv.Atoi(string(digits))
		return n, err == nil && n >= 1
	}
	return 0, false
}
