package definitions

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/leadflow/leadflow/shared/form"
)

//go:embed forms/*.json
var formFiles embed.FS

// Forms returns the repo's forms (definitions/forms/*.json), each decoded
// strictly and validated, in id order. A file is named after its form's id,
// so the form behind /v1/forms/{id} is found by looking at one file name.
func Forms() ([]form.Form, error) { return formsFrom(formFiles) }

func formsFrom(fsys fs.ReadFileFS) ([]form.Form, error) {
	names, err := fs.Glob(fsys, "forms/*.json")
	if err != nil {
		return nil, fmt.Errorf("definitions/forms: %w", err)
	}
	sort.Strings(names)
	var out []form.Form
	seen := map[string]string{}
	for _, name := range names {
		raw, err := fsys.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("definitions/%s: %w", name, err)
		}
		var f form.Form
		if err := decodeStrict(raw, &f); err != nil {
			return nil, fmt.Errorf("definitions/%s: %w", name, err)
		}
		if err := f.Validate(); err != nil {
			return nil, fmt.Errorf("definitions/%s: %w", name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); f.ID != want {
			return nil, fmt.Errorf("definitions/%s: id %q must match the file name %q", name, f.ID, want)
		}
		if other, dup := seen[f.ID]; dup {
			return nil, fmt.Errorf("definitions/%s: id %q is also used by %s", name, f.ID, other)
		}
		seen[f.ID] = name
		out = append(out, f)
	}
	return out, nil
}
