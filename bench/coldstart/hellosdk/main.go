// Command hellosdk is bench/coldstart/hello plus the DynamoDB and SQS
// service packages every table function links: the floor those functions
// start from (`-extra ./bench/coldstart/hellosdk`).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	_ "github.com/aws/aws-sdk-go-v2/service/sqs"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (string, error) { return "hello", nil })
}
