// Package cli is the leadflow command: `defs validate` checks definitions/
// offline (what CI runs), `defs diff` shows how a running deployment's
// definitions differ from the repo, `defs pull` writes its runtime
// overrides into definitions/ in the repo's own file format.
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/definition"
)

// Environment variables the command reads.
const (
	EnvAPI   = "LEADFLOW_API"
	EnvToken = "LEADFLOW_ADMIN_TOKEN"
)

const usage = `usage: leadflow [--api URL] [--dir DIR] defs <command>
       leadflow [--dir DIR] simulate <journey id or file> <timeline file>

  defs validate            check every definition in DIR offline (CI runs this)
  defs diff                show how the deployment at --api differs from DIR
  defs pull [kind[/id]...] write the deployment's runtime overrides into DIR

--api defaults to $LEADFLOW_API; the admin token is read from $LEADFLOW_ADMIN_TOKEN.
--dir defaults to definitions (run from the repo's root).
diff exits 1 when there are differences, pull when nothing matched.
simulate runs a journey on a virtual clock over a timeline and prints the
path with each step's time and every branch's reason; it sends nothing.
`

// Main runs the command and returns its exit code.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("leadflow", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	api := fs.String("api", getenv(EnvAPI), "the deployment's API URL")
	dir := fs.String("dir", "definitions", "the definitions folder")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) == 3 && rest[0] == "simulate" {
		if err := simulate(*dir, rest[1], rest[2], stdout); err != nil {
			fmt.Fprintln(stderr, "leadflow:", err)
			return 1
		}
		return 0
	}
	if len(rest) < 2 || rest[0] != "defs" {
		fs.Usage()
		return 2
	}
	var err error
	code := 0
	switch rest[1] {
	case "validate":
		err = validate(*dir, stdout)
	case "diff", "pull":
		c, cerr := newClient(*api, getenv(EnvToken))
		if cerr != nil {
			fmt.Fprintln(stderr, "leadflow:", cerr)
			return 2
		}
		if rest[1] == "diff" {
			code, err = diff(ctx, c, *dir, stdout)
		} else {
			code, err = pull(ctx, c, *dir, rest[2:], stdout)
		}
	default:
		fs.Usage()
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "leadflow:", err)
		return 1
	}
	return code
}

func validate(dir string, out io.Writer) error {
	repo, err := definition.LoadRepo(os.DirFS(dir), definitions.Specs())
	if err != nil {
		return err
	}
	n := 0
	for _, defs := range repo {
		n += len(defs)
	}
	fmt.Fprintf(out, "%s: %d definitions of %d kinds are valid\n", dir, n, len(repo))
	return nil
}

// remote is one definition of the deployment, as GET /v1/definitions/{kind}
// lists it.
type remote struct {
	ID        string          `json:"id"`
	Body      json.RawMessage `json:"definition"`
	Source    string          `json:"source"`
	Version   int64           `json:"version"`
	UpdatedAt *time.Time      `json:"updated_at"`
	UpdatedBy string          `json:"updated_by"`
}

func (r remote) describe() string {
	s := fmt.Sprintf("%s v%d", r.Source, r.Version)
	if r.UpdatedAt != nil {
		s += fmt.Sprintf(", %s by %s", r.UpdatedAt.UTC().Format(time.RFC3339), r.UpdatedBy)
	}
	return s
}

func (c *client) kind(ctx context.Context, k definition.Kind) (map[string]remote, error) {
	var body struct {
		Definitions []remote `json:"definitions"`
	}
	if err := c.get(ctx, "/v1/definitions/"+url.PathEscape(string(k)), &body); err != nil {
		return nil, err
	}
	out := map[string]remote{}
	for _, r := range body.Definitions {
		canon, err := definition.Canonical(r.Body)
		if err != nil {
			return nil, fmt.Errorf("%s/%s from the deployment: %w", k, r.ID, err)
		}
		r.Body = canon
		out[r.ID] = r
	}
	return out, nil
}

