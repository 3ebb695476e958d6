package localaws

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
)

// StartCognito starts cognito-local (npm, pinned in package.json) on 127.0.0.1 and
// waits until it answers. It keeps its pools and users in DataDir/.cognito ("" = a
// temp dir removed by Stop). Tokens are RS256, signed with the key that ships in the
// package (fine for a local server, never for anything else); the issuer is
// http://127.0.0.1:PORT/<poolId> and the keys are at <issuer>/.well-known/jwks.json.
func StartCognito(ctx context.Context, o Options) (*Process, error) {
	o, err := prepare(o)
	if err != nil {
		return nil, fmt.Errorf("start cognito: %w", err)
	}
	bin := filepath.Join(o.Root, "node_modules", "cognito-local", "lib", "bin", "start.js")
	if err := requireFile(bin); err != nil {
		return nil, fmt.Errorf("start cognito: %w", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("start cognito: %w (node not found on PATH)", ErrToolsMissing)
	}
	return start(ctx, o, spec{
		name: "cognito",
		build: func(port int) (*exec.Cmd, []func() error, error) {
			dir, cleanups, err := configDir(o.DataDir, "localaws-cognito-")
			if err != nil {
				return nil, nil, fmt.Errorf("start cognito: %w", err)
			}
			cmd := exec.Command(node, bin)
			// HOST keeps it on loopback (its default "localhost" may resolve to
			// ::1) and makes the token issuer http://127.0.0.1:PORT, the address
			// the verifier fetches keys from.
			cmd.Env = append(cmd.Environ(), "PORT="+strconv.Itoa(port), "HOST=127.0.0.1")
			cmd.Dir = dir
			return cmd, cleanups, nil
		},
		ready: func(ctx context.Context, endpoint string) error {
			// Any HTTP answer means it is listening (GET / is a 404 there).
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/", nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		},
	})
}
