package imports

import (
	"errors"
	"strings"
	"testing"
)

var testDef = Definition{Columns: Columns{
	Email: "Email", Phone: "Phone", Tags: "Tags", Consent: "Opt-in",
	Traits: map[string]string{"first_name": "First name", "company": "Company"},
}}

func TestRowChecks(t *testing.T) {
	header := "Email,First name,Company,Phone,Tags,Opt-in\n"
	cases := []struct {
		name, line string
		reason     string // "" = valid
		check      func(t *testing.T, r Row)
	}{
		{"valid", " Ada@Example.COM ,Ada,Acme,+49 30 1234567,vip;fair,yes", "", func(t *testing.T, r Row) {
			if r.Email != "ada@example.com" || r.Phone != "+49301234567" || !r.Consent {
				t.Errorf("row %+v", r)
			}
			if r.Traits["first_name"] != "Ada" || r.Traits["company"] != "Acme" {
				t.Errorf("traits %v", r.Traits)
			}
			if strings.Join(r.Tags, "|") != "vip|fair" {
				t.Errorf("tags %v", r.Tags)
			}
		}},
		{"00 prefix phone, empty cells", "bob@example.com,,,0044 20 7946 0958,,", "", func(t *testing.T, r Row) {
			if r.Phone != "+442079460958" || r.Traits != nil || r.Consent {
				t.Errorf("row %+v", r)
			}
		}},
		{"control characters cleaned", "cy@example.com,\"Cy\u202e\",,,,no", "", func(t *testing.T, r Row) {
			if r.Traits["first_name"] != "Cy" {
				t.Errorf("first_name %q", r.Traits["first_name"])
			}
		}},
		{"missing email", ",Ada,,,,", "no email", nil},
		{"invalid email", "not-an-email,Ada,,,,", `invalid email "not-an-email"`, nil},
		{"short row", "dee@example.com,Dee", "has 2 fields, the header has 6", nil},
		{"long row", "dee@example.com,Dee,,,,,extra", "has 7 fields, the header has 6", nil},
		{"national phone", "eve@example.com,,,030 1234567,,", "not in international format", nil},
		{"short phone", "eve@example.com,,,+49 12,,", "not in international format", nil},
		{"bad tag", "fay@example.com,,,,ok;<script>,", `tag "<script>"`, nil},
		{"bad consent", "gus@example.com,,,,,maybe", `consent "maybe"`, nil},
		{"trait too long", "hal@example.com," + strings.Repeat("a", MaxTraitLen+1) + ",,,,", "longer than 1000", nil},
		{"bare quote", `ivy@example.com,I"vy,,,,`, "malformed CSV", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ReadPage(strings.NewReader(header+c.line+"\n"), testDef, Checkpoint{}, 10)
			if err != nil {
				t.Fatal(err)
			}
			if p.Read != 1 || !p.Done {
				t.Fatalf("read %d done %v", p.Read, p.Done)
			}
			if c.reason == "" {
				if len(p.Errors) != 0 || len(p.Rows) != 1 {
					t.Fatalf("want a valid row, got rows %v errors %v", p.Rows, p.Errors)
				}
				if p.Rows[0].Line != 2 {
					t.Errorf("line %d, want 2", p.Rows[0].Line)
				}
				c.check(t, p.Rows[0])
				return
			}
			if len(p.Errors) != 1 || len(p.Rows) != 0 {
				t.Fatalf("want one error, got rows %v errors %v", p.Rows, p.Errors)
			}
			if e := p.Errors[0]; e.Line != 2 || !strings.Contains(e.Reason, c.reason) {
				t.Errorf("error %+v, want line 2 and %q", e, c.reason)
			}
		})
	}
}

