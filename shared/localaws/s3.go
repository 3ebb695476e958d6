package localaws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"
)

// S3Server is the local S3-compatible server: gofakes3 served from this
// process. Unlike the other servers it needs no install step (it is a Go
// module), so it runs in-process; with a data folder its objects are files
// there and survive a restart or a crash of `make dev`.
type S3Server struct {
	Endpoint string // http://127.0.0.1:PORT (path-style addressing)
	Port     int
	srv      *http.Server
	done     chan struct{}
}

// StartS3 serves gofakes3 on 127.0.0.1 (o.Port, or a free port when 0) for
// as long as ctx lasts. o.DataDir keeps the buckets on disk; "" keeps them
// in memory. Stop ends it.
func StartS3(ctx context.Context, o Options) (*S3Server, error) {
	o, err := prepare(o)
	if err != nil {
		return nil, fmt.Errorf("start s3: %w", err)
	}
	var backend gofakes3.Backend
	if o.DataDir != "" {
		if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("start s3: create %s: %w", o.DataDir, err)
		}
		b, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), o.DataDir))
		if err != nil {
			return nil, fmt.Errorf("start s3: on-disk backend in %s: %w", o.DataDir, err)
		}
		backend = b
	} else {
		backend = s3mem.New()
	}
	port := o.Port
	var ln net.Listener
	if port != 0 {
		if err := portFree(port); err != nil {
			return nil, fmt.Errorf("start s3: %w", err)
		}
	}
	if ln, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err != nil {
		return nil, fmt.Errorf("start s3: listen on port %d: %w", port, err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	fake := gofakes3.New(backend, gofakes3.WithAutoBucket(false), gofakes3.WithLogger(slogS3{}))
	s := &S3Server{
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), Port: port,
		srv:  &http.Server{Handler: fake.Server(), ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("local s3 server", "error", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Stop()
		case <-s.done:
		}
	}()
	return s, nil
}

// Stop closes the server (connections in progress are cut, as a crash would).
func (s *S3Server) Stop() error {
	err := s.srv.Close()
	<-s.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// slogS3 drops gofakes3's per-request logging: the functions log what they do.
type slogS3 struct{}

func (slogS3) Print(level gofakes3.LogLevel, v ...any) {
	if level == gofakes3.LogErr {
		slog.Warn("local s3", "message", fmt.Sprint(v...))
	}
}
