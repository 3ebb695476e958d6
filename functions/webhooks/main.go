// Command webhooks consumes the webhooks queue and delivers signed webhooks.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/fn/fnmain"
	"github.com/leadflow/leadflow/shared/fn/webhooksfn"
)

func main() {
	fnmain.Start(webhooksfn.ConfigFromEnv, func(awsCfg aws.Config, cfg webhooksfn.Config, log *slog.Logger) any {
		return webhooksfn.New(awsCfg, cfg, log).Handle
	})
}
