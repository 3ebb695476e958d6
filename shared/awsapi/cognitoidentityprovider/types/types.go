// Package types holds the Cognito Identity Provider shapes Leadflow uses,
// named and shaped as
// github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types.
package types

import (
	"fmt"
	"time"

	"github.com/aws/smithy-go"
)

type AttributeType struct {
	Name  *string
	Value *string
}

type UserType struct {
	Attributes           []AttributeType
	Enabled              bool
	UserCreateDate       *time.Time
	UserLastModifiedDate *time.Time
	UserStatus           UserStatusType
	Username             *string
}

type GroupType struct {
	CreationDate     *time.Time
	Description      *string
	GroupName        *string
	LastModifiedDate *time.Time
	Precedence       *int32
	RoleArn          *string
	UserPoolId       *string
}

type DeliveryMediumType string

const (
	DeliveryMediumTypeSms   DeliveryMediumType = "SMS"
	DeliveryMediumTypeEmail DeliveryMediumType = "EMAIL"
)

type MessageActionType string

const (
	MessageActionTypeResend   MessageActionType = "RESEND"
	MessageActionTypeSuppress MessageActionType = "SUPPRESS"
)

type UserStatusType string

const (
	UserStatusTypeUnconfirmed         UserStatusType = "UNCONFIRMED"
	UserStatusTypeConfirmed           UserStatusType = "CONFIRMED"
	UserStatusTypeArchived            UserStatusType = "ARCHIVED"
	UserStatusTypeCompromised         UserStatusType = "COMPROMISED"
	UserStatusTypeUnknown             UserStatusType = "UNKNOWN"
	UserStatusTypeResetRequired       UserStatusType = "RESET_REQUIRED"
	UserStatusTypeForceChangePassword UserStatusType = "FORCE_CHANGE_PASSWORD"
	UserStatusTypeExternalProvider    UserStatusType = "EXTERNAL_PROVIDER"
)

// Errors (those of the operations Leadflow calls). Each implements
// smithy.APIError, as the SDK's do.

// AliasExistsException is the service's error of that name.
type AliasExistsException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *AliasExistsException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *AliasExistsException) ErrorMessage() string { return deref(e.Message) }
func (e *AliasExistsException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "AliasExistsException"
	}
	return *e.ErrorCodeOverride
}
func (e *AliasExistsException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// CodeDeliveryFailureException is the service's error of that name.
type CodeDeliveryFailureException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *CodeDeliveryFailureException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *CodeDeliveryFailureException) ErrorMessage() string { return deref(e.Message) }
func (e *CodeDeliveryFailureException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "CodeDeliveryFailureException"
	}
	return *e.ErrorCodeOverride
}
func (e *CodeDeliveryFailureException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// InternalErrorException is the service's error of that name.
type InternalErrorException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *InternalErrorException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *InternalErrorException) ErrorMessage() string { return deref(e.Message) }
func (e *InternalErrorException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InternalErrorException"
	}
	return *e.ErrorCodeOverride
}
func (e *InternalErrorException) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

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

// InvalidLambdaResponseException is the service's error of that name.
type InvalidLambdaResponseException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *InvalidLambdaResponseException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *InvalidLambdaResponseException) ErrorMessage() string { return deref(e.Message) }
func (e *InvalidLambdaResponseException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InvalidLambdaResponseException"
	}
	return *e.ErrorCodeOverride
}
func (e *InvalidLambdaResponseException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// InvalidParameterException is the service's error of that name.
type InvalidParameterException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *InvalidParameterException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *InvalidParameterException) ErrorMessage() string { return deref(e.Message) }
func (e *InvalidParameterException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InvalidParameterException"
	}
	return *e.ErrorCodeOverride
}
func (e *InvalidParameterException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// InvalidPasswordException is the service's error of that name.
type InvalidPasswordException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *InvalidPasswordException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *InvalidPasswordException) ErrorMessage() string { return deref(e.Message) }
func (e *InvalidPasswordException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InvalidPasswordException"
	}
	return *e.ErrorCodeOverride
}
func (e *InvalidPasswordException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// InvalidSmsRoleAccessPolicyException is the service's error of that name.
type InvalidSmsRoleAccessPolicyException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *InvalidSmsRoleAccessPolicyException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *InvalidSmsRoleAccessPolicyException) ErrorMessage() string { return deref(e.Message) }
func (e *InvalidSmsRoleAccessPolicyException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InvalidSmsRoleAccessPolicyException"
	}
	return *e.ErrorCodeOverride
}
func (e *InvalidSmsRoleAccessPolicyException) ErrorFault() smithy.ErrorFault {
	return smithy.FaultClient
}

