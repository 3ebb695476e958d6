package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"

	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// localDB is DynamoDB Local, started once for the package: the JVM takes
// seconds to start, and every test gets its own table anyway.
var localDB *dynamodb.Client

func TestMain(m *testing.M) {
	root, err := localaws.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	proc, err := localaws.StartDynamoDB(context.Background(), localaws.Options{Root: root, Port: 0})
	if err != nil {
		// Fail, never skip: a missing server is a broken set-up.
		fmt.Fprintln(os.Stderr, "DynamoDB Local:", err)
		os.Exit(1)
	}
	cfg, err := localaws.AWSConfig(context.Background(), proc.Endpoint)
	if err != nil {
		proc.Stop()
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// DynamoDB Local's error responses carry no CRC header; skip the check.
	localDB = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
	code := m.Run()
	if err := proc.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop DynamoDB Local:", err)
	}
	os.Exit(code)
}

var tableSeq atomic.Int64

// localTable creates a fresh table shaped like the stack's for one test.
func localTable(t *testing.T, name string) (*dynamodb.Client, *dynamo.Store) {
	t.Helper()
	table := fmt.Sprintf("%s-%d", name, tableSeq.Add(1))
	if err := dynamo.CreateTable(t.Context(), localDB, table); err != nil {
		t.Fatal(err)
	}
	return localDB, dynamo.New(localDB, table)
}
