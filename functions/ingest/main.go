// Command ingest is the Lambda behind the public tracking routes.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/fn/fnmain"
	"github.com/leadflow/leadflow/shared/fn/ingestfn"
)

func main() {
	fnmain.Start(ingestfn.ConfigFromEnv, func(awsCfg aws.Config, cfg ingestfn.Config, log *slog.Logger) any {
		return ingestfn.New(awsCfg, cfg, log)
	})
}