// InvalidSmsRoleTrustRelationshipException is the service's error of that name.
type InvalidSmsRoleTrustRelationshipException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *InvalidSmsRoleTrustRelationshipException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *InvalidSmsRoleTrustRelationshipException) ErrorMessage() string { return deref(e.Message) }
func (e *InvalidSmsRoleTrustRelationshipException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InvalidSmsRoleTrustRelationshipException"
	}
	return *e.ErrorCodeOverride
}
func (e *InvalidSmsRoleTrustRelationshipException) ErrorFault() smithy.ErrorFault {
	return smithy.FaultClient
}

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

// NotAuthorizedException is the service's error of that name.
type NotAuthorizedException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *NotAuthorizedException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *NotAuthorizedException) ErrorMessage() string { return deref(e.Message) }
func (e *NotAuthorizedException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "NotAuthorizedException"
	}
	return *e.ErrorCodeOverride
}
func (e *NotAuthorizedException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// PreconditionNotMetException is the service's error of that name.
type PreconditionNotMetException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *PreconditionNotMetException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *PreconditionNotMetException) ErrorMessage() string { return deref(e.Message) }
func (e *PreconditionNotMetException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "PreconditionNotMetException"
	}
	return *e.ErrorCodeOverride
}
func (e *PreconditionNotMetException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

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

// UnexpectedLambdaException is the service's error of that name.
type UnexpectedLambdaException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *UnexpectedLambdaException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *UnexpectedLambdaException) ErrorMessage() string { return deref(e.Message) }
func (e *UnexpectedLambdaException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "UnexpectedLambdaException"
	}
	return *e.ErrorCodeOverride
}
func (e *UnexpectedLambdaException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// UnsupportedUserStateException is the service's error of that name.
type UnsupportedUserStateException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *UnsupportedUserStateException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *UnsupportedUserStateException) ErrorMessage() string { return deref(e.Message) }
func (e *UnsupportedUserStateException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "UnsupportedUserStateException"
	}
	return *e.ErrorCodeOverride
}
func (e *UnsupportedUserStateException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// UserLambdaValidationException is the service's error of that name.
type UserLambdaValidationException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *UserLambdaValidationException) Error() string {
	return errorString(e.ErrorCode(), e.ErrorMessage())
}
func (e *UserLambdaValidationException) ErrorMessage() string { return deref(e.Message) }
func (e *UserLambdaValidationException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "UserLambdaValidationException"
	}
	return *e.ErrorCodeOverride
}
func (e *UserLambdaValidationException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// UserNotFoundException is the service's error of that name.
type UserNotFoundException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *UserNotFoundException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *UserNotFoundException) ErrorMessage() string { return deref(e.Message) }
func (e *UserNotFoundException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "UserNotFoundException"
	}
	return *e.ErrorCodeOverride
}
func (e *UserNotFoundException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// UsernameExistsException is the service's error of that name.
type UsernameExistsException struct {
	Message           *string
	ErrorCodeOverride *string
}

func (e *UsernameExistsException) Error() string        { return errorString(e.ErrorCode(), e.ErrorMessage()) }
func (e *UsernameExistsException) ErrorMessage() string { return deref(e.Message) }
func (e *UsernameExistsException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "UsernameExistsException"
	}
	return *e.ErrorCodeOverride
}
func (e *UsernameExistsException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

func errorString(code, msg string) string { return fmt.Sprintf("%s: %s", code, msg) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
