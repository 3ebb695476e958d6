// Command leadflow is the operator's tool. `leadflow defs validate|diff|pull`
// keeps definitions/ and a running deployment in step; see README.md.
package main

import (
	"context"
	"os"

	"github.com/leadflow/leadflow/cmd/leadflow/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
