package definition

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Validator is what a kind's Go type must have: the one validator the
// repo files, the admin API and the CLI all go through.
type Validator interface{ Validate() error }

// Spec is one kind: its name, its layout in definitions/, and how a
// definition of it is checked. Build one with Keyed or Singleton.
type Spec struct {
	Kind      Kind
	Singleton bool
	// Noun names one definition in messages and error codes ("form").
	Noun string
	// File is a singleton's file in definitions/ ("scoring.json").
	File string
	// Dir is a keyed kind's folder in definitions/ ("forms"): one
	// <id>.json per definition.
	Dir string
	// Bodies are fields kept in files of their own beside <id>.json
	// (a template's html and text), edited without JSON escaping.
	Bodies []BodyFile
	// Envelope, when set, is the field the kind's own route wraps the
	// definition in ({"model": ...} for /v1/scoring).
	Envelope string

	// check decodes strictly (a misspelt key is an error, not silently
	// dropped) and validates; it returns the canonical JSON.
	check func(raw []byte) (json.RawMessage, error)
	// pretty writes the definition as a repo file (the Go type's field
	// order, indented).
	pretty func(canonical []byte) ([]byte, error)
	// Present, when set, adds fields to an answer (a template's warnings).
	Present func(body json.RawMessage) map[string]any
}

// BodyFile is a field stored in its own file: <id><Ext>.
type BodyFile struct {
	Field    string
	Ext      string
	Required bool
}

// Keyed is a kind of many definitions, each a T whose JSON has an "id",
// kept in definitions/<dir>/<id>.json.
func Keyed[T Validator](kind Kind, noun, dir string, bodies ...BodyFile) Spec {
	return Spec{Kind: kind, Noun: noun, Dir: dir, Bodies: bodies, check: check[T], pretty: pretty[T]}
}

// Singleton is a kind with one definition (id "default"), a T kept in
// definitions/<file>.
func Singleton[T Validator](kind Kind, noun, file string) Spec {
	return Spec{Kind: kind, Singleton: true, Noun: noun, File: file, check: check[T], pretty: pretty[T]}
}

// Check decodes and validates a definition, returning its canonical JSON.
func (s Spec) Check(raw []byte) (json.RawMessage, error) { return s.check(raw) }

// Decode decodes strictly, the way every definition is read.
func Decode(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("unexpected data after the definition")
	}
	return nil
}

func check[T Validator](raw []byte) (json.RawMessage, error) {
	var v T
	if err := Decode(raw, &v); err != nil {
		return nil, err
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return Canonical(out)
}

func pretty[T Validator](canonical []byte) ([]byte, error) {
	var v T
	if err := json.Unmarshal(canonical, &v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// metaFields are the fields an answer adds around a definition; a client
// may send them back unchanged (GET, edit, PUT) and they are ignored.
var metaFields = []string{"source", "version", "updated_at", "updated_by", "overrides_repo", "differs_from_repo", "since", "warnings", "created_at", "rescoring", "etag"}

// StripMeta removes the answer's own fields from a body sent back, and
// unwraps {"definition": ...} (a version as GET .../versions/{n} answers
// it), so restoring an old version is a PUT of what GET returned.
func StripMeta(raw []byte, envelope string) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return raw, nil // not an object: the kind's check says what is wrong
	}
	for _, wrap := range []string{"definition", envelope} {
		if inner, ok := obj[wrap]; ok && wrap != "" {
			return StripMeta(inner, "")
		}
	}
	for _, k := range metaFields {
		delete(obj, k)
	}
	return json.Marshal(obj)
}
