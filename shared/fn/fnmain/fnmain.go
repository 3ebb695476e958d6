// Package fnmain is what every functions/<name>/main.go does: read the
// function's configuration from the environment once, load the AWS
// configuration, build the handler and start the Lambda runtime. A
// configuration error stops the cold start with a clear log line instead of
// failing every invocation.
package fnmain

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Start runs a function: configFromEnv reads its settings, build returns
// its handler function (anything lambda.Start accepts).
func Start[C any](configFromEnv func(getenv func(string) string) (C, error), build func(awsCfg aws.Config, cfg C, log *slog.Logger) any) {
	log := lambdacontext.NewLogger()
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("aws configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(build(awsCfg, cfg, log))
}
