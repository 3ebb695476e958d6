package benchmeter

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	ddbtypes "github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
)

func TestPriceCountsWhatAWSBills(t *testing.T) {
	big := strings.Repeat("x", 64*1024+1)
	tests := []struct {
		name   string
		input  any
		output any
		err    error
		want   Stats
	}{
		{name: "a send over 64 KB is two requests", input: &sqs.SendMessageInput{MessageBody: aws.String(big)}, want: Stats{SQSBilled: 2}},
		{name: "a batch is billed by its total payload", input: &sqs.SendMessageBatchInput{Entries: []sqstypes.SendMessageBatchRequestEntry{
			{MessageBody: aws.String("a")}, {MessageBody: aws.String("b")}}}, want: Stats{SQSBilled: 1}},
		{name: "an empty receive is billed and counted apart", input: &sqs.ReceiveMessageInput{}, output: &sqs.ReceiveMessageOutput{}, want: Stats{SQSBilled: 1, EmptyReceives: 1}},
		{name: "a receive with messages is not empty", input: &sqs.ReceiveMessageInput{},
			output: &sqs.ReceiveMessageOutput{Messages: []sqstypes.Message{{Body: aws.String("m")}}}, want: Stats{SQSBilled: 1}},
		{name: "other SQS calls are one request", input: &sqs.DeleteMessageInput{}, want: Stats{SQSBilled: 1}},
		{name: "a failed conditional write is a billed write", input: &dynamodb.PutItemInput{},
			err: &ddbtypes.ConditionalCheckFailedException{}, want: Stats{CondFailed: 1, WRU: 1}},
		{name: "another error bills nothing", input: &dynamodb.PutItemInput{}, err: errors.New("throttled"), want: Stats{}},
		{name: "writes count consumed capacity as write units", input: &dynamodb.TransactWriteItemsInput{},
			output: &dynamodb.TransactWriteItemsOutput{ConsumedCapacity: []ddbtypes.ConsumedCapacity{{CapacityUnits: aws.Float64(2)}, {CapacityUnits: aws.Float64(4)}}},
			want:   Stats{WRU: 6}},
		{name: "reads count as read units", input: &dynamodb.GetItemInput{},
			output: &dynamodb.GetItemOutput{ConsumedCapacity: &ddbtypes.ConsumedCapacity{CapacityUnits: aws.Float64(0.5)}}, want: Stats{RRU: 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s Stats
			price(&s, tc.input, tc.output, tc.err)
			if s != tc.want {
				t.Errorf("got %+v, want %+v", s, tc.want)
			}
		})
	}
}

func TestItemKindIsTheKeyPrefix(t *testing.T) {
	in := &dynamodb.UpdateItemInput{Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "C#123"}}}
	if got := itemKind(in); got != "C" {
		t.Errorf("itemKind = %q, want C", got)
	}
	if got := itemKind(&dynamodb.QueryInput{}); got != "" {
		t.Errorf("itemKind of a query = %q, want empty", got)
	}
}
