// Package types holds the EventBridge Scheduler shapes Leadflow uses,
// named and shaped as github.com/aws/aws-sdk-go-v2/service/scheduler/types
// (target kinds other than SQS left out).
package types

import (
	"fmt"

	"github.com/aws/smithy-go"
)

type FlexibleTimeWindow struct {
	Mode                   FlexibleTimeWindowMode
	MaximumWindowInMinutes *int32
}

type Target struct {
	Arn              *string
	RoleArn          *string
	DeadLetterConfig *DeadLetterConfig
	Input            *string
	RetryPolicy      *RetryPolicy
}

type RetryPolicy struct {
	MaximumEventAgeInSeconds *int32
	MaximumRetryAttempts     *int32
}

type DeadLetterConfig struct {
	Arn *string
}

type FlexibleTimeWindowMode string

const (
	FlexibleTimeWindowModeOff      FlexibleTimeWindowMode = "OFF"
	FlexibleTimeWindowModeFlexible FlexibleTimeWindowMode = "FLEXIBLE"
)

type ActionAfterCompletion string

const (
	ActionAfterCompletionNone   ActionAfterCompletion = "NONE"
	ActionAfterCompletionDelete ActionAfterCompletion = "DELETE"
)

type ScheduleState string

const (
	ScheduleStateEnabled  ScheduleState = "ENABLED"
	ScheduleStateDisabled ScheduleState = "DISABLED"
)

// Errors. Each implements smithy.APIError, as the SDK's do.

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

// InternalServerException is the service's error of that name.
type InternalServerException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *InternalServerException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *InternalServerException) ErrorMessage() string { return deref(e.Message) }
func (e *InternalServerException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InternalServerException"
	}
	return *e.ErrorCodeOverride
}
func (e *InternalServerException) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

// ResourceNotFoundException is the service's error of that name.
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

// ServiceQuotaExceededException is the service's error of that name.
type ServiceQuotaExceededException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *ServiceQuotaExceededException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *ServiceQuotaExceededException) ErrorMessage() string { return deref(e.Message) }
func (e *ServiceQuotaExceededException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ServiceQuotaExceededException"
	}
	return *e.ErrorCodeOverride
}
func (e *ServiceQuotaExceededException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// ThrottlingException is the service's error of that name.
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

// ValidationException is the service's error of that name.
type ValidationException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *ValidationException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *ValidationException) ErrorMessage() string { return deref(e.Message) }
func (e *ValidationException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ValidationException"
	}
	return *e.ErrorCodeOverride
}
func (e *ValidationException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

func errorString(code, msg string) string { return fmt.Sprintf("%s: %s", code, msg) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
