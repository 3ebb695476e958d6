package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

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
