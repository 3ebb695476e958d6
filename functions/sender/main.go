// Command sender consumes the sends queue and sends mail through SES.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/fn/fnmain"
	"github.com/leadflow/leadflow/shared/fn/senderfn"
)

func main() {
	fnmain.Start(senderfn.ConfigFromEnv, func(awsCfg aws.Config, cfg senderfn.Config, log *slog.Logger) any {
		return senderfn.New(awsCfg, cfg, log).Handle
	})
}
