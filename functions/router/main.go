// Command router consumes the routing queue: it assigns qualified leads an
// owner, publishes lead.qualified and queues the webhooks.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/fn/fnmain"
	"github.com/leadflow/leadflow/shared/fn/routerfn"
)

func main() {
	fnmain.Start(routerfn.ConfigFromEnv, func(awsCfg aws.Config, cfg routerfn.Config, log *slog.Logger) any {
		return routerfn.New(awsCfg, cfg, log).Handle
	})
}
