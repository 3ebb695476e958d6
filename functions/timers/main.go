// Command timers fires due timers every minute (EventBridge Scheduler).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/leadflow/leadflow/shared/fn/timersfn"
)

func main() {
	log := lambdacontext.NewLogger()
	cfg, err := timersfn.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("aws configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(timersfn.New(awsCfg, cfg, log).Handle)
}
