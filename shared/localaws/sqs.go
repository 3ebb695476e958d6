package localaws

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/leadflow/leadflow/shared/localaws/sqsd"
)

// StartSQS starts the local SQS server (goaws's handlers in our own main,
// .local/tools/sqsd, see package sqsd) with a generated config and waits until
// it answers. Queues are created by the caller (CreateQueue), as the stack's
// code does.
//
// It listens on 127.0.0.1 only. With DataDir set it journals to
// DataDir/journal.jsonl: every message it acknowledged and nobody deleted is
// back after a crash or a restart (see sqsd.Journal for what is not kept).
// Without DataDir the queues live in memory only. Queue URLs come back as http://127.0.0.1:PORT/000000000000/NAME and ARNs as
// arn:aws:sqs::000000000000:NAME (no region: with a region goaws would put it in front
// of the host, giving URLs that do not resolve). Read ARNs with GetQueueAttributes
// rather than formatting them.
func StartSQS(ctx context.Context, o Options) (*Process, error) {
	o, err := prepare(o)
	if err != nil {
		return nil, fmt.Errorf("start sqs: %w", err)
	}
	root := o.Root
	bin := filepath.Join(toolsDir(root), "sqsd")
	if err := requireFile(bin); err != nil {
		return nil, fmt.Errorf("start sqs: %w", err)
	}

	return start(ctx, o, spec{
		name: "sqs",
		build: func(port int) (*exec.Cmd, []func() error, error) {
			dir, cleanups, err := configDir(o.DataDir, "localaws-sqsd-")
			if err != nil {
				return nil, nil, fmt.Errorf("start sqs: %w", err)
			}
			conf := filepath.Join(dir, "goaws.yaml")
			if err := os.WriteFile(conf, []byte(sqsd.Config(port)), 0o644); err != nil {
				runCleanups(cleanups)
				return nil, nil, fmt.Errorf("start sqs: write %s: %w", conf, err)
			}
			args := []string{"-config", conf, "-port", strconv.Itoa(port)}
			if o.DataDir != "" {
				args = append(args, "-journal", filepath.Join(dir, "journal.jsonl"))
			}
			cmd := exec.Command(bin, args...)
			cmd.Dir = dir
			return cmd, cleanups, nil
		},
		ready: func(ctx context.Context, endpoint string) error {
			return httpOK(ctx, endpoint+"/health")
		},
	})
}

// configDir returns dataDir (created if needed) or a fresh temp dir removed on cleanup.
func configDir(dataDir, pattern string) (string, []func() error, error) {
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return "", nil, fmt.Errorf("create data dir: %w", err)
		}
		return dataDir, nil, nil
	}
	dir, err := os.MkdirTemp("", pattern+"*")
	if err != nil {
		return "", nil, fmt.Errorf("create temp dir: %w", err)
	}
	return dir, []func() error{func() error { return os.RemoveAll(dir) }}, nil
}

// httpOK succeeds when GET url answers 200.
func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("build request for %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
