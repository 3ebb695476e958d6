package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	ddbtypes "github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	lfeb "github.com/leadflow/leadflow/shared/awsapi/eventbridge"
	ebtypes "github.com/leadflow/leadflow/shared/awsapi/eventbridge/types"
	lfsqs "github.com/leadflow/leadflow/shared/awsapi/sqs"
	sqstypes "github.com/leadflow/leadflow/shared/awsapi/sqs/types"
)

// TestMeterPricesTheFunctionsOwnClients: the functions call AWS through
// shared/awsapi, whose inputs the meter must price like the SDK's: a
// PutEvents by its entries (EventBridge bills each), a send by its 64 KB
// chunks. Before, the bus events of segment transitions went unpriced.
func TestMeterPricesTheFunctionsOwnClients(t *testing.T) {
	m := newMeter()
	var s opStats
	m.price(&s, &lfeb.PutEventsInput{Entries: make([]ebtypes.PutEventsRequestEntry, 7)}, nil, nil)
	if s.Messages != 7 {
		t.Errorf("PutEvents of 7 entries counted %d", s.Messages)
	}
	s = opStats{}
	big := strings.Repeat("x", 40*1024)
	m.price(&s, &lfsqs.SendMessageBatchInput{Entries: []sqstypes.SendMessageBatchRequestEntry{{MessageBody: aws.String(big)}, {MessageBody: aws.String(big)}}}, nil, nil)
	if s.SQSBilled != 2 || s.Messages != 2 {
		t.Errorf("a batch of 80 KB billed %d requests for %d messages, want 2 for 2", s.SQSBilled, s.Messages)
	}
	s = opStats{}
	m.price(&s, &lfsqs.SendMessageInput{MessageBody: aws.String("{}")}, nil, nil)
	if s.SQSBilled != 1 || s.Messages != 1 {
		t.Errorf("a small send billed %d requests, counted %d messages", s.SQSBilled, s.Messages)
	}
}

// TestBatchedWritesAreSplitByItem: a BatchWriteItem's requests are
// reported by the item each writes (chunks, member items), puts by size.
func TestBatchedWritesAreSplitByItem(t *testing.T) {
	var s opStats
	chunk := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "C#c_1"}, "sk": &ddbtypes.AttributeValueMemberS{Value: "E#x"},
		"z": &ddbtypes.AttributeValueMemberB{Value: make([]byte, 1500)}}
	member := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "M#s#hot#3"}, "sk": &ddbtypes.AttributeValueMemberS{Value: "c_1"}}
	countBatched(&s, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{"t": {
		{PutRequest: &ddbtypes.PutRequest{Item: chunk}}, {PutRequest: &ddbtypes.PutRequest{Item: member}}, {DeleteRequest: &ddbtypes.DeleteRequest{Key: member}},
	}}})
	want := map[string]batchedKind{"(timeline chunk)": {1, 2}, "(M)": {1, 1}, "(M) delete": {1, 1}}
	if len(s.Batched) != len(want) {
		t.Fatalf("batched %v, want %v", s.Batched, want)
	}
	for k, w := range want {
		if s.Batched[k] != w {
			t.Errorf("%s: %+v, want %+v", k, s.Batched[k], w)
		}
	}
}