func diff(ctx context.Context, c *client, dir string, out io.Writer) (int, error) {
	local, err := definition.LoadRepo(os.DirFS(dir), definitions.Specs())
	if err != nil {
		return 0, fmt.Errorf("%s is not valid (run defs validate): %w", dir, err)
	}
	differences := 0
	for _, s := range definitions.Specs() {
		deployed, err := c.kind(ctx, s.Kind)
		if err != nil {
			return 0, err
		}
		for _, id := range union(local.IDs(s.Kind), deployed) {
			name := string(s.Kind) + "/" + id
			r, there := deployed[id]
			mine, here := local[s.Kind][id]
			switch {
			case !here:
				differences++
				fmt.Fprintf(out, "%s: only in the deployment (%s); `defs pull %s` writes it into %s\n", name, r.describe(), name, dir)
			case !there:
				differences++
				fmt.Fprintf(out, "%s: only in %s (not deployed yet)\n", name, dir)
			case !bytes.Equal(r.Body, mine):
				differences++
				fmt.Fprintf(out, "%s: the deployment (%s) differs from %s\n", name, r.describe(), dir)
				if err := fileDiff(out, s, id, mine, r.Body, dir); err != nil {
					return 0, err
				}
			}
		}
	}
	if differences == 0 {
		fmt.Fprintf(out, "no differences between %s and %s\n", dir, c.base)
		return 0, nil
	}
	fmt.Fprintf(out, "%d definitions differ\n", differences)
	return 1, nil
}

// fileDiff shows a definition's difference file by file, as the repo keeps
// it (so a template's HTML is diffed as HTML, not as a JSON string).
func fileDiff(out io.Writer, s definition.Spec, id string, repo, deployed []byte, dir string) error {
	a, err := s.Files(id, repo)
	if err != nil {
		return err
	}
	b, err := s.Files(id, deployed)
	if err != nil {
		return err
	}
	paths := map[string]bool{}
	for p := range a {
		paths[p] = true
	}
	for p := range b {
		paths[p] = true
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	for _, p := range sorted {
		if bytes.Equal(a[p], b[p]) {
			continue
		}
		fmt.Fprintf(out, "--- %s/%s (repo)\n+++ %s (deployment)\n", dir, p, p)
		unified(out, lines(a[p]), lines(b[p]), 2)
	}
	return nil
}

func pull(ctx context.Context, c *client, dir string, args []string, out io.Writer) (int, error) {
	want, unmatched := map[string]bool{}, map[string]bool{}
	for _, a := range args {
		want[a], unmatched[a] = true, true
	}
	wrote := 0
	for _, s := range definitions.Specs() {
		if len(want) > 0 && !want[string(s.Kind)] && !anyWithPrefix(want, string(s.Kind)+"/") {
			continue
		}
		deployed, err := c.kind(ctx, s.Kind)
		if err != nil {
			return 0, err
		}
		ids := make([]string, 0, len(deployed))
		for id := range deployed {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			r, name := deployed[id], string(s.Kind)+"/"+id
			if len(want) > 0 && !want[string(s.Kind)] && !want[name] {
				continue
			}
			if r.Source != string(definition.SourceAPI) {
				continue // the repo's own: nothing to pull
			}
			delete(unmatched, name)
			delete(unmatched, string(s.Kind))
			if err := s.WriteFiles(dir, id, r.Body); err != nil {
				return 0, err
			}
			files, _ := s.Files(id, r.Body)
			paths := make([]string, 0, len(files))
			for p := range files {
				paths = append(paths, dir+"/"+p)
			}
			sort.Strings(paths)
			fmt.Fprintf(out, "pulled %s (%s): %s\n", name, r.describe(), strings.Join(paths, ", "))
			wrote++
		}
	}
	for _, name := range args {
		if unmatched[name] {
			fmt.Fprintf(out, "%s: no runtime override to pull\n", name)
		}
	}
	if wrote == 0 {
		fmt.Fprintln(out, "nothing to pull")
		if len(args) > 0 {
			return 1, nil
		}
	}
	return 0, nil
}

func anyWithPrefix(m map[string]bool, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func union(ids []string, m map[string]remote) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		seen[id] = true
		out = append(out, id)
	}
	for id := range m {
		if !seen[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// client calls the admin API.
type client struct {
	base, token string
	http        *http.Client
}

func newClient(base, token string) (*client, error) {
	if base == "" {
		return nil, fmt.Errorf("no API: pass --api or set %s", EnvAPI)
	}
	if token == "" {
		return nil, fmt.Errorf("no admin token: set %s", EnvToken)
	}
	return &client{base: strings.TrimRight(base, "/"), token: token, http: &http.Client{Timeout: 30 * time.Second}}, nil
}

func (c *client) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("GET %s: %d %s: %s", path, resp.StatusCode, e.Error.Code, e.Error.Message)
		}
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}
