// Package types holds the DynamoDB shapes Leadflow uses, named and typed
// as in github.com/aws/aws-sdk-go-v2/service/dynamodb/types so that code
// written for the SDK compiles against them unchanged; see package
// shared/awsapi for why.
package types

import (
	"fmt"

	"github.com/aws/smithy-go"
)

// AttributeValue is one of the AttributeValueMember* types.
type AttributeValue interface{ isAttributeValue() }

// AttributeValueMemberB is a binary value.
type AttributeValueMemberB struct{ Value []byte }

// AttributeValueMemberBOOL is a boolean value.
type AttributeValueMemberBOOL struct{ Value bool }

// AttributeValueMemberBS is a binary set.
type AttributeValueMemberBS struct{ Value [][]byte }

// AttributeValueMemberL is a list.
type AttributeValueMemberL struct{ Value []AttributeValue }

// AttributeValueMemberM is a map.
type AttributeValueMemberM struct{ Value map[string]AttributeValue }

// AttributeValueMemberN is a number, in its decimal string form.
type AttributeValueMemberN struct{ Value string }

// AttributeValueMemberNS is a number set.
type AttributeValueMemberNS struct{ Value []string }

// AttributeValueMemberNULL is a null (Value true).
type AttributeValueMemberNULL struct{ Value bool }

// AttributeValueMemberS is a string.
type AttributeValueMemberS struct{ Value string }

// AttributeValueMemberSS is a string set.
type AttributeValueMemberSS struct{ Value []string }

func (*AttributeValueMemberB) isAttributeValue()    {}
func (*AttributeValueMemberBOOL) isAttributeValue() {}
func (*AttributeValueMemberBS) isAttributeValue()   {}
func (*AttributeValueMemberL) isAttributeValue()    {}
func (*AttributeValueMemberM) isAttributeValue()    {}
func (*AttributeValueMemberN) isAttributeValue()    {}
func (*AttributeValueMemberNS) isAttributeValue()   {}
func (*AttributeValueMemberNULL) isAttributeValue() {}
func (*AttributeValueMemberS) isAttributeValue()    {}
func (*AttributeValueMemberSS) isAttributeValue()   {}

// Enums, as strings.
type (
	ReturnConsumedCapacity              string
	ReturnValue                         string
	ReturnValuesOnConditionCheckFailure string
	ReturnItemCollectionMetrics         string
	Select                              string
	ScalarAttributeType                 string
	KeyType                             string
	BillingMode                         string
	ProjectionType                      string
	TableStatus                         string
)

const (
	ReturnConsumedCapacityIndexes ReturnConsumedCapacity = "INDEXES"
	ReturnConsumedCapacityTotal   ReturnConsumedCapacity = "TOTAL"
	ReturnConsumedCapacityNone    ReturnConsumedCapacity = "NONE"

	ReturnValueNone       ReturnValue = "NONE"
	ReturnValueAllOld     ReturnValue = "ALL_OLD"
	ReturnValueUpdatedOld ReturnValue = "UPDATED_OLD"
	ReturnValueAllNew     ReturnValue = "ALL_NEW"
	ReturnValueUpdatedNew ReturnValue = "UPDATED_NEW"

	ReturnValuesOnConditionCheckFailureAllOld ReturnValuesOnConditionCheckFailure = "ALL_OLD"
	ReturnValuesOnConditionCheckFailureNone   ReturnValuesOnConditionCheckFailure = "NONE"

	SelectAllAttributes          Select = "ALL_ATTRIBUTES"
	SelectAllProjectedAttributes Select = "ALL_PROJECTED_ATTRIBUTES"
	SelectSpecificAttributes     Select = "SPECIFIC_ATTRIBUTES"
	SelectCount                  Select = "COUNT"

	ScalarAttributeTypeS ScalarAttributeType = "S"
	ScalarAttributeTypeN ScalarAttributeType = "N"
	ScalarAttributeTypeB ScalarAttributeType = "B"

	KeyTypeHash  KeyType = "HASH"
	KeyTypeRange KeyType = "RANGE"

	BillingModeProvisioned   BillingMode = "PROVISIONED"
	BillingModePayPerRequest BillingMode = "PAY_PER_REQUEST"

	ProjectionTypeAll      ProjectionType = "ALL"
	ProjectionTypeKeysOnly ProjectionType = "KEYS_ONLY"
	ProjectionTypeInclude  ProjectionType = "INCLUDE"

	TableStatusCreating TableStatus = "CREATING"
	TableStatusUpdating TableStatus = "UPDATING"
	TableStatusDeleting TableStatus = "DELETING"
	TableStatusActive   TableStatus = "ACTIVE"
)

// Capacity is the units one table or index consumed.
type Capacity struct {
	CapacityUnits      *float64
	ReadCapacityUnits  *float64
	WriteCapacityUnits *float64
}

