package definitions

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/leadflow/leadflow/shared/definition"
)

// loadKind loads one kind from a test folder, as the repo loader does.
func loadKind(k definition.Kind, fsys fstest.MapFS) (map[string]json.RawMessage, error) {
	for _, s := range Specs() {
		if s.Kind == k {
			repo, err := definition.LoadRepo(fsys, []definition.Spec{s})
			return repo[k], err
		}
	}
	panic("no kind " + k)
}

// under moves a folder's files into dir.
func under(dir string, fsys fstest.MapFS) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range fsys {
		out[dir+"/"+k] = v
	}
	return out
}

// TestRepoFilesRoundTrip writes every repo definition back as files (what
// `defs pull` does) and reads them again: the same definition must come
// back, or a pull would leave a diff behind.
func TestRepoFilesRoundTrip(t *testing.T) {
	repo, err := Repo()
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, s := range Specs() {
		for _, id := range repo.IDs(s.Kind) {
			files, err := s.Files(id, repo[s.Kind][id])
			if err != nil {
				t.Fatal(err)
			}
			for p, b := range files {
				fsys[p] = &fstest.MapFile{Data: b}
			}
		}
	}
	back, err := definition.LoadRepo(fsys, Specs())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range Specs() {
		for _, id := range repo.IDs(s.Kind) {
			n++
			if !bytes.Equal(back[s.Kind][id], repo[s.Kind][id]) {
				t.Errorf("%s/%s changed on the way:\n%s\n%s", s.Kind, id, repo[s.Kind][id], back[s.Kind][id])
			}
		}
	}
	if n < 8 {
		t.Fatalf("only %d definitions in the repo", n)
	}
	if tpl := string(fsys["templates/welcome.json"].Data); strings.Contains(tpl, `"html"`) {
		t.Errorf("the body is inline in the JSON file:\n%s", tpl)
	}
}
