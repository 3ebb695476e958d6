// Command jobs runs background jobs page by page (re-scoring after a model change).
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/fn/fnmain"
	"github.com/leadflow/leadflow/shared/fn/jobsfn"
)

func main() {
	fnmain.Start(jobsfn.ConfigFromEnv, func(awsCfg aws.Config, cfg jobsfn.Config, log *slog.Logger) any {
		return jobsfn.New(awsCfg, cfg, log).Handle
	})
}
