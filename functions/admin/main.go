// Command admin serves the admin API.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/fn/adminfn"
	"github.com/leadflow/leadflow/shared/fn/fnmain"
)

func main() {
	fnmain.Start(adminfn.ConfigFromEnv, func(awsCfg aws.Config, cfg adminfn.Config, log *slog.Logger) any {
		return adminfn.New(awsCfg, cfg, log).Handle
	})
}
