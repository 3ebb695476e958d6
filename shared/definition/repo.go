package definition

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Repo is the repo's definitions: kind, id, canonical JSON.
type Repo map[Kind]map[string]json.RawMessage

// IDs returns a kind's repo ids, sorted.
func (r Repo) IDs(k Kind) []string {
	ids := make([]string, 0, len(r[k]))
	for id := range r[k] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// LoadRepo reads and checks every kind's files under fsys (definitions/,
// embedded or on disk). The error names every file at fault at once.
func LoadRepo(fsys fs.FS, specs []Spec) (Repo, error) {
	repo := Repo{}
	var errs []error
	for _, s := range specs {
		defs, err := LoadKind(fsys, s)
		if err != nil {
			errs = append(errs, err)
		}
		repo[s.Kind] = defs
	}
	return repo, errors.Join(errs...)
}

// LoadKind reads and checks one kind's files under fsys: what LoadRepo does
// for each kind. A function that reads one kind at start (its scoring
// model, its sending settings) checks only that kind's files.
func LoadKind(fsys fs.FS, s Spec) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	if s.Singleton {
		raw, err := fs.ReadFile(fsys, s.File)
		if err != nil {
			return out, fmt.Errorf("definitions/%s: %w", s.File, err)
		}
		c, err := s.Check(raw)
		if err != nil {
			return out, fmt.Errorf("definitions/%s: %w", s.File, err)
		}
		out[DefaultID] = c
		return out, nil
	}
	entries, err := fs.ReadDir(fsys, s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("definitions/%s: %w", s.Dir, err)
	}
	files := map[string]bool{}
	for _, e := range entries {
		files[e.Name()] = true
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		file := "definitions/" + s.Dir + "/" + name
		ext := path.Ext(name)
		id := strings.TrimSuffix(name, ext)
		if e.IsDir() {
			errs = append(errs, fmt.Errorf("%s: definitions are files, not directories", file))
			continue
		}
		if ext != ".json" {
			if s.bodyExt(ext) && files[id+".json"] {
				continue
			}
			if s.bodyExt(ext) {
				errs = append(errs, fmt.Errorf("%s: no %s.json beside it", file, id))
			} else {
				errs = append(errs, fmt.Errorf("%s: unexpected file (%s are <id>.json%s)", file, s.Dir, s.bodyHint()))
			}
			continue
		}
		c, err := s.readKeyed(fsys, id, files)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", file, err))
			continue
		}
		out[id] = c
	}
	return out, errors.Join(errs...)
}

func (s Spec) bodyExt(ext string) bool {
	for _, b := range s.Bodies {
		if b.Ext == ext {
			return true
		}
	}
	return false
}

func (s Spec) bodyHint() string {
	var h string
	for _, b := range s.Bodies {
		h += " and <id>" + b.Ext
	}
	return h
}

// readKeyed reads <id>.json and its body files into one definition.
func (s Spec) readKeyed(fsys fs.FS, id string, files map[string]bool) (json.RawMessage, error) {
	raw, err := fs.ReadFile(fsys, s.Dir+"/"+id+".json")
	if err != nil {
		return nil, err
	}
	if len(s.Bodies) > 0 {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, err
		}
		for _, b := range s.Bodies {
			if _, inline := obj[b.Field]; inline {
				return nil, fmt.Errorf("%s belongs in %s%s, not in the JSON", b.Field, id, b.Ext)
			}
			if !files[id+b.Ext] {
				if b.Required {
					return nil, fmt.Errorf("the %s body %s%s is missing", b.Field, id, b.Ext)
				}
				continue
			}
			body, err := fs.ReadFile(fsys, s.Dir+"/"+id+b.Ext)
			if err != nil {
				return nil, err
			}
			obj[b.Field], _ = json.Marshal(string(body))
		}
		// Keep the file's own key order for strict decoding's messages.
		if raw, err = json.Marshal(obj); err != nil {
			return nil, err
		}
	}
	c, err := s.Check(raw)
	if err != nil {
		return nil, err
	}
	var head struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(c, &head); err != nil || head.ID != id {
		return nil, fmt.Errorf("id %q must match the file name %q", head.ID, id)
	}
	return c, nil
}

// Files renders a definition as the repo keeps it: file paths under
// definitions/ and their contents.
func (s Spec) Files(id string, canonical []byte) (map[string][]byte, error) {
	if s.Singleton {
		b, err := s.pretty(canonical)
		return map[string][]byte{s.File: b}, err
	}
	out := map[string][]byte{}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(canonical, &obj); err != nil {
		return nil, err
	}
	for _, b := range s.Bodies {
		var body string
		if v, ok := obj[b.Field]; ok {
			if err := json.Unmarshal(v, &body); err != nil {
				return nil, fmt.Errorf("%s: %w", b.Field, err)
			}
		}
		delete(obj, b.Field)
		if body != "" {
			out[s.Dir+"/"+id+b.Ext] = []byte(body)
		}
	}
	rest, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	if out[s.Dir+"/"+id+".json"], err = s.prettyNoBodies(rest); err != nil {
		return nil, err
	}
	return out, nil
}

// prettyNoBodies indents a keyed definition's JSON in the Go type's field
// order, without the body fields (they have files of their own).
func (s Spec) prettyNoBodies(raw []byte) ([]byte, error) {
	b, err := s.pretty(raw)
	if err != nil || len(s.Bodies) == 0 {
		return b, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if s.bodyField(k.(string)) {
			continue
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		key, _ := json.Marshal(k)
		out.Write(key)
		out.WriteByte(':')
		out.Write(v)
	}
	out.WriteByte('}')
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	pretty.WriteByte('\n')
	return pretty.Bytes(), nil
}

func (s Spec) bodyField(name string) bool {
	for _, b := range s.Bodies {
		if b.Field == name {
			return true
		}
	}
	return false
}

// WriteFiles writes a definition into a definitions/ folder on disk,
// removing body files the definition no longer has.
func (s Spec) WriteFiles(dir, id string, canonical []byte) error {
	files, err := s.Files(id, canonical)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", s.Kind, id, err)
	}
	for _, b := range s.Bodies {
		p := s.Dir + "/" + id + b.Ext
		if _, ok := files[p]; !ok {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	for p, b := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
