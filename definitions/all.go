package definitions

import "errors"

// Validate checks every definition in the repo with the same validators the
// admin API uses. The CDK app runs it before synth, so `cdk deploy` refuses a
// broken definition instead of shipping functions that fail at cold start.
func Validate() error {
	var errs []error
	if _, err := Interests(); err != nil {
		errs = append(errs, err)
	}
	if _, err := Forms(); err != nil {
		errs = append(errs, err)
	}
	if _, err := Scoring(); err != nil {
		errs = append(errs, err)
	}
	if _, err := Templates(); err != nil {
		errs = append(errs, err)
	}
	if _, err := Topics(); err != nil {
		errs = append(errs, err)
	}
	if _, err := Sending(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
