package definitions

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/leadflow/leadflow/shared/template"
)

// Email templates live in definitions/templates, one template per id:
//
//	<id>.json  everything but the bodies: id, name, kind, topic, from,
//	           reply_to, subject, preheader (the template.Template JSON
//	           without html and text)
//	<id>.html  the HTML body (required)
//	<id>.txt   the text body (optional; generated from the HTML when absent)
//
// Bodies are separate files so they can be edited and previewed as HTML,
// without JSON string escaping. The file name must be the template's id.
//
//go:embed templates
var templateFiles embed.FS

const templatesDir = "templates"

// Templates returns the repo's email templates, each validated and compiled
// (the same check the admin API runs on save), sorted by id. The error lists
// every file's problems at once.
func Templates() ([]template.Template, error) {
	sub, err := fs.Sub(templateFiles, templatesDir)
	if err != nil {
		return nil, fmt.Errorf("definitions/templates: %w", err)
	}
	return templatesFrom(sub)
}

// templatesFrom loads templates from a directory; tests give it broken ones.
func templatesFrom(dir fs.FS) ([]template.Template, error) {
	entries, err := fs.ReadDir(dir, ".")
	if err != nil {
		return nil, fmt.Errorf("definitions/templates: %w", err)
	}
	files := map[string]bool{}
	for _, e := range entries {
		files[e.Name()] = true
	}
	var (
		out  []template.Template
		errs []error
		ids  = map[string]string{}
	)
	for _, e := range entries {
		name := e.Name()
		file := "definitions/templates/" + name
		ext := path.Ext(name)
		id := strings.TrimSuffix(name, ext)
		switch {
		case e.IsDir():
			errs = append(errs, fmt.Errorf("%s: templates are files, not directories", file))
			continue
		case ext == ".html" || ext == ".txt":
			if !files[id+".json"] {
				errs = append(errs, fmt.Errorf("%s: no %s.json beside it", file, id))
			}
			continue
		case ext != ".json":
			errs = append(errs, fmt.Errorf("%s: unexpected file (templates are <id>.json, <id>.html and optionally <id>.txt)", file))
			continue
		}
		t, err := loadTemplate(dir, id, files)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", file, err))
			continue
		}
		if other, dup := ids[t.ID]; dup {
			errs = append(errs, fmt.Errorf("%s: id %q is also used by %s", file, t.ID, other))
			continue
		}
		ids[t.ID] = file
		out = append(out, t)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func loadTemplate(dir fs.FS, id string, files map[string]bool) (template.Template, error) {
	var t template.Template
	raw, err := fs.ReadFile(dir, id+".json")
	if err != nil {
		return t, err
	}
	if err := decodeStrict(raw, &t); err != nil {
		return t, err
	}
	if t.HTML != "" || t.Text != "" {
		return t, fmt.Errorf("html and text belong in %s.html and %s.txt, not in the JSON", id, id)
	}
	if t.ID != id {
		return t, fmt.Errorf("id %q must match the file name %q", t.ID, id)
	}
	html, err := fs.ReadFile(dir, id+".html")
	if err != nil {
		return t, fmt.Errorf("the HTML body %s.html is missing", id)
	}
	t.HTML = string(html)
	if files[id+".txt"] {
		text, err := fs.ReadFile(dir, id+".txt")
		if err != nil {
			return t, err
		}
		t.Text = string(text)
	}
	if _, _, err := template.Compile(t); err != nil {
		return t, err
	}
	return t, nil
}