// ConsumedCapacity is what a request consumed (ReturnConsumedCapacity).
type ConsumedCapacity struct {
	CapacityUnits          *float64
	GlobalSecondaryIndexes map[string]Capacity
	LocalSecondaryIndexes  map[string]Capacity
	ReadCapacityUnits      *float64
	Table                  *Capacity
	TableName              *string
	WriteCapacityUnits     *float64
}

// KeysAndAttributes is one table's part of a BatchGetItem.
type KeysAndAttributes struct {
	Keys                     []map[string]AttributeValue
	ConsistentRead           *bool
	ExpressionAttributeNames map[string]string
	ProjectionExpression     *string
}

// WriteRequest is one put or delete of a BatchWriteItem.
type WriteRequest struct {
	DeleteRequest *DeleteRequest
	PutRequest    *PutRequest
}

// PutRequest puts an item in a BatchWriteItem.
type PutRequest struct{ Item map[string]AttributeValue }

// DeleteRequest deletes an item in a BatchWriteItem.
type DeleteRequest struct{ Key map[string]AttributeValue }

// TransactWriteItem is one action of a TransactWriteItems.
type TransactWriteItem struct {
	ConditionCheck *ConditionCheck
	Delete         *Delete
	Put            *Put
	Update         *Update
}

// ConditionCheck checks a condition on an item in a transaction.
type ConditionCheck struct {
	ConditionExpression                 *string
	Key                                 map[string]AttributeValue
	TableName                           *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]AttributeValue
	ReturnValuesOnConditionCheckFailure ReturnValuesOnConditionCheckFailure
}

// Delete deletes an item in a transaction.
type Delete struct {
	Key                                 map[string]AttributeValue
	TableName                           *string
	ConditionExpression                 *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]AttributeValue
	ReturnValuesOnConditionCheckFailure ReturnValuesOnConditionCheckFailure
}

// Put puts an item in a transaction.
type Put struct {
	Item                                map[string]AttributeValue
	TableName                           *string
	ConditionExpression                 *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]AttributeValue
	ReturnValuesOnConditionCheckFailure ReturnValuesOnConditionCheckFailure
}

// Update updates an item in a transaction.
type Update struct {
	Key                                 map[string]AttributeValue
	TableName                           *string
	UpdateExpression                    *string
	ConditionExpression                 *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]AttributeValue
	ReturnValuesOnConditionCheckFailure ReturnValuesOnConditionCheckFailure
}

// TransactGetItem is one read of a TransactGetItems.
type TransactGetItem struct{ Get *Get }

// Get reads an item in a TransactGetItems.
type Get struct {
	Key                      map[string]AttributeValue
	TableName                *string
	ExpressionAttributeNames map[string]string
	ProjectionExpression     *string
}

// ItemResponse is one item a TransactGetItems read.
type ItemResponse struct{ Item map[string]AttributeValue }

// CancellationReason says why one action of a cancelled transaction failed
// (Code "None" for those that did not).
type CancellationReason struct {
	Code    *string
	Item    map[string]AttributeValue
	Message *string
}

// Table definition shapes (CreateTable, DescribeTable: local tables only).

type AttributeDefinition struct {
	AttributeName *string             `json:",omitempty"`
	AttributeType ScalarAttributeType `json:",omitempty"`
}

type KeySchemaElement struct {
	AttributeName *string `json:",omitempty"`
	KeyType       KeyType `json:",omitempty"`
}

type Projection struct {
	NonKeyAttributes []string       `json:",omitempty"`
	ProjectionType   ProjectionType `json:",omitempty"`
}

type GlobalSecondaryIndex struct {
	IndexName  *string            `json:",omitempty"`
	KeySchema  []KeySchemaElement `json:",omitempty"`
	Projection *Projection        `json:",omitempty"`
}

type TimeToLiveSpecification struct {
	AttributeName *string `json:",omitempty"`
	Enabled       *bool   `json:",omitempty"`
}

type TableDescription struct {
	TableName   *string     `json:",omitempty"`
	TableStatus TableStatus `json:",omitempty"`
	ItemCount   *int64      `json:",omitempty"`
}

// Errors. Each implements smithy.APIError, as the SDK's do.

