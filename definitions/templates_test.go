package definitions

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/leadflow/leadflow/shared/template"
)

func TestRepoTemplatesAreValid(t *testing.T) {
	ts, err := Templates()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]template.Template{}
	for _, tp := range ts {
		got[tp.ID] = tp
	}
	for _, id := range []string{"welcome", "double-opt-in", "lead-nurture-1"} {
		if _, ok := got[id]; !ok {
			t.Errorf("template %s missing from definitions/templates", id)
		}
	}
	for _, tp := range ts {
		t.Run(tp.ID, func(t *testing.T) {
			c, warns, err := template.Compile(tp)
			if err != nil {
				t.Fatal(err)
			}
			// Repo templates set the example: every trait has a fallback.
			for _, w := range warns {
				t.Errorf("warning: %s", w)
			}
			sample := template.Sample()
			r, err := c.Render(sample)
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject == "" || r.HTML == "" || r.Text == "" {
				t.Fatalf("empty part in %+v", r)
			}
			if tp.Kind == template.KindMarketing {
				for _, part := range []string{r.HTML, r.Text} {
					if !strings.Contains(part, sample.Links.Unsubscribe) || !strings.Contains(part, sample.Sender.Address) {
						t.Errorf("a part lacks the unsubscribe link or postal address:\n%s", part)
					}
				}
			}
			// A contact with nothing but an email still gets a sensible
			// message: no "Hi ," anywhere.
			bare, err := c.Render(template.Data{Contact: template.Contact{Email: "x@example.org"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, part := range []string{bare.Subject, bare.HTML, bare.Text} {
				if strings.Contains(part, " ,") {
					t.Errorf("empty personalisation shows: %q", part)
				}
			}
		})
	}
}

func TestDoubleOptInCarriesTheConfirmLink(t *testing.T) {
	ts, err := Templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range ts {
		if tp.ID != "double-opt-in" {
			continue
		}
		if tp.Kind != template.KindTransactional {
			t.Fatalf("kind %q: a confirmation must reach contacts who are not subscribed yet", tp.Kind)
		}
		c, _, err := template.Compile(tp)
		if err != nil {
			t.Fatal(err)
		}
		d := template.Sample()
		r, _ := c.Render(d)
		if !strings.Contains(r.HTML, `href="`+d.Links.Confirm+`"`) || !strings.Contains(r.Text, d.Links.Confirm) {
			t.Fatalf("confirm link missing:\n%s\n%s", r.HTML, r.Text)
		}
		if strings.Contains(r.Text, "{{") || strings.Contains(r.HTML, "{{") {
			t.Fatal("placeholder left unrendered")
		}
		return
	}
	t.Fatal("no double-opt-in template")
}

func TestTemplatesFromRejectsBrokenDirectories(t *testing.T) {
	const meta = `{"id":"t1","name":"T","kind":"transactional","from":{"address":"a@example.com"},"subject":"Hi"}`
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		dir     fstest.MapFS
		wantErr string
	}{
		{"valid", fstest.MapFS{"t1.json": file(meta), "t1.html": file("<p>Hi</p>"), "t1.txt": file("Hi")}, ""},
		{"missing html", fstest.MapFS{"t1.json": file(meta)}, "t1.html is missing"},
		{"orphan body", fstest.MapFS{"t1.json": file(meta), "t1.html": file("x"), "t2.txt": file("x")}, "t2.txt: no t2.json"},
		{"stray file", fstest.MapFS{"t1.json": file(meta), "t1.html": file("x"), "notes.md": file("x")}, "notes.md: unexpected file"},
		{"id differs from file name", fstest.MapFS{"t2.json": file(meta), "t2.html": file("x")}, `must match the file name "t2"`},
		{"unknown json field", fstest.MapFS{"t1.json": file(strings.Replace(meta, `"name"`, `"nmae"`, 1)), "t1.html": file("x")}, `unknown field "nmae"`},
		{"body inline in json", fstest.MapFS{"t1.json": file(strings.Replace(meta, `"subject"`, `"html":"<p>x</p>","subject"`, 1)), "t1.html": file("x")}, "belongs in t1.html"},
		{"template does not compile", fstest.MapFS{"t1.json": file(meta), "t1.html": file("{{ contact.name }}")}, "unknown field contact.name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := loadKind(KindTemplates, under("templates", tc.dir))
			if tc.wantErr == "" {
				if err != nil || len(ts) != 1 {
					t.Fatalf("got %d templates, %v", len(ts), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if strings.Contains(tc.wantErr, "unknown field contact") && !errors.Is(err, template.ErrInvalid) {
				t.Fatalf("compile errors must wrap template.ErrInvalid: %v", err)
			}
		})
	}
}

func TestNoRepoTemplateRendersAnEmptyLink(t *testing.T) {
	// No page serves "view in browser" yet, so its URL is empty: a template
	// must then leave the link out rather than render href="".
	tps, err := Templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range tps {
		c, _, err := template.Compile(tp)
		if err != nil {
			t.Fatal(err)
		}
		d := template.Sample()
		d.Links.ViewInBrowser = ""
		r, err := c.Render(d)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.HTML, `href=""`) {
			t.Errorf("%s renders an empty link", tp.ID)
		}
	}
}
