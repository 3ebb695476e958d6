package form

import (
	"strings"
	"testing"
)

// newsletter is a valid form the tests change one thing at a time.
func newsletter() Form {
	return Form{
		ID:   "newsletter",
		Name: "Newsletter",
		Fields: []Field{
			{Name: "email", Type: TypeEmail, Label: "Email", Required: true},
			{Name: "first_name", Type: TypeText, Label: "First name", Trait: "first_name", MaxLength: 20},
			{Name: "company", Type: TypeText, Trait: "company"},
			{Name: "phone", Type: TypeTel},
			{Name: "team_size", Type: TypeSelect, Options: []string{"1-10", "11-50", "51+"}},
			{Name: "seats", Type: TypeNumber},
			{Name: "message", Type: TypeTextarea},
			{Name: "source", Type: TypeHidden},
			{Name: "consent", Type: TypeCheckbox, Label: "Yes, send me news"},
		},
		ThankYouURL: "https://example.com/thanks",
		DoubleOptIn: true,
		Consent:     &Consent{Purpose: "newsletter", Text: "Send me the newsletter.", Field: "consent"},
		Tags:        []string{"newsletter"},
		Lists:       []string{"news"},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Form)
		want   string // a part of the error; "" for valid
	}{
		{"valid", func(*Form) {}, ""},
		{"no consent, no double opt-in", func(f *Form) { f.Consent, f.DoubleOptIn = nil, false }, ""},
		{"consent without a checkbox", func(f *Form) { f.Consent.Field = "" }, ""},
		{"site and origins", func(f *Form) { f.SiteKey = "site_key_1"; f.AllowedOrigins = []string{"https://a.example", "*"} }, ""},
		{"bad id", func(f *Form) { f.ID = "News Letter" }, "id "},
		{"id with a slash", func(f *Form) { f.ID = "a/b" }, "id "},
		{"empty id", func(f *Form) { f.ID = "" }, "id "},
		{"no name", func(f *Form) { f.Name = " " }, "name is required"},
		{"bad site key", func(f *Form) { f.SiteKey = "short" }, "site_key"},
		{"relative thank-you URL", func(f *Form) { f.ThankYouURL = "/thanks" }, "thank_you_url"},
		{"javascript thank-you URL", func(f *Form) { f.ThankYouURL = "javascript:alert(1)" }, "thank_you_url"},
		{"no thank-you URL", func(f *Form) { f.ThankYouURL = "" }, "thank_you_url"},
		{"no email field", func(f *Form) { f.Fields = f.Fields[1:] }, "exactly one email field"},
		{"two email fields", func(f *Form) {
			f.Fields = append(f.Fields, Field{Name: "email2", Type: TypeEmail, Required: true})
		}, "exactly one email field"},
		{"optional email", func(f *Form) { f.Fields[0].Required = false }, "must be required"},
		{"email mapped elsewhere", func(f *Form) { f.Fields[0].Trait = "mail" }, "always sets the \"email\" trait"},
		{"another field claims the email trait", func(f *Form) { f.Fields[1].Trait = "email" }, "only the email field"},
		{"duplicate name", func(f *Form) { f.Fields[2].Name = "First_Name" }, "used twice"},
		{"unsafe name", func(f *Form) { f.Fields[1].Name = "first name" }, "name must be"},
		{"script in a name", func(f *Form) { f.Fields[1].Name = "<script>" }, "name must be"},
		{"reserved name", func(f *Form) { f.Fields[1].Name = "utm_source" }, "reserved"},
		{"honeypot as a field", func(f *Form) { f.Fields[1].Name = DefaultHoneypot }, "honeypot"},
		{"bad honeypot", func(f *Form) { f.HoneypotField = "page_url" }, "honeypot_field"},
		{"unknown type", func(f *Form) { f.Fields[1].Type = "file" }, "type \"file\""},
		{"select without options", func(f *Form) { f.Fields[4].Options = nil }, "1 to 100 options"},
		{"duplicate option", func(f *Form) { f.Fields[4].Options = []string{"a", "a"} }, "listed twice"},
		{"options on text", func(f *Form) { f.Fields[1].Options = []string{"a"} }, "only for select"},
		{"negative max length", func(f *Form) { f.Fields[1].MaxLength = -1 }, "max_length"},
		{"huge max length", func(f *Form) { f.Fields[1].MaxLength = 1 << 20 }, "max_length"},
		{"bad trait", func(f *Form) { f.Fields[1].Trait = "First Name" }, "trait"},
		{"trait twice", func(f *Form) { f.Fields[2].Trait = "first_name" }, "already set"},
		{"long field mapped to a trait", func(f *Form) { f.Fields[6].Trait = "message" }, "at most 500 characters"},
		{"short textarea mapped to a trait", func(f *Form) { f.Fields[6].Trait = "message"; f.Fields[6].MaxLength = 300 }, ""},
		{"consent without purpose", func(f *Form) { f.Consent.Purpose = "" }, "consent.purpose"},
		{"consent without text", func(f *Form) { f.Consent.Text = "" }, "consent.text"},
		{"consent field is not a checkbox", func(f *Form) { f.Consent.Field = "first_name" }, "consent.field"},
		{"consent field missing", func(f *Form) { f.Consent.Field = "nope" }, "consent.field"},
		{"double opt-in without consent", func(f *Form) { f.Consent = nil }, "double_opt_in needs consent"},
		{"bad tag", func(f *Form) { f.Tags = []string{"Has Space"} }, "tags[0]"},
		{"duplicate list", func(f *Form) { f.Lists = []string{"a", "a"} }, "listed twice"},
		{"bad origin", func(f *Form) { f.AllowedOrigins = []string{"https://a.example/path"} }, "allowed origin"},
		{"too many fields", func(f *Form) {
			for i := 0; i < 60; i++ {
				f.Fields = append(f.Fields, Field{Name: "f" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26)), Type: TypeText})
			}
		}, "1 to 50 fields"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newsletter()
			tc.change(&f)
			err := f.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error about %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("Validate() = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestAllowsOrigin(t *testing.T) {
	site := []string{"https://www.example.com"}
	tests := []struct {
		name    string
		form    Form
		origin  string
		allowed bool
	}{
		{"open form, any origin", Form{}, "https://anything.example", true},
		{"no origin header", Form{AllowedOrigins: []string{"https://a.example"}}, "", true},
		{"form origins", Form{AllowedOrigins: []string{"https://a.example"}}, "https://a.example", true},
		{"form origins refuse others", Form{AllowedOrigins: []string{"https://a.example"}}, "https://b.example", false},
		{"site origins apply", Form{SiteKey: "site_key_1"}, "https://www.example.com", true},
		{"site origins refuse others", Form{SiteKey: "site_key_1"}, "https://evil.example", false},
		{"form origins win over the site's", Form{SiteKey: "site_key_1", AllowedOrigins: []string{"https://a.example"}}, "https://www.example.com", false},
		{"null origin", Form{AllowedOrigins: []string{"https://a.example"}}, "null", false},
	}
	for _, tc := range tests {
		if got := tc.form.AllowsOrigin(tc.origin, site); got != tc.allowed {
			t.Errorf("%s: AllowsOrigin(%q) = %v", tc.name, tc.origin, got)
		}
	}
}

func TestStatus(t *testing.T) {
	f := newsletter()
	if s := f.Status(true); s != StatusPending {
		t.Errorf("double opt-in with consent: %s", s)
	}
	if s := f.Status(false); s != StatusReceived {
		t.Errorf("without consent: %s", s)
	}
	f.DoubleOptIn = false
	if s := f.Status(true); s != StatusSubscribed {
		t.Errorf("single opt-in with consent: %s", s)
	}
	f.Consent = nil
	if s := f.Status(true); s != StatusReceived {
		t.Errorf("form without consent: %s", s)
	}
}
