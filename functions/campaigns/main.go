// Command campaigns runs campaign firings, fan-out pages and A/B decisions.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/fn/campaignsfn"
	"github.com/leadflow/leadflow/shared/fn/fnmain"
)

func main() {
	fnmain.Start(campaignsfn.ConfigFromEnv, func(awsCfg aws.Config, cfg campaignsfn.Config, log *slog.Logger) any {
		return campaignsfn.New(awsCfg, cfg, log).Handle
	})
}
