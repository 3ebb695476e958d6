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
	"github.com/leadflow/leadflow/shared/awsapi/eventbridge"
	ebtypes "github.com/leadflow/leadflow/shared/awsapi/eventbridge/types"
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
		{name: "writes count consumed capacity as write units", input: &dynamodb.BatchWriteItemInput{},
			output: &dynamodb.BatchWriteItemOutput{ConsumedCapacity: []ddbtypes.ConsumedCapacity{{CapacityUnits: aws.Float64(2)}, {CapacityUnits: aws.Float64(4)}}},
			want:   Stats{WRU: 6}},
		// DynamoDB Local reports 4 for any transaction: priced by AWS's rule,
		// 2 WRU per KB of each item, whatever was reported.
		{name: "a transaction is 2 WRU per item and KB", input: &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
			{Put: &ddbtypes.Put{Item: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "M#s#a#0"}}}},
			{Put: &ddbtypes.Put{Item: map[string]ddbtypes.AttributeValue{"d": &ddbtypes.AttributeValueMemberB{Value: make([]byte, 1500)}}}},
			{Delete: &ddbtypes.Delete{}}, {Update: &ddbtypes.Update{}}}},
			output: &dynamodb.TransactWriteItemsOutput{ConsumedCapacity: []ddbtypes.ConsumedCapacity{{CapacityUnits: aws.Float64(4)}}},
			want:   Stats{WRU: 2 + 4 + 2 + 2}},
		{name: "PutEvents counts its entries", input: &eventbridge.PutEventsInput{Entries: make([]ebtypes.PutEventsRequestEntry, 7)}, want: Stats{Entries: 7}},
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
	for sk, want := range map[string]string{"P": "C", "E#2026-12-07T10:00:00.000Z#00ff": "C/E", "JR#welcome#r1": "C/JR"} {
		in := &dynamodb.PutItemInput{Item: map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: "C#123"}, "sk": &ddbtypes.AttributeValueMemberS{Value: sk}}}
		if got := itemKind(in); got != want {
			t.Errorf("itemKind of sk %q = %q, want %q", sk, got, want)
		}
	}
	if got := itemKind(&dynamodb.QueryInput{}); got != "" {
		t.Errorf("itemKind of a query = %q, want empty", got)
	}
	send := &sqs.SendMessageBatchInput{QueueUrl: aws.String("http://127.0.0.1:4100/000000000000/bc123-sends")}
	if got := itemKind(send); got != "bc123-sends" {
		t.Errorf("itemKind of an SQS batch = %q, want the queue's name", got)
	}
	pk := func(v string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: v}}
	}
	tx := &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
		{Update: &ddbtypes.Update{Key: pk("SEND#a")}}, {Update: &ddbtypes.Update{Key: pk("CSTAT#x#1")}}, {Put: &ddbtypes.Put{Item: pk("SEND#b")}},
	}}
	if got := itemKind(tx); got != "SEND+CSTAT" {
		t.Errorf("itemKind of a transaction = %q, want SEND+CSTAT", got)
	}
}
