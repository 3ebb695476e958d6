// Command ingest is the Lambda behind the public tracking routes.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/leadflow/leadflow/shared/fn/ingestfn"
)

func main() {
	log := lambdacontext.NewLogger()
	cfg, err := ingestfn.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("aws configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(ingestfn.New(awsCfg, cfg, log).Handle)
}
