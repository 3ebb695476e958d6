// Command timers fires due timers every minute (EventBridge Scheduler).
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/fn/fnmain"
	"github.com/leadflow/leadflow/shared/fn/timersfn"
)

func main() {
	fnmain.Start(timersfn.ConfigFromEnv, func(awsCfg aws.Config, cfg timersfn.Config, log *slog.Logger) any {
		return timersfn.New(awsCfg, cfg, log).Handle
	})
}
