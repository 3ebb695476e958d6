// Package types holds the SES v2 shapes Leadflow uses, named and shaped as
// github.com/aws/aws-sdk-go-v2/service/sesv2/types (fields Leadflow does not
// set are left out).
package types

import (
	"fmt"

	"github.com/aws/smithy-go"
)

type Destination struct {
	BccAddresses []string
	CcAddresses  []string
	ToAddresses  []string
}

// EmailContent is the message; Leadflow sends Simple content only.
type EmailContent struct {
	Simple *Message
}

type Message struct {
	Body    *Body
	Subject *Content
	Headers []MessageHeader
}

type Body struct {
	Html *Content
	Text *Content
}

type Content struct {
	Data    *string
	Charset *string
}

type MessageHeader struct {
	Name  *string
	Value *string
}

type MessageTag struct {
	Name  *string
	Value *string
}

// SendQuota is the account's sending quota.
type SendQuota struct {
	Max24HourSend   float64
	MaxSendRate     float64
	SentLast24Hours float64
}

type SuppressionListReason string

const (
	SuppressionListReasonBounce    SuppressionListReason = "BOUNCE"
	SuppressionListReasonComplaint SuppressionListReason = "COMPLAINT"
)

// Errors. Each implements smithy.APIError, as the SDK's do.

// AccountSuspendedException is the service's error of that name.
type AccountSuspendedException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *AccountSuspendedException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *AccountSuspendedException) ErrorMessage() string { return deref(e.Message) }
func (e *AccountSuspendedException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "AccountSuspendedException"
	}
	return *e.ErrorCodeOverride
}
func (e *AccountSuspendedException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// AlreadyExistsException is the service's error of that name.
type AlreadyExistsException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *AlreadyExistsException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *AlreadyExistsException) ErrorMessage() string { return deref(e.Message) }
func (e *AlreadyExistsException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "AlreadyExistsException"
	}
	return *e.ErrorCodeOverride
}
func (e *AlreadyExistsException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// BadRequestException is the service's error of that name.
type BadRequestException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *BadRequestException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *BadRequestException) ErrorMessage() string { return deref(e.Message) }
func (e *BadRequestException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "BadRequestException"
	}
	return *e.ErrorCodeOverride
}
func (e *BadRequestException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// ConcurrentModificationException is the service's error of that name.
type ConcurrentModificationException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *ConcurrentModificationException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *ConcurrentModificationException) ErrorMessage() string { return deref(e.Message) }
func (e *ConcurrentModificationException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ConcurrentModificationException"
	}
	return *e.ErrorCodeOverride
}
func (e *ConcurrentModificationException) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

// ConflictException is the service's error of that name.
type ConflictException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *ConflictException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *ConflictException) ErrorMessage() string { return deref(e.Message) }
func (e *ConflictException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ConflictException"
	}
	return *e.ErrorCodeOverride
}
func (e *ConflictException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// InternalServiceErrorException is the service's error of that name.
type InternalServiceErrorException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *InternalServiceErrorException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *InternalServiceErrorException) ErrorMessage() string { return deref(e.Message) }
func (e *InternalServiceErrorException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InternalServiceErrorException"
	}
	return *e.ErrorCodeOverride
}
func (e *InternalServiceErrorException) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

// LimitExceededException is the service's error of that name.
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

// MailFromDomainNotVerifiedException is the service's error of that name.
type MailFromDomainNotVerifiedException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *MailFromDomainNotVerifiedException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *MailFromDomainNotVerifiedException) ErrorMessage() string { return deref(e.Message) }
func (e *MailFromDomainNotVerifiedException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "MailFromDomainNotVerifiedException"
	}
	return *e.ErrorCodeOverride
}
func (e *MailFromDomainNotVerifiedException) ErrorFault() smithy.ErrorFault {
	return smithy.FaultClient
}

// MessageRejected is the service's error of that name.
type MessageRejected struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *MessageRejected) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *MessageRejected) ErrorMessage() string { return deref(e.Message) }
func (e *MessageRejected) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "MessageRejected"
	}
	return *e.ErrorCodeOverride
}
func (e *MessageRejected) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// NotFoundException is the service's error of that name.
type NotFoundException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *NotFoundException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *NotFoundException) ErrorMessage() string { return deref(e.Message) }
func (e *NotFoundException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "NotFoundException"
	}
	return *e.ErrorCodeOverride
}
func (e *NotFoundException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// SendingPausedException is the service's error of that name.
type SendingPausedException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *SendingPausedException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *SendingPausedException) ErrorMessage() string { return deref(e.Message) }
func (e *SendingPausedException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "SendingPausedException"
	}
	return *e.ErrorCodeOverride
}
func (e *SendingPausedException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// TooManyRequestsException is the service's error of that name.
type TooManyRequestsException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *TooManyRequestsException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *TooManyRequestsException) ErrorMessage() string { return deref(e.Message) }
func (e *TooManyRequestsException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "TooManyRequestsException"
	}
	return *e.ErrorCodeOverride
}
func (e *TooManyRequestsException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

func errorString(code, msg string) string { return fmt.Sprintf("%s: %s", code, msg) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
