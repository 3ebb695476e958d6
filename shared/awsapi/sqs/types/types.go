// Package types holds the SQS shapes Leadflow sends, named and typed as in
// github.com/aws/aws-sdk-go-v2/service/sqs/types; see package shared/awsapi.
package types

// SendMessageBatchRequestEntry is one message of a SendMessageBatch.
type SendMessageBatchRequestEntry struct {
	Id                     *string
	MessageBody            *string
	DelaySeconds           int32
	MessageDeduplicationId *string
	MessageGroupId         *string
}

// SendMessageBatchResultEntry is one message a SendMessageBatch sent.
type SendMessageBatchResultEntry struct {
	Id               *string
	MessageId        *string
	MD5OfMessageBody *string
	SequenceNumber   *string
}

// BatchResultErrorEntry is one message a batch did not send.
type BatchResultErrorEntry struct {
	Code        *string
	Id          *string
	SenderFault bool
	Message     *string
}