func TestFileProblems(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"empty", "", "empty"},
		{"no email column", "Mail,First name\nx@example.com,X\n", `no column "Email"`},
		{"missing trait column", "Email,Phone,Tags,Opt-in,First name\n", `no column "Company"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadPage(strings.NewReader(c.file), testDef, Checkpoint{}, 10)
			if !errors.Is(err, ErrFile) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want ErrFile with %q", err, c.want)
			}
		})
	}
}

// Pages read from their checkpoints give every row once, with its file
// line, whatever the page size, across quoted line breaks and a BOM.
func TestPagesResumeFromCheckpoints(t *testing.T) {
	file := "\xEF\xBB\xBFEmail,First name,Company,Phone,Tags,Opt-in\r\n" +
		"a@example.com,A,,,,\r\n" +
		"b@example.com,\"B\nsecond line\",,,,\r\n" +
		"bad,,,,,\r\n" +
		"\r\n" +
		"c@example.com,C,,,,\r\n" +
		"d@example.com,D,,,,\r\n"
	wantLines := map[string]int{"a@example.com": 2, "b@example.com": 3, "c@example.com": 7, "d@example.com": 8}
	for size := 1; size <= 6; size++ {
		got := map[string]int{}
		var errLines []int
		cp := Checkpoint{}
		reads := 0
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("no end")
			}
			p, err := ReadPage(strings.NewReader(file[cp.Offset:]), testDef, cp, size)
			if err != nil {
				t.Fatalf("size %d page %d: %v", size, pages, err)
			}
			reads += p.Read
			for _, r := range p.Rows {
				if _, dup := got[r.Email]; dup {
					t.Errorf("size %d: %s read twice", size, r.Email)
				}
				got[r.Email] = r.Line
			}
			for _, e := range p.Errors {
				errLines = append(errLines, e.Line)
			}
			if p.Next.Page != cp.Page+1 {
				t.Errorf("page counter %d after %d", p.Next.Page, cp.Page)
			}
			cp = p.Next
			if p.Done {
				if cp.Offset != int64(len(file)) {
					t.Errorf("size %d: final offset %d, file has %d bytes", size, cp.Offset, len(file))
				}
				break
			}
		}
		if reads != 5 {
			t.Errorf("size %d: read %d rows, want 5", size, reads)
		}
		for e, l := range wantLines {
			if got[e] != l {
				t.Errorf("size %d: %s on line %d, want %d", size, e, got[e], l)
			}
		}
		if len(errLines) != 1 || errLines[0] != 5 {
			t.Errorf("size %d: error lines %v, want [5]", size, errLines)
		}
	}
}

func TestValidateDefinition(t *testing.T) {
	cases := []struct {
		name string
		d    Definition
		want string // "" = valid
	}{
		{"minimal", Definition{Columns: Columns{Email: "email"}}, ""},
		{"full", Definition{Columns: Columns{Email: "E", Traits: map[string]string{"plan": "P"}}, Tags: []string{"fair 2026"}, ListID: "fair-2026",
			Consent: &Basis{Evidence: "booth sign-up sheets", Purposes: []string{"marketing", "advertising"}}}, ""},
		{"no email", Definition{}, "columns.email"},
		{"reserved trait", Definition{Columns: Columns{Email: "e", Traits: map[string]string{"email": "x"}}}, `trait name "email"`},
		{"bad list", Definition{Columns: Columns{Email: "e"}, ListID: "Bad List"}, "list_id"},
		{"bad tag", Definition{Columns: Columns{Email: "e"}, Tags: []string{"<b>"}}, "tag"},
		{"basis without evidence", Definition{Columns: Columns{Email: "e"}, Consent: &Basis{}}, "consent.evidence"},
		{"unknown purpose", Definition{Columns: Columns{Email: "e"}, Consent: &Basis{Evidence: "x", Purposes: []string{"sms"}}}, `purpose "sms"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.d.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestNormalizePhone(t *testing.T) {
	cases := map[string]string{
		"+1 (415) 555-2671": "+14155552671", "0049 30/1234567": "+49301234567", "+44.20.7946.0958": "+442079460958",
		"415 555 2671": "", "+0 123456789": "", "+1234567": "", "+1234567890123456": "", "+49 30 12a": "",
	}
	for in, want := range cases {
		got, ok := NormalizePhone(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
