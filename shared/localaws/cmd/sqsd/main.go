// Command sqsd is the local SQS server: goaws v0.5.4's handlers, listening
// on 127.0.0.1 only (goaws's own main binds every interface), with an
// optional journal that keeps accepted messages across a crash.
//
//	sqsd -config goaws.yaml -port 9324 [-journal .local/data/sqs/journal]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/leadflow/leadflow/shared/localaws/sqsd"
)

func main() {
	config := flag.String("config", "", "goaws YAML config (required)")
	port := flag.Int("port", 0, "port on 127.0.0.1 (required)")
	journal := flag.String("journal", "", "journal file; empty keeps the queues in memory only")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(*config, *port, *journal, log); err != nil {
		log.Error("sqsd", "error", err)
		os.Exit(1)
	}
}

func run(config string, port int, journal string, log *slog.Logger) error {
	if config == "" || port <= 0 {
		return errors.New("-config and -port are required")
	}
	stop := make(chan bool)
	h, err := sqsd.Configure(config, stop)
	if err != nil {
		return err
	}
	var j *sqsd.Journal
	if journal != "" {
		if j, err = sqsd.OpenJournal(journal, h); err != nil {
			return err
		}
		log.Info("journal open", "path", journal, "replayed_messages", j.Replayed)
		h = j
	}
	// Loopback only: nothing here authenticates.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-sig
		srv.Shutdown(context.Background())
	}()
	log.Info("listening", "addr", ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	close(stop)
	if j != nil {
		return j.Close()
	}
	return nil
}
