package dynamodb

import (
	"encoding/json"
	"fmt"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
)

// wireValue is an attribute value as the JSON decoder reads it; exactly
// one field is set (an empty list or map is non-nil and empty).
type wireValue struct {
	S    *string
	N    *string
	B    []byte // base64 on the wire
	BOOL *bool
	NULL *bool
	M    map[string]*wireValue
	L    []*wireValue
	SS   []string
	NS   []string
	BS   [][]byte
}

type wireItem map[string]*wireValue

func (w *wireValue) value() (types.AttributeValue, error) {
	switch {
	case w == nil:
		return nil, fmt.Errorf("null attribute value")
	case w.S != nil:
		return &types.AttributeValueMemberS{Value: *w.S}, nil
	case w.N != nil:
		return &types.AttributeValueMemberN{Value: *w.N}, nil
	case w.B != nil:
		return &types.AttributeValueMemberB{Value: w.B}, nil
	case w.BOOL != nil:
		return &types.AttributeValueMemberBOOL{Value: *w.BOOL}, nil
	case w.NULL != nil:
		return &types.AttributeValueMemberNULL{Value: *w.NULL}, nil
	case w.M != nil:
		m, err := wireItem(w.M).item()
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case w.L != nil:
		l := make([]types.AttributeValue, len(w.L))
		for i, x := range w.L {
			v, err := x.value()
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case w.SS != nil:
		return &types.AttributeValueMemberSS{Value: w.SS}, nil
	case w.NS != nil:
		return &types.AttributeValueMemberNS{Value: w.NS}, nil
	case w.BS != nil:
		return &types.AttributeValueMemberBS{Value: w.BS}, nil
	}
	return nil, fmt.Errorf("attribute value of no known type")
}

func (w wireItem) item() (map[string]types.AttributeValue, error) {
	if w == nil {
		return nil, nil
	}
	out := make(map[string]types.AttributeValue, len(w))
	for k, x := range w {
		v, err := x.value()
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

func wireItems(ws []wireItem) ([]map[string]types.AttributeValue, error) {
	if ws == nil {
		return nil, nil
	}
	out := make([]map[string]types.AttributeValue, len(ws))
	for i, w := range ws {
		it, err := w.item()
		if err != nil {
			return nil, err
		}
		out[i] = it
	}
	return out, nil
}

// DecodeItem reads an item in DynamoDB's JSON form.
func DecodeItem(data []byte) (map[string]types.AttributeValue, error) {
	var w wireItem
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	return w.item()
}

type wireKeysAndAttributes struct {
	Keys                     []wireItem
	ConsistentRead           *bool
	ExpressionAttributeNames map[string]string
	ProjectionExpression     *string
}

type wireWriteRequest struct {
	PutRequest    *struct{ Item wireItem }
	DeleteRequest *struct{ Key wireItem }
}

func decodeItemOutput(data []byte) (item, attrs map[string]types.AttributeValue, cc *types.ConsumedCapacity, err error) {
	var w struct {
		Item             wireItem
		Attributes       wireItem
		ConsumedCapacity *types.ConsumedCapacity
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, nil, nil, err
	}
	if item, err = w.Item.item(); err != nil {
		return nil, nil, nil, err
	}
	if attrs, err = w.Attributes.item(); err != nil {
		return nil, nil, nil, err
	}
	return item, attrs, w.ConsumedCapacity, nil
}

func decodeGetItem(data []byte) (any, error) {
	item, _, cc, err := decodeItemOutput(data)
	if err != nil {
		return nil, err
	}
	return &GetItemOutput{Item: item, ConsumedCapacity: cc}, nil
}

func decodePutItem(data []byte) (any, error) {
	_, attrs, cc, err := decodeItemOutput(data)
	if err != nil {
		return nil, err
	}
	return &PutItemOutput{Attributes: attrs, ConsumedCapacity: cc}, nil
}

func decodeUpdateItem(data []byte) (any, error) {
	_, attrs, cc, err := decodeItemOutput(data)
	if err != nil {
		return nil, err
	}
	return &UpdateItemOutput{Attributes: attrs, ConsumedCapacity: cc}, nil
}

func decodeDeleteItem(data []byte) (any, error) {
	_, attrs, cc, err := decodeItemOutput(data)
	if err != nil {
		return nil, err
	}
	return &DeleteItemOutput{Attributes: attrs, ConsumedCapacity: cc}, nil
}

type wireReadOutput struct {
	ConsumedCapacity *types.ConsumedCapacity
	Count            int32
	Items            []wireItem
	LastEvaluatedKey wireItem
	ScannedCount     int32
}

func (w *wireReadOutput) decode(data []byte) (items []map[string]types.AttributeValue, last map[string]types.AttributeValue, err error) {
	if err := json.Unmarshal(data, w); err != nil {
		return nil, nil, err
	}
	if items, err = wireItems(w.Items); err != nil {
		return nil, nil, err
	}
	if last, err = w.LastEvaluatedKey.item(); err != nil {
		return nil, nil, err
	}
	return items, last, nil
}

func decodeQuery(data []byte) (any, error) {
	var w wireReadOutput
	items, last, err := w.decode(data)
	if err != nil {
		return nil, err
	}
	return &QueryOutput{ConsumedCapacity: w.ConsumedCapacity, Count: w.Count, Items: items, LastEvaluatedKey: last, ScannedCount: w.ScannedCount}, nil
}

func decodeScan(data []byte) (any, error) {
	var w wireReadOutput
	items, last, err := w.decode(data)
	if err != nil {
		return nil, err
	}
	return &ScanOutput{ConsumedCapacity: w.ConsumedCapacity, Count: w.Count, Items: items, LastEvaluatedKey: last, ScannedCount: w.ScannedCount}, nil
}

func decodeBatchGetItem(data []byte) (any, error) {
	var w struct {
		ConsumedCapacity []types.ConsumedCapacity
		Responses        map[string][]wireItem
		UnprocessedKeys  map[string]wireKeysAndAttributes
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	out := &BatchGetItemOutput{ConsumedCapacity: w.ConsumedCapacity}
	if w.Responses != nil {
		out.Responses = make(map[string][]map[string]types.AttributeValue, len(w.Responses))
		for t, items := range w.Responses {
			its, err := wireItems(items)
			if err != nil {
				return nil, err
			}
			out.Responses[t] = its
		}
	}
	if w.UnprocessedKeys != nil {
		out.UnprocessedKeys = make(map[string]types.KeysAndAttributes, len(w.UnprocessedKeys))
		for t, ka := range w.UnprocessedKeys {
			keys, err := wireItems(ka.Keys)
			if err != nil {
				return nil, err
			}
			out.UnprocessedKeys[t] = types.KeysAndAttributes{Keys: keys, ConsistentRead: ka.ConsistentRead,
				ExpressionAttributeNames: ka.ExpressionAttributeNames, ProjectionExpression: ka.ProjectionExpression}
		}
	}
	return out, nil
}

func decodeBatchWriteItem(data []byte) (any, error) {
	var w struct {
		ConsumedCapacity []types.ConsumedCapacity
		UnprocessedItems map[string][]wireWriteRequest
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	out := &BatchWriteItemOutput{ConsumedCapacity: w.ConsumedCapacity}
	if w.UnprocessedItems != nil {
		out.UnprocessedItems = make(map[string][]types.WriteRequest, len(w.UnprocessedItems))
		for t, ws := range w.UnprocessedItems {
			rs := make([]types.WriteRequest, len(ws))
			for i, wr := range ws {
				if wr.PutRequest != nil {
					item, err := wr.PutRequest.Item.item()
					if err != nil {
						return nil, err
					}
					rs[i].PutRequest = &types.PutRequest{Item: item}
				}
				if wr.DeleteRequest != nil {
					key, err := wr.DeleteRequest.Key.item()
					if err != nil {
						return nil, err
					}
					rs[i].DeleteRequest = &types.DeleteRequest{Key: key}
				}
			}
			out.UnprocessedItems[t] = rs
		}
	}
	return out, nil
}

func decodeTransactWriteItems(data []byte) (any, error) {
	var out TransactWriteItemsOutput
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func decodeTransactGetItems(data []byte) (any, error) {
	var w struct {
		ConsumedCapacity []types.ConsumedCapacity
		Responses        []struct{ Item wireItem }
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	out := &TransactGetItemsOutput{ConsumedCapacity: w.ConsumedCapacity}
	if w.Responses != nil {
		out.Responses = make([]types.ItemResponse, len(w.Responses))
		for i, r := range w.Responses {
			item, err := r.Item.item()
			if err != nil {
				return nil, err
			}
			out.Responses[i].Item = item
		}
	}
	return out, nil
}

// decodeError maps DynamoDB's error codes to the typed errors; nil for
// the others (a smithy.GenericAPIError then).
func decodeError(code, message string, body []byte) error {
	msg := &message
	switch code {
	case "ConditionalCheckFailedException":
		var w struct{ Item wireItem }
		_ = json.Unmarshal(body, &w)
		item, _ := w.Item.item()
		return &types.ConditionalCheckFailedException{Message: msg, Item: item}
	case "TransactionCanceledException":
		var w struct {
			CancellationReasons []struct {
				Code    *string
				Message *string
				Item    wireItem
			}
		}
		_ = json.Unmarshal(body, &w)
		e := &types.TransactionCanceledException{Message: msg}
		for _, r := range w.CancellationReasons {
			item, _ := r.Item.item()
			e.CancellationReasons = append(e.CancellationReasons, types.CancellationReason{Code: r.Code, Message: r.Message, Item: item})
		}
		return e
	case "ResourceNotFoundException":
		return &types.ResourceNotFoundException{Message: msg}
	case "ResourceInUseException":
		return &types.ResourceInUseException{Message: msg}
	case "ProvisionedThroughputExceededException":
		return &types.ProvisionedThroughputExceededException{Message: msg}
	case "RequestLimitExceeded":
		return &types.RequestLimitExceeded{Message: msg}
	case "ThrottlingException":
		return &types.ThrottlingException{Message: msg}
	case "TransactionConflictException":
		return &types.TransactionConflictException{Message: msg}
	case "TransactionInProgressException":
		return &types.TransactionInProgressException{Message: msg}
	case "ItemCollectionSizeLimitExceededException":
		return &types.ItemCollectionSizeLimitExceededException{Message: msg}
	case "IdempotentParameterMismatchException":
		return &types.IdempotentParameterMismatchException{Message: msg}
	case "LimitExceededException":
		return &types.LimitExceededException{Message: msg}
	case "InternalServerError":
		return &types.InternalServerError{Message: msg}
	}
	return nil
}
