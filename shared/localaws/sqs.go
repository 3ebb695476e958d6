package localaws

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/leadflow/leadflow/shared/localaws/sqsd"
)

// StartSQS starts goaws with a generated config and waits until it answers.
// Queues are created by the caller (CreateQueue), as the stack's code does.
//
// goaws listens on 0.0.0.0 with no option to change it; the endpoint handed out is
// loopback. Queue URLs come back as http://127.0.0.1:PORT/000000000000/NAME and ARNs as
// arn:aws:sqs::000000000000:NAME (no region: with a region goaws would put it in front
// of the host, giving URLs that do not resolve). Read ARNs with GetQueueAttributes
// rather than formatting them.
func StartSQS(ctx context.Context, o Options) (*Process, error) {
	o, err := prepare(o)
	if err != nil {
		return nil, fmt.Errorf("start sqs: %w", err)
	}
	root := o.Root
	bin := filepath.Join(toolsDir(root), "goaws")
	if err := requireFile(bin); err != nil {
		return nil, fmt.Errorf("start sqs: %w", err)
	}

	return start(ctx, o, spec{
		name: "sqs",
		build: func(port int) (*exec.Cmd, []func() error, error) {
			dir, cleanups, err := configDir(o.DataDir, "localaws-goaws-")
			if err != nil {
				return nil, nil, fmt.Errorf("start sqs: %w", err)
			}
			conf := filepath.Join(dir, "goaws.yaml")
			if err := os.WriteFile(conf, []byte(sqsd.Config(port)), 0o644); err != nil {
				runCleanups(cleanups)
				return nil, nil, fmt.Errorf("start sqs: write %s: %w", conf, err)
			}
			// -config is required: without it goaws walks its whole working
			// directory tree looking for any goaws.yaml. warn keeps message bodies
			// out of the log while still showing errors.
			cmd := exec.Command(bin, "-config", conf, "-loglevel", "warn", "Local")
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
