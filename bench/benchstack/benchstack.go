// Package benchstack starts what a local-stack benchmark needs: the local
// servers, a platform on a table and queues of its own, and the admin API
// on an HTTP test server.
package benchstack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// Stack is a running local platform. Close stops it.
type Stack struct {
	Servers  *runner.Servers
	Platform *runner.Platform
	API      *httptest.Server
	Table    string
	// Store reads and writes the platform's table directly (seeding).
	Store *dynamo.Store
}

// Start brings a stack up with the admin token "bench". tag names the
// benchmark in the table and queue prefix, so runs never share state.
func Start(ctx context.Context, tag string) (*Stack, error) {
	return StartWith(ctx, tag, nil)
}

// StartWith is Start with the platform's options adjusted first (a site to
// post events to, a Meter's middleware, page sizes).
func StartWith(ctx context.Context, tag string, adjust func(*runner.Options)) (*Stack, error) {
	root, err := localaws.RepoRoot()
	if err != nil {
		return nil, err
	}
	srv, err := runner.StartServers(ctx, runner.ServerOptions{Root: root})
	if err != nil {
		return nil, fmt.Errorf("start servers: %w", err)
	}
	prefix := fmt.Sprintf("%s%d-", tag, time.Now().Unix()%1e6)
	table := prefix + "leadflow"
	opts := runner.Options{
		Endpoints: srv.Endpoints(), Table: table, QueuePrefix: prefix, AdminToken: "bench",
		NoSchedules: true, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	if adjust != nil {
		adjust(&opts)
	}
	p, err := runner.New(ctx, opts)
	if err != nil {
		srv.Stop()
		return nil, fmt.Errorf("start platform: %w", err)
	}
	p.Start(ctx)
	return &Stack{
		Servers: srv, Platform: p, API: httptest.NewServer(p), Table: table,
		Store: dynamo.New(dynamodb.NewFromConfig(runner.AWSConfig(srv.Endpoints())), table),
	}, nil
}

// Close stops the API server and the local servers.
func (s *Stack) Close() {
	s.API.Close()
	s.Servers.Stop()
}

// DaytimeZone is a fixed-offset zone where it is now about noon, so
// marketing mail to contacts in it is never held back by quiet hours,
// whenever a bench runs.
func DaytimeZone() string {
	off := 12 - time.Now().UTC().Hour()
	switch {
	case off > 12:
		off -= 24
	case off < -12:
		off += 24
	}
	switch {
	case off == 0:
		return "Etc/GMT"
	case off > 0:
		return "Etc/GMT-" + strconv.Itoa(off) // POSIX signs: GMT-5 is five hours east
	}
	return "Etc/GMT+" + strconv.Itoa(-off)
}
