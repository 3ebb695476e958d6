// Package sqsd serves goaws v0.5.4, the local SQS server, from our own code
// rather than goaws's main: that main listens on 0.0.0.0 with no option to
// change it, and keeps its queues only in memory. Here the caller chooses
// the listener (loopback only, see cmd/sqsd), and a journal can keep
// accepted messages across a crash.
//
// goaws keeps its state in package globals, so one process serves one
// goaws.
package sqsd

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/Admiral-Piett/goaws/app/conf"
	"github.com/Admiral-Piett/goaws/app/gosqs"
	"github.com/Admiral-Piett/goaws/app/router"
	log "github.com/sirupsen/logrus"
)

// Configure loads goaws's YAML config (environment "Local") and returns its
// router, with the background task that expires visibility timeouts and
// dead-letters messages running until stop is closed.
func Configure(configFile string, stop chan bool) (http.Handler, error) {
	if _, err := os.Stat(configFile); err != nil {
		// goaws would silently fall back to searching the working directory.
		return nil, fmt.Errorf("goaws config: %w", err)
	}
	log.SetFormatter(&log.JSONFormatter{})
	// Warnings and errors only: goaws logs every message body at info.
	log.SetLevel(log.WarnLevel)
	conf.LoadYamlConfig(configFile, "Local")
	go gosqs.PeriodicTasks(time.Second, stop)
	return router.New(), nil
}

// Config is goaws's YAML (read through ghodss/yaml, so Port must be a string).
// The defaults mirror SQS's: 30 s visibility, 256 KiB messages, 4 days retention.
func Config(port int) string {
	return `Local:
  Host: 127.0.0.1
  Port: "` + strconv.Itoa(port) + `"
  Region: ""
  AccountID: "000000000000"
  LogToFile: false
  EnableDuplicates: false
  QueueAttributeDefaults:
    VisibilityTimeout: 30
    ReceiveMessageWaitTimeSeconds: 0
    MaximumMessageSize: 262144
    MessageRetentionPeriod: 345600
  Queues: []
  Topics: []
`
}
