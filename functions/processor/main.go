// Command processor consumes the events queue and updates contacts.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/fn/fnmain"
	"github.com/leadflow/leadflow/shared/fn/processorfn"
)

func main() {
	fnmain.Start(processorfn.ConfigFromEnv, func(awsCfg aws.Config, cfg processorfn.Config, log *slog.Logger) any {
		return processorfn.New(awsCfg, cfg, log).Handle
	})
}
