// Command links serves the public links in email: open pixel, click
// redirects, one-click unsubscribe, preference centre, double opt-in.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/fn/fnmain"
	"github.com/leadflow/leadflow/shared/fn/linksfn"
)

func main() {
	fnmain.Start(linksfn.ConfigFromEnv, func(awsCfg aws.Config, cfg linksfn.Config, log *slog.Logger) any {
		return linksfn.New(awsCfg, cfg, log).Handle
	})
}