func errorString(code, msg string) string { return fmt.Sprintf("%s: %s", code, msg) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ConditionalCheckFailedException: a write's condition was false. Item
// is the item as it was, when the request asked for ALL_OLD.
type ConditionalCheckFailedException struct {
	Message           *string
	ErrorCodeOverride *string
	Item              map[string]AttributeValue
}

func (e *ConditionalCheckFailedException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *ConditionalCheckFailedException) ErrorMessage() string { return deref(e.Message) }
func (e *ConditionalCheckFailedException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ConditionalCheckFailedException"
	}
	return *e.ErrorCodeOverride
}
func (e *ConditionalCheckFailedException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// TransactionCanceledException: a transaction was cancelled; one reason per
// action, in order.
type TransactionCanceledException struct {
	Message             *string
	ErrorCodeOverride   *string
	CancellationReasons []CancellationReason
}

func (e *TransactionCanceledException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *TransactionCanceledException) ErrorMessage() string { return deref(e.Message) }
func (e *TransactionCanceledException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "TransactionCanceledException"
	}
	return *e.ErrorCodeOverride
}
func (e *TransactionCanceledException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// Errors with a message only.

// ResourceNotFoundException is DynamoDB's error of that name.
type ResourceNotFoundException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *ResourceNotFoundException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *ResourceNotFoundException) ErrorMessage() string { return deref(e.Message) }
func (e *ResourceNotFoundException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ResourceNotFoundException"
	}
	return *e.ErrorCodeOverride
}
func (e *ResourceNotFoundException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// ResourceInUseException is DynamoDB's error of that name.
type ResourceInUseException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *ResourceInUseException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *ResourceInUseException) ErrorMessage() string { return deref(e.Message) }
func (e *ResourceInUseException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ResourceInUseException"
	}
	return *e.ErrorCodeOverride
}
func (e *ResourceInUseException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// ProvisionedThroughputExceededException is DynamoDB's error of that name.
type ProvisionedThroughputExceededException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *ProvisionedThroughputExceededException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *ProvisionedThroughputExceededException) ErrorMessage() string { return deref(e.Message) }
func (e *ProvisionedThroughputExceededException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ProvisionedThroughputExceededException"
	}
	return *e.ErrorCodeOverride
}
func (e *ProvisionedThroughputExceededException) ErrorFault() smithy.ErrorFault {
	return smithy.FaultClient
}

// RequestLimitExceeded is DynamoDB's error of that name.
type RequestLimitExceeded struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *RequestLimitExceeded) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *RequestLimitExceeded) ErrorMessage() string { return deref(e.Message) }
func (e *RequestLimitExceeded) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "RequestLimitExceeded"
	}
	return *e.ErrorCodeOverride
}
func (e *RequestLimitExceeded) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// ThrottlingException is DynamoDB's error of that name.
type ThrottlingException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *ThrottlingException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *ThrottlingException) ErrorMessage() string { return deref(e.Message) }
func (e *ThrottlingException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ThrottlingException"
	}
	return *e.ErrorCodeOverride
}
func (e *ThrottlingException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// TransactionConflictException is DynamoDB's error of that name.
type TransactionConflictException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *TransactionConflictException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *TransactionConflictException) ErrorMessage() string { return deref(e.Message) }
func (e *TransactionConflictException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "TransactionConflictException"
	}
	return *e.ErrorCodeOverride
}
func (e *TransactionConflictException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// TransactionInProgressException is DynamoDB's error of that name.
type TransactionInProgressException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *TransactionInProgressException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *TransactionInProgressException) ErrorMessage() string { return deref(e.Message) }
func (e *TransactionInProgressException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "TransactionInProgressException"
	}
	return *e.ErrorCodeOverride
}
func (e *TransactionInProgressException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// ItemCollectionSizeLimitExceededException is DynamoDB's error of that name.
type ItemCollectionSizeLimitExceededException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *ItemCollectionSizeLimitExceededException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *ItemCollectionSizeLimitExceededException) ErrorMessage() string { return deref(e.Message) }
func (e *ItemCollectionSizeLimitExceededException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ItemCollectionSizeLimitExceededException"
	}
	return *e.ErrorCodeOverride
}
func (e *ItemCollectionSizeLimitExceededException) ErrorFault() smithy.ErrorFault {
	return smithy.FaultClient
}

// IdempotentParameterMismatchException is DynamoDB's error of that name.
type IdempotentParameterMismatchException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *IdempotentParameterMismatchException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *IdempotentParameterMismatchException) ErrorMessage() string { return deref(e.Message) }
func (e *IdempotentParameterMismatchException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "IdempotentParameterMismatchException"
	}
	return *e.ErrorCodeOverride
}
func (e *IdempotentParameterMismatchException) ErrorFault() smithy.ErrorFault {
	return smithy.FaultClient
}

// LimitExceededException is DynamoDB's error of that name.
type LimitExceededException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *LimitExceededException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *LimitExceededException) ErrorMessage() string { return deref(e.Message) }
func (e *LimitExceededException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "LimitExceededException"
	}
	return *e.ErrorCodeOverride
}
func (e *LimitExceededException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// InternalServerError is DynamoDB's error of that name.
type InternalServerError struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *InternalServerError) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *InternalServerError) ErrorMessage() string { return deref(e.Message) }
func (e *InternalServerError) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InternalServerError"
	}
	return *e.ErrorCodeOverride
}
func (e *InternalServerError) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }
