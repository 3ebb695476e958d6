package dynamodb

import (
	"fmt"

	"github.com/leadflow/leadflow/shared/awsapi"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
)

// encoder writes one request body; the first unknown attribute value
// (nil, or a type not in package types) is its error.
type encoder struct {
	awsapi.Obj
	err error
}

func newEncoder() *encoder { return &encoder{Obj: awsapi.Begin(make([]byte, 0, 512))} }

func (e *encoder) done() ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	return e.End(), nil
}

// AppendAttributeValue writes v in DynamoDB's JSON form: {"S":"x"},
// {"N":"12"} (numbers as strings), {"B":"<base64>"}, {"BOOL":true},
// {"NULL":true}, {"M":{...}}, {"L":[...]}, {"SS":[...]}, {"NS":[...]},
// {"BS":[...]}.
func AppendAttributeValue(b []byte, v types.AttributeValue) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		b = append(b, `{"S":`...)
		b = awsapi.AppendString(b, v.Value)
	case *types.AttributeValueMemberN:
		b = append(b, `{"N":`...)
		b = awsapi.AppendString(b, v.Value)
	case *types.AttributeValueMemberB:
		b = append(b, `{"B":`...)
		b = awsapi.AppendBase64(b, v.Value)
	case *types.AttributeValueMemberBOOL:
		if v.Value {
			b = append(b, `{"BOOL":true`...)
		} else {
			b = append(b, `{"BOOL":false`...)
		}
	case *types.AttributeValueMemberNULL:
		if v.Value {
			b = append(b, `{"NULL":true`...)
		} else {
			b = append(b, `{"NULL":false`...)
		}
	case *types.AttributeValueMemberM:
		b = append(b, `{"M":`...)
		if b, err = AppendItem(b, v.Value); err != nil {
			return nil, err
		}
	case *types.AttributeValueMemberL:
		b = append(b, `{"L":[`...)
		for i, x := range v.Value {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = AppendAttributeValue(b, x); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	case *types.AttributeValueMemberSS:
		b = append(b, `{"SS":`...)
		b = awsapi.AppendStrings(b, v.Value)
	case *types.AttributeValueMemberNS:
		b = append(b, `{"NS":`...)
		b = awsapi.AppendStrings(b, v.Value)
	case *types.AttributeValueMemberBS:
		b = append(b, `{"BS":[`...)
		for i, x := range v.Value {
			if i > 0 {
				b = append(b, ',')
			}
			b = awsapi.AppendBase64(b, x)
		}
		b = append(b, ']')
	default:
		return nil, fmt.Errorf("attribute value of type %T cannot be encoded", v)
	}
	return append(b, '}'), nil
}

// AppendItem writes a map of attribute values as a JSON object.
func AppendItem(b []byte, item map[string]types.AttributeValue) ([]byte, error) {
	b = append(b, '{')
	first := true
	var err error
	for k, v := range item {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = awsapi.AppendString(b, k)
		b = append(b, ':')
		if b, err = AppendAttributeValue(b, v); err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
	}
	return append(b, '}'), nil
}

// item writes a field holding an item, if it is not nil.
func (e *encoder) item(name string, item map[string]types.AttributeValue) {
	if item == nil || e.err != nil {
		return
	}
	e.Key(name)
	e.B, e.err = AppendItem(e.B, item)
}

func (e *encoder) items(name string, items []map[string]types.AttributeValue) {
	if items == nil || e.err != nil {
		return
	}
	e.Key(name)
	e.B = append(e.B, '[')
	for i, it := range items {
		if i > 0 {
			e.B = append(e.B, ',')
		}
		if e.B, e.err = AppendItem(e.B, it); e.err != nil {
			return
		}
	}
	e.B = append(e.B, ']')
}

// sub writes a nested object with fn, if present.
func (e *encoder) sub(name string, present bool, fn func(*encoder)) {
	if !present || e.err != nil {
		return
	}
	e.Key(name)
	inner := &encoder{Obj: awsapi.Begin(e.B)}
	fn(inner)
	e.B, e.err = inner.End(), inner.err
}

// conditionParts are the fields every conditional write shares.
func (e *encoder) condition(cond *string, names map[string]string, values map[string]types.AttributeValue) {
	e.Str("ConditionExpression", cond)
	e.StringMap("ExpressionAttributeNames", names)
	e.item("ExpressionAttributeValues", values)
}

func encodeGetItem(in *GetItemInput) ([]byte, error) {
	e := newEncoder()
	e.Str("TableName", in.TableName)
	e.item("Key", in.Key)
	e.Bool("ConsistentRead", in.ConsistentRead)
	e.StringMap("ExpressionAttributeNames", in.ExpressionAttributeNames)
	e.Str("ProjectionExpression", in.ProjectionExpression)
	e.Enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	return e.done()
}

func encodePutItem(in *PutItemInput) ([]byte, error) {
	e := newEncoder()
	e.Str("TableName", in.TableName)
	e.item("Item", in.Item)
	e.condition(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	e.Enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	e.Enum("ReturnItemCollectionMetrics", string(in.ReturnItemCollectionMetrics))
	e.Enum("ReturnValues", string(in.ReturnValues))
	e.Enum("ReturnValuesOnConditionCheckFailure", string(in.ReturnValuesOnConditionCheckFailure))
	return e.done()
}

func encodeUpdateItem(in *UpdateItemInput) ([]byte, error) {
	e := newEncoder()
	e.Str("TableName", in.TableName)
	e.item("Key", in.Key)
	e.Str("UpdateExpression", in.UpdateExpression)
	e.condition(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	e.Enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	e.Enum("ReturnItemCollectionMetrics", string(in.ReturnItemCollectionMetrics))
	e.Enum("ReturnValues", string(in.ReturnValues))
	e.Enum("ReturnValuesOnConditionCheckFailure", string(in.ReturnValuesOnConditionCheckFailure))
	return e.done()
}

func encodeDeleteItem(in *DeleteItemInput) ([]byte, error) {
	e := newEncoder()
	e.Str("TableName", in.TableName)
	e.item("Key", in.Key)
	e.condition(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	e.Enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	e.Enum("ReturnItemCollectionMetrics", string(in.ReturnItemCollectionMetrics))
	e.Enum("ReturnValues", string(in.ReturnValues))
	e.Enum("ReturnValuesOnConditionCheckFailure", string(in.ReturnValuesOnConditionCheckFailure))
	return e.done()
}

func (e *encoder) read(table, index *string, consistent *bool, start map[string]types.AttributeValue,
	names map[string]string, values map[string]types.AttributeValue, filter, projection *string,
	limit *int32, rcc types.ReturnConsumedCapacity, sel types.Select) {
	e.Str("TableName", table)
	e.Str("IndexName", index)
	e.Bool("ConsistentRead", consistent)
	e.item("ExclusiveStartKey", start)
	e.StringMap("ExpressionAttributeNames", names)
	e.item("ExpressionAttributeValues", values)
	e.Str("FilterExpression", filter)
	e.Str("ProjectionExpression", projection)
	e.Int32("Limit", limit)
	e.Enum("ReturnConsumedCapacity", string(rcc))
	e.Enum("Select", string(sel))
}

func encodeQuery(in *QueryInput) ([]byte, error) {
	e := newEncoder()
	e.read(in.TableName, in.IndexName, in.ConsistentRead, in.ExclusiveStartKey, in.ExpressionAttributeNames,
		in.ExpressionAttributeValues, in.FilterExpression, in.ProjectionExpression, in.Limit, in.ReturnConsumedCapacity, in.Select)
	e.Str("KeyConditionExpression", in.KeyConditionExpression)
	e.Bool("ScanIndexForward", in.ScanIndexForward)
	return e.done()
}

func encodeScan(in *ScanInput) ([]byte, error) {
	e := newEncoder()
	e.read(in.TableName, in.IndexName, in.ConsistentRead, in.ExclusiveStartKey, in.ExpressionAttributeNames,
		in.ExpressionAttributeValues, in.FilterExpression, in.ProjectionExpression, in.Limit, in.ReturnConsumedCapacity, in.Select)
	e.Int32("Segment", in.Segment)
	e.Int32("TotalSegments", in.TotalSegments)
	return e.done()
}

func encodeBatchGetItem(in *BatchGetItemInput) ([]byte, error) {
	e := newEncoder()
	e.sub("RequestItems", in.RequestItems != nil, func(e *encoder) {
		for table, ka := range in.RequestItems {
			e.sub(table, true, func(e *encoder) {
				e.items("Keys", ka.Keys)
				e.Bool("ConsistentRead", ka.ConsistentRead)
				e.StringMap("ExpressionAttributeNames", ka.ExpressionAttributeNames)
				e.Str("ProjectionExpression", ka.ProjectionExpression)
			})
		}
	})
	e.Enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	return e.done()
}

func encodeBatchWriteItem(in *BatchWriteItemInput) ([]byte, error) {
	e := newEncoder()
	e.sub("RequestItems", in.RequestItems != nil, func(e *encoder) {
		for table, ws := range in.RequestItems {
			e.Key(table)
			e.B = append(e.B, '[')
			for i, w := range ws {
				if i > 0 {
					e.B = append(e.B, ',')
				}
				inner := &encoder{Obj: awsapi.Begin(e.B)}
				inner.sub("PutRequest", w.PutRequest != nil, func(e *encoder) { e.item("Item", w.PutRequest.Item) })
				inner.sub("DeleteRequest", w.DeleteRequest != nil, func(e *encoder) { e.item("Key", w.DeleteRequest.Key) })
				e.B = inner.End()
				if inner.err != nil {
					e.err = inner.err
					return
				}
			}
			e.B = append(e.B, ']')
		}
	})
	e.Enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	e.Enum("ReturnItemCollectionMetrics", string(in.ReturnItemCollectionMetrics))
	return e.done()
}

func encodeTransactWriteItems(in *TransactWriteItemsInput) ([]byte, error) {
	e := newEncoder()
	if in.TransactItems != nil {
		e.Key("TransactItems")
		e.B = append(e.B, '[')
		for i, it := range in.TransactItems {
			if i > 0 {
				e.B = append(e.B, ',')
			}
			inner := &encoder{Obj: awsapi.Begin(e.B)}
			inner.sub("ConditionCheck", it.ConditionCheck != nil, func(e *encoder) {
				c := it.ConditionCheck
				e.Str("TableName", c.TableName)
				e.item("Key", c.Key)
				e.condition(c.ConditionExpression, c.ExpressionAttributeNames, c.ExpressionAttributeValues)
				e.Enum("ReturnValuesOnConditionCheckFailure", string(c.ReturnValuesOnConditionCheckFailure))
			})
			inner.sub("Delete", it.Delete != nil, func(e *encoder) {
				d := it.Delete
				e.Str("TableName", d.TableName)
				e.item("Key", d.Key)
				e.condition(d.ConditionExpression, d.ExpressionAttributeNames, d.ExpressionAttributeValues)
				e.Enum("ReturnValuesOnConditionCheckFailure", string(d.ReturnValuesOnConditionCheckFailure))
			})
			inner.sub("Put", it.Put != nil, func(e *encoder) {
				p := it.Put
				e.Str("TableName", p.TableName)
				e.item("Item", p.Item)
				e.condition(p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues)
				e.Enum("ReturnValuesOnConditionCheckFailure", string(p.ReturnValuesOnConditionCheckFailure))
			})
			inner.sub("Update", it.Update != nil, func(e *encoder) {
				u := it.Update
				e.Str("TableName", u.TableName)
				e.item("Key", u.Key)
				e.Str("UpdateExpression", u.UpdateExpression)
				e.condition(u.ConditionExpression, u.ExpressionAttributeNames, u.ExpressionAttributeValues)
				e.Enum("ReturnValuesOnConditionCheckFailure", string(u.ReturnValuesOnConditionCheckFailure))
			})
			e.B = inner.End()
			if inner.err != nil {
				return nil, inner.err
			}
		}
		e.B = append(e.B, ']')
	}
	e.Str("ClientRequestToken", in.ClientRequestToken)
	e.Enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	e.Enum("ReturnItemCollectionMetrics", string(in.ReturnItemCollectionMetrics))
	return e.done()
}

func encodeTransactGetItems(in *TransactGetItemsInput) ([]byte, error) {
	e := newEncoder()
	if in.TransactItems != nil {
		e.Key("TransactItems")
		e.B = append(e.B, '[')
		for i, it := range in.TransactItems {
			if i > 0 {
				e.B = append(e.B, ',')
			}
			inner := &encoder{Obj: awsapi.Begin(e.B)}
			inner.sub("Get", it.Get != nil, func(e *encoder) {
				g := it.Get
				e.Str("TableName", g.TableName)
				e.item("Key", g.Key)
				e.StringMap("ExpressionAttributeNames", g.ExpressionAttributeNames)
				e.Str("ProjectionExpression", g.ProjectionExpression)
			})
			e.B = inner.End()
			if inner.err != nil {
				return nil, inner.err
			}
		}
		e.B = append(e.B, ']')
	}
	e.Enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	return e.done()
}
