// Package dynamodb is Leadflow's DynamoDB client: the operations it uses,
// with the SDK's names and shapes (github.com/aws/aws-sdk-go-v2/service/dynamodb),
// over the JSON 1.0 protocol. See package shared/awsapi for why.
package dynamodb

import "github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"

type GetItemInput struct {
	Key                      map[string]types.AttributeValue
	TableName                *string
	ConsistentRead           *bool
	ExpressionAttributeNames map[string]string
	ProjectionExpression     *string
	ReturnConsumedCapacity   types.ReturnConsumedCapacity
}

type GetItemOutput struct {
	ConsumedCapacity *types.ConsumedCapacity
	Item             map[string]types.AttributeValue
}

type PutItemInput struct {
	Item                                map[string]types.AttributeValue
	TableName                           *string
	ConditionExpression                 *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]types.AttributeValue
	ReturnConsumedCapacity              types.ReturnConsumedCapacity
	ReturnItemCollectionMetrics         types.ReturnItemCollectionMetrics
	ReturnValues                        types.ReturnValue
	ReturnValuesOnConditionCheckFailure types.ReturnValuesOnConditionCheckFailure
}

type PutItemOutput struct {
	Attributes       map[string]types.AttributeValue
	ConsumedCapacity *types.ConsumedCapacity
}

type UpdateItemInput struct {
	Key                                 map[string]types.AttributeValue
	TableName                           *string
	ConditionExpression                 *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]types.AttributeValue
	ReturnConsumedCapacity              types.ReturnConsumedCapacity
	ReturnItemCollectionMetrics         types.ReturnItemCollectionMetrics
	ReturnValues                        types.ReturnValue
	ReturnValuesOnConditionCheckFailure types.ReturnValuesOnConditionCheckFailure
	UpdateExpression                    *string
}

type UpdateItemOutput struct {
	Attributes       map[string]types.AttributeValue
	ConsumedCapacity *types.ConsumedCapacity
}

type DeleteItemInput struct {
	Key                                 map[string]types.AttributeValue
	TableName                           *string
	ConditionExpression                 *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]types.AttributeValue
	ReturnConsumedCapacity              types.ReturnConsumedCapacity
	ReturnItemCollectionMetrics         types.ReturnItemCollectionMetrics
	ReturnValues                        types.ReturnValue
	ReturnValuesOnConditionCheckFailure types.ReturnValuesOnConditionCheckFailure
}

type DeleteItemOutput struct {
	Attributes       map[string]types.AttributeValue
	ConsumedCapacity *types.ConsumedCapacity
}

type QueryInput struct {
	TableName                 *string
	ConsistentRead            *bool
	ExclusiveStartKey         map[string]types.AttributeValue
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]types.AttributeValue
	FilterExpression          *string
	IndexName                 *string
	KeyConditionExpression    *string
	Limit                     *int32
	ProjectionExpression      *string
	ReturnConsumedCapacity    types.ReturnConsumedCapacity
	ScanIndexForward          *bool
	Select                    types.Select
}

type QueryOutput struct {
	ConsumedCapacity *types.ConsumedCapacity
	Count            int32
	Items            []map[string]types.AttributeValue
	LastEvaluatedKey map[string]types.AttributeValue
	ScannedCount     int32
}

type ScanInput struct {
	TableName                 *string
	ConsistentRead            *bool
	ExclusiveStartKey         map[string]types.AttributeValue
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]types.AttributeValue
	FilterExpression          *string
	IndexName                 *string
	Limit                     *int32
	ProjectionExpression      *string
	ReturnConsumedCapacity    types.ReturnConsumedCapacity
	Segment                   *int32
	Select                    types.Select
	TotalSegments             *int32
}

type ScanOutput struct {
	ConsumedCapacity *types.ConsumedCapacity
	Count            int32
	Items            []map[string]types.AttributeValue
	LastEvaluatedKey map[string]types.AttributeValue
	ScannedCount     int32
}

type BatchGetItemInput struct {
	RequestItems           map[string]types.KeysAndAttributes
	ReturnConsumedCapacity types.ReturnConsumedCapacity
}

type BatchGetItemOutput struct {
	ConsumedCapacity []types.ConsumedCapacity
	Responses        map[string][]map[string]types.AttributeValue
	UnprocessedKeys  map[string]types.KeysAndAttributes
}

type BatchWriteItemInput struct {
	RequestItems                map[string][]types.WriteRequest
	ReturnConsumedCapacity      types.ReturnConsumedCapacity
	ReturnItemCollectionMetrics types.ReturnItemCollectionMetrics
}

type BatchWriteItemOutput struct {
	ConsumedCapacity []types.ConsumedCapacity
	UnprocessedItems map[string][]types.WriteRequest
}

type TransactWriteItemsInput struct {
	TransactItems               []types.TransactWriteItem
	ClientRequestToken          *string
	ReturnConsumedCapacity      types.ReturnConsumedCapacity
	ReturnItemCollectionMetrics types.ReturnItemCollectionMetrics
}

type TransactWriteItemsOutput struct {
	ConsumedCapacity []types.ConsumedCapacity
}

type TransactGetItemsInput struct {
	TransactItems          []types.TransactGetItem
	ReturnConsumedCapacity types.ReturnConsumedCapacity
}

type TransactGetItemsOutput struct {
	ConsumedCapacity []types.ConsumedCapacity
	Responses        []types.ItemResponse
}

// Table operations (local tables: DynamoDB Local, tests, benches). Their
// shapes hold no attribute values, so encoding/json writes them.

type CreateTableInput struct {
	AttributeDefinitions   []types.AttributeDefinition  `json:",omitempty"`
	KeySchema              []types.KeySchemaElement     `json:",omitempty"`
	TableName              *string                      `json:",omitempty"`
	BillingMode            types.BillingMode            `json:",omitempty"`
	GlobalSecondaryIndexes []types.GlobalSecondaryIndex `json:",omitempty"`
}

type CreateTableOutput struct {
	TableDescription *types.TableDescription
}

type DescribeTableInput struct {
	TableName *string `json:",omitempty"`
}

type DescribeTableOutput struct {
	Table *types.TableDescription
}

type DeleteTableInput struct {
	TableName *string `json:",omitempty"`
}

type DeleteTableOutput struct {
	TableDescription *types.TableDescription
}

type ListTablesInput struct {
	ExclusiveStartTableName *string `json:",omitempty"`
	Limit                   *int32  `json:",omitempty"`
}

type ListTablesOutput struct {
	LastEvaluatedTableName *string
	TableNames             []string
}

type UpdateTimeToLiveInput struct {
	TableName               *string                        `json:",omitempty"`
	TimeToLiveSpecification *types.TimeToLiveSpecification `json:",omitempty"`
}

type UpdateTimeToLiveOutput struct {
	TimeToLiveSpecification *types.TimeToLiveSpecification
}
