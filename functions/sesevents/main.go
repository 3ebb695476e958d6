// Command sesevents applies SES's events: deliveries, bounces and
// complaints (suppression), opens and clicks, and sends left in doubt.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/fn/fnmain"
	"github.com/leadflow/leadflow/shared/fn/seseventsfn"
)

func main() {
	fnmain.Start(seseventsfn.ConfigFromEnv, func(awsCfg aws.Config, cfg seseventsfn.Config, log *slog.Logger) any {
		return seseventsfn.New(awsCfg, cfg, log).Handle
	})
}
