// Command hellotypes is bench/coldstart/hello plus the DynamoDB types
// package that shared/store/dynamo builds every request from: what linking
// those types alone costs a cold start (`-extra ./bench/coldstart/hellotypes`).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (string, error) { return "hello", nil })
}
